// Bus over NATS core (the `nats` v2 client) for cluster mode. See bus.ts for the contract.
// The client reconnects forever with jittered back-off; while disconnected it buffers publishes and
// re-establishes every subscription after reconnecting. Status changes surface through onStatus().
import {
  connect,
  DebugEvents,
  ErrorCode,
  Events,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
  type NatsError,
  type Subscription,
} from 'nats';
import {
  BusClosedError,
  BusError,
  BusNoRespondersError,
  BusTimeoutError,
  type Bus,
  type BusHandler,
  type BusMessage,
  type BusRequestOptions,
  type BusStatusEvent,
  type BusStatusListener,
  type BusSubscription,
} from './bus.js';
import { assertValidQueue, assertValidSubject } from './subject.js';

export interface NatsBusOptions {
  /** One URL (`nats://host:port`) or several; the client picks among them and fails over. */
  servers: string | string[];
  /** Connection name shown by the NATS server (`connz`), e.g. `gyre-edge-<node>`. */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** Base wait between reconnect attempts to one server, ms (default 1000). */
  reconnectTimeWaitMs?: number;
  /** Random jitter added to each reconnect wait, ms (default 250), so a fleet does not reconnect in lockstep. */
  reconnectJitterMs?: number;
  /** Timeout of the first connection attempt, ms (default 10000). */
  connectTimeoutMs?: number;
  /** When the server is not reachable at start, keep trying instead of failing connectNatsBus (default false). */
  waitOnFirstConnect?: boolean;
  /** Client ping interval, ms (default 20000); two missed pongs mark the connection stale and trigger a reconnect. */
  pingIntervalMs?: number;
  /** flush() rejects with BusTimeoutError after this many ms without a server round trip (default 5000). */
  flushTimeoutMs?: number;
}

function isNatsError(error: unknown): error is NatsError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

class NatsBusMessage implements BusMessage {
  constructor(private readonly msg: Msg) {}
  get subject(): string {
    return this.msg.subject;
  }
  get data(): Uint8Array {
    return this.msg.data;
  }
  respond(data: Uint8Array): boolean {
    if (!this.msg.reply) return false;
    try {
      return this.msg.respond(new Uint8Array(data));
    } catch {
      // The connection closed under us: the requester will time out, as with any lost reply.
      return false;
    }
  }
}

export class NatsBus implements Bus {
  private readonly listeners = new Set<BusStatusListener>();
  /** Rejecters of requests in flight, failed with BusClosedError when the connection closes. */
  private readonly pending = new Set<(error: Error) => void>();
  private connected = true;
  private closing: Promise<void> | undefined;
  private readonly flushTimeoutMs: number;

  /** Use connectNatsBus(). */
  constructor(
    readonly nc: NatsConnection,
    opts: { flushTimeoutMs?: number } = {},
  ) {
    this.flushTimeoutMs = opts.flushTimeoutMs ?? 5000;
    void this.watchStatus();
    void nc.closed().then((error) => {
      this.connected = false;
      this.failPending();
      this.emit(error ? { type: 'closed', error, detail: error.message } : { type: 'closed' });
    });
  }

  get isConnected(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  /** The server this connection currently talks to (`host:port`). */
  get server(): string {
    return this.nc.getServer();
  }

  publish(subject: string, data: Uint8Array): void {
    this.checkOpen();
    assertValidSubject(subject, false);
    // The client queues the bytes by reference until its next socket write: copy, so the caller may
    // reuse its buffer as soon as publish() returns (the contract).
    this.nc.publish(subject, new Uint8Array(data));
  }

  subscribe(subject: string, handler: BusHandler): BusSubscription {
    return this.addSub(subject, undefined, handler);
  }

  queueSubscribe(subject: string, queue: string, handler: BusHandler): BusSubscription {
    assertValidQueue(queue);
    return this.addSub(subject, queue, handler);
  }

  async request(subject: string, data: Uint8Array, opts: BusRequestOptions): Promise<Uint8Array> {
    this.checkOpen();
    assertValidSubject(subject, false);
    // The client lets requests pending at close() run into their timeout; the contract wants them
    // to fail with BusClosedError right away, so each request also races the close.
    let abort: ((error: Error) => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      abort = reject;
    });
    this.pending.add(abort!);
    try {
      const reply = await Promise.race([this.nc.request(subject, new Uint8Array(data), { timeout: opts.timeoutMs }), aborted]);
      return reply.data;
    } catch (error) {
      throw this.mapRequestError(error, subject, opts.timeoutMs);
    } finally {
      this.pending.delete(abort!);
    }
  }

