/**
 * One client connection: the state machine of client-protocol.md §5.1 and the command loop of §2.5.
 *
 * States: `connecting` (only `connect` is accepted; stale close 3502 after stale_close_delay) →
 * `connected` → `closed`. A connect that fails with an error reply leaves the connection unusable:
 * the rest of that frame is dropped and any later command closes it with 3501.
 *
 * Commands of one connection run one after another, in arrival order, like Centrifugo's default
 * (`client.concurrency` 0): a command that waits (token verification, the state service) holds
 * the ones behind it, so a pipelined subscribe sees the connect done and a publish sees the
 * subscribe before it. Pongs are not commands: they are handled on arrival, so a slow command never
 * turns into a missed pong. Replies produced while one frame is handled leave as one frame.
 *
 * Timers: none per connection. The connection keeps one entry in the edge's timer wheel, due at
 * its next deadline (ping to send, pong to wait for, stale, connection or subscription expiry).
 *
 * Writes: everything for this connection (replies, pushes, publications delivered individually)
 * goes through `write`, in order, to its Transport (transport.ts: WebSocket, HTTP stream, SSE,
 * unidirectional ones); topic messages published by the hub interleave in the order the
 * transport received them. Past `client.queue_max_size` bytes of backpressure the connection
 * closes with 3008 (slow).
 *
 * Emulated and unidirectional connections carry a `session`: a random string only this
 * connection's client sees (ConnectResult / the connect push), used by /emulation to find the
 * connection and by server API calls to target exactly it. Plain WebSocket connections have none.
 */
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import {
  Disconnect,
  ProtocolDecodeError,
  Unsubscribe,
  ProtocolEncodeError,
  WsCloseCode,
  errors,
  messages,
  protocol,
  type Command,
  type DisconnectReason,
  type ProtocolError,
  type Push,
  type Reply,
  type UnsubscribeReason,
} from '@gyre/protocol';
import type { EdgeContext } from './context.js';
import type { Encoding, Frame } from './frames.js';
import type { HubClient } from './hub.js';
import type { WheelEntry } from './timer_wheel.js';
import type { ClientSub } from './subscription.js';
import type { Transport } from './transport.js';
import { uniConnectDisconnect } from './uni.js';
import { handleConnect } from './handler_connect.js';
import { handleSubscribe, handleUnsubscribe } from './handler_subscribe.js';
import { handleHistory, handlePresence, handlePresenceStats, handlePublish } from './handler_channel.js';
import { handleRefresh, handleSubRefresh, refreshConnectionViaProxy, refreshSubscriptionViaProxy } from './handler_refresh.js';
import { handleRpc } from './handler_rpc.js';

/** Per-socket data uWS keeps for us (set at upgrade, filled at open). */
export interface WsData {
  encoding: Encoding;
  client: Client | null;
  /** Request headers copied at upgrade (for proxies and logs). */
  headers: Record<string, string>;
  remoteAddress: string;
  /** `?cf_ws_frame_ping_pong=true`: native WebSocket pings instead of application ones. */
  framePingPong?: boolean;
}

export type ClientState = 'connecting' | 'connected' | 'closed';

/** Native ping frames (`cf_ws_frame_ping_pong`) when application pings are off: Centrifugo's defaults. */
const NATIVE_PING_INTERVAL_MS = 25_000;
const NATIVE_PONG_WAIT_MS = 10_000;

/** Commands queued behind a busy one before the connection is judged abusive (3013). */
export const MAX_QUEUED_COMMANDS = 1024;

const MESSAGE_TOO_BIG: DisconnectReason = Object.freeze({ code: WsCloseCode.MessageTooBig, reason: '' });

