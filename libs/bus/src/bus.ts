// The bus: how Gyre services meet. Subjects, wildcards, queue groups and request/reply follow NATS
// semantics, so the in-process implementation (bus_memory.ts, embedded mode) and the NATS one
// (bus_nats.ts, cluster mode) are interchangeable. test/bus_contract.ts is the executable form of the
// contract below; every implementation runs it.

/** One delivered message. */
export interface BusMessage {
  /** The concrete subject the message was published to (never a wildcard). */
  readonly subject: string;
  /**
   * The payload. Handlers must treat it as read-only: an implementation may hand the same bytes to
   * every subscriber of one publish.
   */
  readonly data: Uint8Array;
  /**
   * Replies to a request. Returns false (and sends nothing) when the message carries no reply
   * subject, i.e. it was a plain publish. A reply to a requester that already gave up is dropped.
   */
  respond(data: Uint8Array): boolean;
}

/**
 * Called once per delivered message, never concurrently for one subscription. A handler that throws
 * does not stop the subscription: the error is reported as a `handler_error` status event.
 */
export type BusHandler = (msg: BusMessage) => void;

export interface BusSubscription {
  /** Stops delivery at once, including messages already queued for this subscription. Idempotent. */
  unsubscribe(): void;
}

export interface BusRequestOptions {
  /** The request rejects with BusTimeoutError when no reply arrived within this many ms. */
  timeoutMs: number;
}

/**
 * Connection status changes, in the order they happen:
 * - `disconnected`: the connection to the server was lost; publishes are buffered by the client
 *   (NATS) and requests will likely time out until `reconnected`.
 * - `reconnecting`: an attempt to reconnect starts (may repeat).
 * - `reconnected`: connected again; subscriptions were re-established by the implementation.
 * - `error`: an asynchronous error reported by the server or client (e.g. a permissions violation).
 * - `handler_error`: a subscription handler threw; `error` carries what it threw.
 * - `closed`: the bus is closed for good (by close() or because the client gave up).
 */
export type BusStatusType = 'disconnected' | 'reconnecting' | 'reconnected' | 'error' | 'handler_error' | 'closed';

export interface BusStatusEvent {
  readonly type: BusStatusType;
  /** Human-readable detail, e.g. the server address. */
  readonly detail?: string;
  readonly error?: unknown;
}

export type BusStatusListener = (event: BusStatusEvent) => void;

/**
 * Publish/subscribe and request/reply over NATS-style subjects.
 *
 * Subjects are `.`-separated non-empty tokens without whitespace. In subscriptions a token may be
 * `*` (exactly one token) and the last token may be `>` (one or more tokens). Publishing to a subject
 * with wildcards, or using a malformed subject anywhere, throws BusInvalidSubjectError synchronously.
 *
 * What must hold for every implementation:
 * - Delivery is asynchronous: a handler never runs inside the publish() call that caused it.
 * - At most once: a message is delivered zero or one time to each matching subscription; it is lost
 *   (not redelivered) if a subscriber is absent or the connection is down past the client's buffer.
 * - Order: messages from one publisher (one Bus instance) arrive at each subscription in publish order.
 * - Queue groups: among all subscriptions with the same queue name whose subject matches, exactly one
 *   receives each message; plain subscriptions matching the same subject each receive it as well.
 * - A message is only delivered to subscriptions that existed when the server (or hub) routed it;
 *   after flush() resolves, every earlier subscribe() of this instance is in effect.
 */
export interface Bus {
  /** Fire and forget. Throws BusClosedError after close(). The bytes are copied or sent before return. */
  publish(subject: string, data: Uint8Array): void;
  /** Subject may contain wildcards. Throws BusClosedError after close(). */
  subscribe(subject: string, handler: BusHandler): BusSubscription;
  /** Like subscribe, but one member of the queue group gets each message. */
  queueSubscribe(subject: string, queue: string, handler: BusHandler): BusSubscription;
  /**
   * Publishes `data` with a private reply subject and resolves with the first reply.
   * Rejects with BusNoRespondersError when nobody subscribes to `subject` (detected at once, without
   * waiting for the timeout), BusTimeoutError when no reply came within `timeoutMs`, BusClosedError
   * when the bus is or gets closed.
   */
  request(subject: string, data: Uint8Array, opts: BusRequestOptions): Promise<Uint8Array>;
  /** Round trip to the server (hub). Readiness probes use it; rejects when closed or disconnected long enough to time out. */
  flush(): Promise<void>;
  /** True while connected; false while reconnecting and after close(). */
  readonly isConnected: boolean;
  /** Registers a status listener; returns a function that removes it. */
  onStatus(listener: BusStatusListener): () => void;
  /**
   * Closes the connection: subscriptions end, pending requests reject with BusClosedError, later
   * calls to publish/subscribe/request throw or reject with BusClosedError. Idempotent; the returned
   * promise resolves once the connection is fully closed.
   */
  close(): Promise<void>;
}

/** Base class of every error the bus raises, so callers can tell bus failures from others. */
export class BusError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BusTimeoutError extends BusError {
  constructor(readonly subject: string, readonly timeoutMs: number) {
    super(`bus request to ${subject} timed out after ${timeoutMs} ms`);
  }
}

export class BusNoRespondersError extends BusError {
  constructor(readonly subject: string) {
    super(`no responders for bus request to ${subject}`);
  }
}

export class BusClosedError extends BusError {
  constructor(what = 'bus') {
    super(`${what} is closed`);
  }
}

export class BusInvalidSubjectError extends BusError {
  constructor(readonly subject: string, reason: string) {
    super(`invalid bus subject ${JSON.stringify(subject)}: ${reason}`);
  }
}