  async flush(): Promise<void> {
    this.checkOpen();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.nc.flush(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new BusTimeoutError('flush', this.flushTimeoutMs)), this.flushTimeoutMs);
        }),
      ]);
    } catch (error) {
      if (error instanceof BusError) throw error;
      if (this.nc.isClosed()) throw new BusClosedError();
      throw new BusError(`bus flush failed: ${String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  onStatus(listener: BusStatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.connected = false;
      this.failPending();
      if (!this.nc.isClosed()) await this.nc.close();
      await this.nc.closed();
    })();
    return this.closing;
  }

  /** Like close(), but first delivers messages already received and sends buffered publishes. */
  drain(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.nc.isClosed()) await this.nc.drain();
      this.connected = false;
      await this.nc.closed();
    })();
    return this.closing;
  }

  private failPending(): void {
    for (const abort of [...this.pending]) abort(new BusClosedError());
    this.pending.clear();
  }

  private addSub(subject: string, queue: string | undefined, handler: BusHandler): BusSubscription {
    this.checkOpen();
    assertValidSubject(subject, true);
    let active = true;
    const sub: Subscription = this.nc.subscribe(subject, {
      ...(queue === undefined ? {} : { queue }),
      callback: (error, msg) => {
        if (!active) return;
        if (error) {
          this.emit({ type: 'error', detail: `subscription ${subject}: ${error.message}`, error });
          return;
        }
        try {
          handler(new NatsBusMessage(msg));
        } catch (thrown) {
          this.reportHandlerError(subject, thrown);
        }
      },
    });
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        if (!sub.isClosed() && !this.nc.isClosed()) sub.unsubscribe();
      },
    };
  }

  private mapRequestError(error: unknown, subject: string, timeoutMs: number): Error {
    if (error instanceof BusError) return error;
    if (isNatsError(error)) {
      switch (error.code) {
        case ErrorCode.Timeout:
          return new BusTimeoutError(subject, timeoutMs);
        case ErrorCode.NoResponders:
          return new BusNoRespondersError(subject);
        case ErrorCode.ConnectionClosed:
        case ErrorCode.ConnectionDraining:
          return new BusClosedError();
        default:
          break;
      }
    }
    if (this.nc.isClosed()) return new BusClosedError();
    return new BusError(`bus request to ${subject} failed: ${String(error)}`, { cause: error });
  }

  private async watchStatus(): Promise<void> {
    try {
      await this.pumpStatus();
    } catch (error) {
      this.emit({ type: 'error', detail: 'status stream failed', error });
    }
  }

  private async pumpStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      const detail = typeof s.data === 'string' ? s.data : JSON.stringify(s.data);
      switch (s.type) {
        case Events.Disconnect:
          this.connected = false;
          this.emit({ type: 'disconnected', detail });
          break;
        case Events.Reconnect:
          if (!this.closing) this.connected = true;
          this.emit({ type: 'reconnected', detail });
          break;
        case DebugEvents.Reconnecting:
          this.emit({ type: 'reconnecting', detail });
          break;
        case Events.Error:
          this.emit({ type: 'error', detail });
          break;
        case Events.LDM:
          this.emit({ type: 'error', detail: `server entering lame duck mode: ${detail}` });
          break;
        default:
          break;
      }
    }
  }

  private reportHandlerError(subject: string, error: unknown): void {
    if (this.listeners.size === 0) {
      console.error(`[gyre/bus] handler for ${subject} threw:`, error);
      return;
    }
    this.emit({ type: 'handler_error', detail: subject, error });
  }

  private emit(event: BusStatusEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('[gyre/bus] status listener threw:', error);
      }
    }
  }

  private checkOpen(): void {
    if (this.closing || this.nc.isClosed()) throw new BusClosedError();
  }
}

/** Connects to NATS and returns a Bus. Rejects when the first connection fails (unless waitOnFirstConnect). */
export async function connectNatsBus(opts: NatsBusOptions): Promise<NatsBus> {
  const options: ConnectionOptions = {
    servers: opts.servers,
    name: opts.name ?? 'gyre',
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectTimeWaitMs ?? 1000,
    reconnectJitter: opts.reconnectJitterMs ?? 250,
    reconnectJitterTLS: opts.reconnectJitterMs ?? 250,
    timeout: opts.connectTimeoutMs ?? 10_000,
    waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
    pingInterval: opts.pingIntervalMs ?? 20_000,
    maxPingOut: 2,
    // Gyre nodes publish to subjects they also subscribe to (e.g. an api that is also an edge in tests).
    noEcho: false,
  };
  if (opts.user !== undefined) options.user = opts.user;
  if (opts.pass !== undefined) options.pass = opts.pass;
  if (opts.token !== undefined) options.token = opts.token;
  const nc = await connect(options);
  return new NatsBus(nc, opts.flushTimeoutMs === undefined ? {} : { flushTimeoutMs: opts.flushTimeoutMs });
}