export class Client implements WheelEntry, HubClient {
  readonly id = randomUUID();
  /** '' for plain WebSocket connections (see the top of this file). */
  readonly session: string;
  readonly encoding: Encoding;
  state: ClientState = 'connecting';
  /** Connect failed with an error reply. */
  unusable = false;
  user = '';
  /** Connection info (ClientInfo.conn_info). */
  connInfo: Uint8Array | undefined;
  /** Connection expiry, Unix seconds; 0 = never. */
  expireAt = 0;
  /**
   * The client refreshes itself with a token; false when the server does, through the refresh
   * proxy (set at connect: Centrifugo's ClientSideRefresh = !client.proxy.refresh.enabled).
   */
  clientSideRefresh = true;
  /** A refresh proxy call for this connection is in flight (its expiry is not watched meanwhile). */
  refreshInFlight = false;
  /** Connection meta (connect proxy result, JWT `meta`): sent to proxies, never to the client. */
  meta: Uint8Array | undefined;
  /** Headers emulation: ConnectRequest.headers, passed to every proxy call of the connection. */
  emulatedHeaders: Record<string, string> = {};
  name = '';
  version = '';
  /** Client-side and server-side subscriptions by channel (including ones being set up). */
  readonly subs = new Map<string, ClientSub>();

  wheelSlot = -1;
  wheelDue = 0;
  private staleAt = 0;
  private nextPingAt = 0;
  private pongDeadline = 0;
  private pingOutstanding = false;
  /** Pongs still accepted for pings written outside the schedule (extraPing). */
  private extraPongs = 0;
  /** Earliest time a subscription may need its expiry checked (0 = none). */
  private subExpiryDue = 0;

  private queue: Command[] = [];
  private head = 0;
  private busy = false;
  private out: Frame[] = [];
  private batching = 0;
  /** Why the server closed the connection (undefined: the client went away). */
  closeReason: DisconnectReason | undefined;

  constructor(
    readonly ctx: EdgeContext,
    readonly transport: Transport,
    readonly headers: Record<string, string>,
  ) {
    this.encoding = transport.encoding;
    this.session = transport.emulation || transport.unidirectional ? randomUUID() : '';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** The socket is open: start the stale timer. */
  opened(now: number): void {
    this.ctx.registry.opened(this);
    this.staleAt = now + this.ctx.settings.staleCloseDelayMs;
    this.reschedule(now);
  }

  /** Connect succeeded: start pinging. */
  connected(now: number): void {
    this.state = 'connected';
    this.ctx.registry.connected(this);
    const ping = this.pingIntervalMs();
    // The first ping at a random time between ping/2 and ping (§2.6), so that connections made
    // together do not ping together.
    if (ping > 0) this.nextPingAt = now + Math.floor(ping / 2 + Math.random() * (ping / 2));
    this.reschedule(now);
  }

  /** uWS close handler: the socket is gone (closed by either side). */
  onClose(code: number): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.ctx.wheel.cancel(this);
    this.ctx.registry.closed(this);
    this.queue = [];
    this.head = 0;
    this.out = [];
    for (const sub of this.subs.values()) sub.teardown(false);
    this.subs.clear();
    // uWS drops a closed socket from its topics itself; local fan-out has to be told.
    if (this.transport.topics === null) this.ctx.localTopics.leaveAll(this);
    if (this.closeReason === undefined && code === 1006 && wasConnected) {
      // uWS itself closed the socket (backpressure hard limit or a broken connection).
      this.ctx.logger.debug({ client: this.id }, 'connection closed abnormally');
    }
  }

  /**
   * Closes the connection with a disconnect code (§4.2: a WebSocket close frame, or a disconnect
   * push on streams). `connectError`: the connect error a unidirectional connect failed with.
   */
  disconnect(d: DisconnectReason, connectError?: ProtocolError): void {
    if (this.state === 'closed') return;
    this.closeReason = d;
    // Replies already produced go out before the close frame, except for a slow connection.
    if (d.code !== Disconnect.Slow.code) this.flush();
    if (d.code >= 3000) this.ctx.metrics.serverDisconnect(d.code);
    this.transport.close(d, connectError);
    // uWS calls the close handler from end(); make sure the state is final either way.
    this.onClose(d.code);
  }

  // ---- incoming -------------------------------------------------------------------------------

  /** uWS message handler. `data` is only valid during this call: the decoders copy what they keep. */
  onMessage(data: ArrayBuffer): void {
    if (this.state === 'closed') return;
    if (data.byteLength > this.ctx.settings.messageSizeLimit) {
      this.disconnect(MESSAGE_TOO_BIG);
      return;
    }
    this.onFrame(new Uint8Array(data));
  }

  /** One frame of commands in this connection's encoding (a WebSocket message, an /emulation body). */
  onFrame(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    let commands: Command[];
    try {
      commands = this.encoding.decode(frame);
    } catch (err) {
      if (!(err instanceof ProtocolDecodeError)) this.ctx.logger.error({ err }, 'unexpected decode failure');
      this.ctx.logger.debug({ client: this.id, err }, 'malformed frame');
      this.disconnect(Disconnect.BadRequest);
      return;
    }
    this.onCommands(commands);
  }

  /** Commands decoded already (the first frame of an HTTP stream, a unidirectional connect). */
  onCommands(commands: readonly Command[]): void {
    if (this.state === 'closed') return;
    this.batching++;
    try {
      for (const cmd of commands) {
        if (this.closed) return;
        if (cmd.id === 0 && cmd.send === undefined) {
          this.pong();
          continue;
        }
        if (this.queue.length - this.head >= MAX_QUEUED_COMMANDS) {
          this.disconnect(Disconnect.TooManyRequests);
          return;
        }
        this.queue.push(cmd);
      }
      this.drain();
    } finally {
      this.endBatch();
    }
  }

  private pong(): void {
    if (this.state !== 'connected' || !this.pingOutstanding) {
      if (this.state === 'connected' && this.extraPongs > 0) {
        this.extraPongs--;
        return;
      }
      // A pong with no ping outstanding, or a second pong for one ping (§2.6).
      this.disconnect(Disconnect.BadRequest);
      return;
    }
    this.pingOutstanding = false;
    if (this.pongDeadline !== 0) {
      this.pongDeadline = 0;
      this.reschedule(Date.now());
    }
  }

  private drain(): void {
    while (!this.busy && this.head < this.queue.length && this.state !== 'closed') {
      const cmd = this.queue[this.head++]!;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      const pending = this.dispatch(cmd);
      if (pending !== undefined) {
        this.busy = true;
        pending.then(
          () => this.resume(),
          (err: unknown) => {
            this.ctx.logger.error({ err, client: this.id }, 'command handler failed');
            this.disconnect(Disconnect.InternalServerError);
          },
        );
      }
    }
  }

  private resume(): void {
    this.busy = false;
    if (this.state === 'closed') return;
    this.batching++;
    try {
      this.drain();
    } finally {
      this.endBatch();
    }
  }

  /**
   * A ping frame written outside the schedule (an HTTP stream pushing out its buffer after
   * backpressure, transport_http_stream.ts): the client may answer it, so one more pong is
   * accepted.
   */
  extraPing(): Frame {
    const s = this.ctx.settings;
    if (this.state === 'connected' && s.pingIntervalMs > 0 && s.pongTimeoutMs > 0 && !this.transport.unidirectional) this.extraPongs++;
    return this.encoding.pingFrame;
  }

  /** Drops the commands still queued (connect failed: the rest of the frame is ignored). */
  dropQueued(): void {
    this.queue = [];
    this.head = 0;
  }

  /**
   * Routes one command (§2.5): before connect only `connect`; after it anything but `connect`, in
   * Centrifugo's order of request fields. Returns a promise when the command completes later.
   */
  private dispatch(cmd: Command): Promise<void> | undefined {
    if (this.state === 'connecting') {
      if (this.unusable || cmd.connect === undefined || cmd.id === 0) {
        this.disconnect(Disconnect.BadRequest);
        return undefined;
      }
      return this.timed('connect', handleConnect(this, cmd.connect, cmd.id));
    }
    if (cmd.connect !== undefined) {
      this.disconnect(Disconnect.BadRequest);
      return undefined;
    }
    const id = cmd.id;
    if (id === 0 && hasNonSendRequest(cmd)) {
      // id 0 is only valid for `send`.
      this.disconnect(Disconnect.BadRequest);
      return undefined;
    }
    if (cmd.ping !== undefined) {
      if (!hasRequest(cmd)) {
        this.disconnect(Disconnect.BadRequest);
        return undefined;
      }
      this.replyError(id, 'ping', errors.notAvailable);
      return undefined;
    }
    if (cmd.subscribe !== undefined) return this.timed('subscribe', handleSubscribe(this, cmd.subscribe, id));
    if (cmd.unsubscribe !== undefined) return this.timedSync('unsubscribe', () => handleUnsubscribe(this, cmd.unsubscribe!, id));
    if (cmd.publish !== undefined) return this.timed('publish', handlePublish(this, cmd.publish, id));
    if (cmd.presence !== undefined) return this.timed('presence', handlePresence(this, cmd.presence, id));
    if (cmd.presenceStats !== undefined) return this.timed('presence_stats', handlePresenceStats(this, cmd.presenceStats, id));
    if (cmd.history !== undefined) return this.timed('history', handleHistory(this, cmd.history, id));
    if (cmd.rpc !== undefined) {
      // Proxied methods complete later; rpc.ping and the refusals answer at once.
      const started = performance.now();
      const pending = handleRpc(this, cmd.rpc, id);
      if (pending !== undefined) return this.timed('rpc', pending);
      this.ctx.metrics.commandDuration('rpc', (performance.now() - started) / 1000);
      return undefined;
    }
    if (cmd.send !== undefined) {
      // Centrifugo has no handler for client async messages: 3508 (server.md Appendix B).
      this.disconnect(Disconnect.NotAvailable);
      return undefined;
    }
    if (cmd.refresh !== undefined) return this.timed('refresh', handleRefresh(this, cmd.refresh, id));
    if (cmd.subRefresh !== undefined) return this.timed('sub_refresh', handleSubRefresh(this, cmd.subRefresh, id));
    this.disconnect(Disconnect.BadRequest);
    return undefined;
  }

  private timed(method: string, work: Promise<void>): Promise<void> {
    const started = performance.now();
    return work.then(() => this.ctx.metrics.commandDuration(method, (performance.now() - started) / 1000));
  }

  private timedSync(method: string, work: () => void): undefined {
    const started = performance.now();
    work();
    this.ctx.metrics.commandDuration(method, (performance.now() - started) / 1000);
    return undefined;
  }

  // ---- outgoing -------------------------------------------------------------------------------

  /** Queues an encoded part; it leaves with the current batch, or at once outside one. */
  write(part: Frame): void {
    if (this.state === 'closed') return;
    this.out.push(part);
    if (this.batching === 0) this.flush();
  }

  /** Groups the writes of a synchronous section into one frame. */
  startBatch(): void {
    this.batching++;
  }

  endBatch(): void {
    if (--this.batching === 0) this.flush();
  }

  flush(): void {
    if (this.out.length === 0 || this.state === 'closed') return;
    const parts = this.out;
    this.out = [];
    this.transport.write(parts);
    if (this.transport.bufferedAmount() > this.ctx.settings.queueMaxSize) this.disconnect(Disconnect.Slow);
  }

  /** Encodes and writes one Reply; a reply that cannot be encoded for JSON closes with 3506. */
  sendReply(reply: Reply, dataAsString = false): void {
    if (this.state === 'closed') return;
    let part: Frame;
    try {
      part = this.encoding.encodeReply(reply, dataAsString);
    } catch (err) {
      if (err instanceof ProtocolEncodeError) {
        this.encodingFailed(err);
        return;
      }
      throw err;
    }
    this.write(part);
  }

  replyError(id: number, method: string, err: ProtocolError): void {
    if (this.transport.unidirectional) {
      // Unidirectional clients send nothing but connect and cannot get a Reply: its error
      // becomes a disconnect (connect_code_to_unidirectional_disconnect, else the default map).
      this.ctx.metrics.replyError(method, err.code);
      this.disconnect(uniConnectDisconnect(this.ctx.config, err), err);
      return;
    }
    const reply = messages.newReply();
    reply.id = id;
    reply.error = create(protocol.ErrorSchema, { code: err.code, message: err.message, temporary: err.temporary === true });
    this.ctx.metrics.replyError(method, err.code);
    this.sendReply(reply);
  }

  sendPush(push: Push): void {
    const reply = messages.newReply();
    reply.push = push;
    this.sendReply(reply);
  }

  /** Unsubscribe push (§4.3) for a subscription the server ended. */
  pushUnsubscribe(channel: string, u: UnsubscribeReason): void {
    const push = messages.newPush();
    push.channel = channel;
    push.unsubscribe = create(protocol.UnsubscribeSchema, { code: u.code, reason: u.reason });
    this.ctx.metrics.serverUnsubscribe(u.code);
    this.sendPush(push);
  }

  encodingFailed(err: ProtocolEncodeError): void {
    this.ctx.logger.debug({ client: this.id, err }, 'cannot encode for this connection');
    this.disconnect(err.disconnectCode === Disconnect.InappropriateProtocol.code ? Disconnect.InappropriateProtocol : Disconnect.InternalServerError);
  }

  joinTopic(topic: string): void {
    if (this.state === 'closed') return;
    // Anything written before must leave before the topic's messages.
    this.flush();
    const native = this.transport.topics;
    if (native) native.subscribe(topic);
    else this.ctx.localTopics.join(topic, this);
  }

  leaveTopic(topic: string): void {
    if (this.state === 'closed') return;
    const native = this.transport.topics;
    if (native) native.unsubscribe(topic);
    else this.ctx.localTopics.leave(topic, this);
  }

  /** Bytes waiting in the transport for this connection. */
  bufferedAmount(): number {
    if (this.state === 'closed') return 0;
    return this.transport.bufferedAmount();
  }

  // ---- timers ---------------------------------------------------------------------------------

  /** Recomputes the earliest subscription expiry to watch (after subscribe, refresh, removal). */
  subExpiryChanged(now = Date.now()): void {
    let due = 0;
    for (const s of this.subs.values()) {
      if (s.expireAt <= 0 || s.refreshInFlight) continue;
      const at = s.expireAt * 1000 + this.ctx.settings.expiredSubCloseDelayMs;
      if (due === 0 || at < due) due = at;
    }
    this.subExpiryDue = due;
    this.reschedule(now);
  }

  /** Connection expiry changed (connect, refresh, server refresh). */
  expiryChanged(now = Date.now()): void {
    this.reschedule(now);
  }

  onWheel(now: number): void {
    if (this.state === 'closed') return;
    if (this.state === 'connecting') {
      if (now >= this.staleAt) {
        this.disconnect(Disconnect.Stale);
        return;
      }
      this.reschedule(now);
      return;
    }
    if (this.pongDeadline !== 0 && now >= this.pongDeadline) {
      this.disconnect(Disconnect.NoPong);
      return;
    }
    const expiryDue = this.expiryDue();
    if (expiryDue !== 0 && now >= expiryDue) {
      if (this.serverRefresh()) {
        // Server-side refresh (refresh proxy): ask the backend; its answer reschedules or closes.
        this.refreshInFlight = true;
        refreshConnectionViaProxy(this).catch((err: unknown) => {
          this.ctx.logger.error({ err, client: this.id }, 'refresh proxy handling failed');
          this.disconnect(Disconnect.InternalServerError);
        });
      } else {
        this.disconnect(Disconnect.Expired);
        return;
      }
    }
    if (this.subExpiryDue !== 0 && now >= this.subExpiryDue) {
      this.expireSubscriptions(now);
      if (this.closed) return;
    }
    const s = this.ctx.settings;
    const interval = this.pingIntervalMs();
    if (interval > 0 && this.nextPingAt !== 0 && now >= this.nextPingAt) {
      this.nextPingAt = now + interval;
      const native = this.transport.nativePing;
      if (native) {
        native();
        this.pongDeadline = now + (s.pongTimeoutMs > 0 ? s.pongTimeoutMs : NATIVE_PONG_WAIT_MS);
      } else {
        this.write(this.encoding.pingFrame);
        this.pingOutstanding = true;
        // Unidirectional clients never answer pings (§2.6).
        if (s.pongTimeoutMs > 0 && !this.transport.unidirectional) this.pongDeadline = now + s.pongTimeoutMs;
      }
    }
    this.reschedule(now);
  }

  /**
   * Application pings use client.ping_interval; native ping frames (`cf_ws_frame_ping_pong`) use
   * it too, or Centrifugo's 25 s when application pings are off.
   */
  private pingIntervalMs(): number {
    const ms = this.ctx.settings.pingIntervalMs;
    if (this.transport.nativePing) return ms > 0 ? ms : NATIVE_PING_INTERVAL_MS;
    return ms;
  }

  /** A pong frame answered a native ping. */
  onNativePong(): void {
    if (this.state !== 'connected' || this.pongDeadline === 0) return;
    this.pongDeadline = 0;
    this.reschedule(Date.now());
  }

  /**
   * When the connection's expiry must be acted on (0: never, or a refresh is in flight): with
   * server-side refresh at `expire_at` itself (the backend is asked then, as centrifuge does),
   * with client-side refresh after expired_close_delay more (time for the client's refresh).
   */
  private expiryDue(): number {
    if (this.expireAt <= 0 || this.refreshInFlight) return 0;
    return this.serverRefresh() ? this.expireAt * 1000 : this.expireAt * 1000 + this.ctx.settings.expiredCloseDelayMs;
  }

  private serverRefresh(): boolean {
    return !this.clientSideRefresh && this.ctx.settings.refreshProxy;
  }

  private expireSubscriptions(now: number): void {
    const delay = this.ctx.settings.expiredSubCloseDelayMs;
    for (const sub of [...this.subs.values()]) {
      if (sub.expireAt <= 0 || sub.refreshInFlight || now < sub.expireAt * 1000 + delay) continue;
      if (!sub.spec.clientSideRefresh && sub.spec.options.sub_refresh_proxy_enabled) {
        // The server refreshes this subscription through the sub_refresh proxy.
        sub.refreshInFlight = true;
        refreshSubscriptionViaProxy(this, sub).catch((err: unknown) => {
          this.ctx.logger.error({ err, client: this.id, channel: sub.channel }, 'sub_refresh proxy handling failed');
          this.disconnect(Disconnect.InternalServerError);
        });
        continue;
      }
      if (sub.serverSide) {
        this.disconnect(Disconnect.SubExpired);
        return;
      }
      sub.serverUnsubscribe(Unsubscribe.SubscriptionExpired);
    }
    this.subExpiryChanged(now);
  }

  private reschedule(now: number): void {
    if (this.state === 'closed') return;
    let due = Number.POSITIVE_INFINITY;
    if (this.state === 'connecting') {
      due = this.staleAt;
    } else {
      if (this.nextPingAt !== 0) due = Math.min(due, this.nextPingAt);
      if (this.pongDeadline !== 0) due = Math.min(due, this.pongDeadline);
      const expiryDue = this.expiryDue();
      if (expiryDue !== 0) due = Math.min(due, expiryDue);
      if (this.subExpiryDue !== 0) due = Math.min(due, this.subExpiryDue);
    }
    if (due === Number.POSITIVE_INFINITY) {
      this.ctx.wheel.cancel(this);
      return;
    }
    this.ctx.wheel.schedule(this, Math.max(due, now));
  }
}

function hasRequest(c: Command): boolean {
  return (
    c.subscribe !== undefined ||
    c.unsubscribe !== undefined ||
    c.publish !== undefined ||
    c.presence !== undefined ||
    c.presenceStats !== undefined ||
    c.history !== undefined ||
    c.rpc !== undefined ||
    c.send !== undefined ||
    c.refresh !== undefined ||
    c.subRefresh !== undefined
  );
}

function hasNonSendRequest(c: Command): boolean {
  return (
    c.subscribe !== undefined ||
    c.unsubscribe !== undefined ||
    c.publish !== undefined ||
    c.presence !== undefined ||
    c.presenceStats !== undefined ||
    c.history !== undefined ||
    c.rpc !== undefined ||
    c.refresh !== undefined ||
    c.subRefresh !== undefined ||
    c.ping !== undefined
  );
}
