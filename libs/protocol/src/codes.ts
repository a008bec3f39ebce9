// Every code of the Centrifugal client protocol v2 (client-protocol.md §4) with its exact wire
// text. Numbers and strings here are part of the wire contract: SDKs decide whether to retry,
// resubscribe or reconnect from the numbers alone, so never renumber or reword them.

// ---------------------------------------------------------------------------------------------
// Reply errors (Reply.error, §4.1).

/** Numeric client error codes. Applications may use 400..1999 for their own. */
export const ErrorCode = {
  Internal: 100,
  Unauthorized: 101,
  UnknownChannel: 102,
  PermissionDenied: 103,
  MethodNotFound: 104,
  AlreadySubscribed: 105,
  LimitExceeded: 106,
  BadRequest: 107,
  NotAvailable: 108,
  TokenExpired: 109,
  Expired: 110,
  TooManyRequests: 111,
  UnrecoverablePosition: 112,
  ConcurrentPagination: 113,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A reply error as it goes on the wire. `temporary` is present (and true) only on errors where
 * retrying makes sense; it is omitted otherwise, exactly like the JSON encoding omits false.
 */
export interface ProtocolError {
  readonly code: number;
  readonly message: string;
  readonly temporary?: true;
}

const err = (code: number, message: string, temporary = false): ProtocolError =>
  Object.freeze(temporary ? { code, message, temporary: true as const } : { code, message });

/** Built-in client errors with their exact messages. */
export const errors = Object.freeze({
  internal: err(100, 'internal server error', true),
  unauthorized: err(101, 'unauthorized'),
  unknownChannel: err(102, 'unknown channel'),
  permissionDenied: err(103, 'permission denied'),
  methodNotFound: err(104, 'method not found'),
  alreadySubscribed: err(105, 'already subscribed'),
  limitExceeded: err(106, 'limit exceeded'),
  badRequest: err(107, 'bad request'),
  notAvailable: err(108, 'not available'),
  tokenExpired: err(109, 'token expired'),
  expired: err(110, 'expired'),
  tooManyRequests: err(111, 'too many requests', true),
  unrecoverablePosition: err(112, 'unrecoverable position'),
  concurrentPagination: err(113, 'concurrent pagination', true),
});

/** First application-defined error code (0..399 are reserved). */
export const APP_ERROR_CODE_MIN = 400;
/** Last application-defined error code. */
export const APP_ERROR_CODE_MAX = 1999;

/**
 * The JS SDK's rule for retrying after an error reply: client-local codes (< 100), temporary
 * errors, and 109 (token expired: the SDK fetches a new token first).
 */
export function isRetryableError(code: number, temporary = false): boolean {
  return code < 100 || temporary || code === ErrorCode.TokenExpired;
}

// ---------------------------------------------------------------------------------------------
// Server API errors (server.md §1.5): same numbers, some different texts.

export const apiErrors = Object.freeze({
  internal: err(100, 'internal server error'),
  unknownChannel: err(102, 'unknown channel'),
  notFound: err(104, 'not found'),
  badRequest: err(107, 'bad request'),
  notAvailable: err(108, 'not available'),
  unrecoverablePosition: err(112, 'unrecoverable position'),
  conflict: err(113, 'conflict'),
});

// ---------------------------------------------------------------------------------------------
// Disconnects (§4.2). Sent as the WebSocket close code + reason, or as a Disconnect push on
// emulated / unidirectional transports. Clients reconnect unless the code is in 3500..3999 or
// 4500..4999; the Disconnect push `reconnect` flag is never set by v2 servers, which is why the
// objects below carry only code and reason (see disconnectReconnects for the semantics).

/** Numeric disconnect codes. */
export const DisconnectCode = {
  /** Internal marker: the client went away. Never sent (no close frame, no push). */
  ConnectionClosed: 3000,
  Shutdown: 3001,
  InternalServerError: 3004,
  Expired: 3005,
  SubExpired: 3006,
  Slow: 3008,
  WriteError: 3009,
  InsufficientState: 3010,
  ForceReconnect: 3011,
  NoPong: 3012,
  TooManyRequests: 3013,
  StateInvalidated: 3014,
  InvalidToken: 3500,
  BadRequest: 3501,
  Stale: 3502,
  ForceNoReconnect: 3503,
  ConnectionLimit: 3504,
  ChannelLimit: 3505,
  InappropriateProtocol: 3506,
  PermissionDenied: 3507,
  NotAvailable: 3508,
  TooManyErrors: 3509,
} as const;
export type DisconnectCode = (typeof DisconnectCode)[keyof typeof DisconnectCode];

export interface DisconnectReason {
  readonly code: number;
  readonly reason: string;
}

const dis = (code: number, reason: string): DisconnectReason => Object.freeze({ code, reason });

/** Built-in disconnects with their exact reason strings. */
export const Disconnect = Object.freeze({
  /** Never sent; marks a close the client initiated. */
  ConnectionClosed: dis(3000, 'connection closed'),
  // 3000..3499: the client reconnects.
  Shutdown: dis(3001, 'shutdown'),
  InternalServerError: dis(3004, 'internal server error'),
  Expired: dis(3005, 'connection expired'),
  SubExpired: dis(3006, 'subscription expired'),
  Slow: dis(3008, 'slow'),
  WriteError: dis(3009, 'write error'),
  InsufficientState: dis(3010, 'insufficient state'),
  ForceReconnect: dis(3011, 'force reconnect'),
  NoPong: dis(3012, 'no pong'),
  TooManyRequests: dis(3013, 'too many requests'),
  StateInvalidated: dis(3014, 'state invalidated'),
  // 3500..3999: terminal, the client does not reconnect.
  InvalidToken: dis(3500, 'invalid token'),
  BadRequest: dis(3501, 'bad request'),
  Stale: dis(3502, 'stale'),
  ForceNoReconnect: dis(3503, 'force disconnect'),
  ConnectionLimit: dis(3504, 'connection limit'),
  ChannelLimit: dis(3505, 'channel limit'),
  InappropriateProtocol: dis(3506, 'inappropriate protocol'),
  PermissionDenied: dis(3507, 'permission denied'),
  NotAvailable: dis(3508, 'not available'),
  TooManyErrors: dis(3509, 'too many errors'),
});

/**
 * Whether a client reconnects after this disconnect code (the SDK rule): no for 3500..3999 and
 * 4500..4999 (terminal), yes for everything else, including transport codes < 3000 and >= 5000.
 */
export function disconnectReconnects(code: number): boolean {
  return !((code >= 3500 && code <= 3999) || (code >= 4500 && code <= 4999));
}

/** Application-defined disconnect ranges. */
export const APP_DISCONNECT_RECONNECT = Object.freeze({ min: 4000, max: 4499 });
export const APP_DISCONNECT_TERMINAL = Object.freeze({ min: 4500, max: 4999 });

/**
 * Unidirectional transports cannot carry a connect error reply, so a connect error becomes a
 * disconnect (§4.2): 109/110 → 3005, 111 → 3013, 103 → 3507, anything else → 3004.
 */
export function uniDisconnectForConnectError(code: number): DisconnectReason {
  switch (code) {
    case ErrorCode.TokenExpired:
    case ErrorCode.Expired:
      return Disconnect.Expired;
    case ErrorCode.TooManyRequests:
      return Disconnect.TooManyRequests;
    case ErrorCode.PermissionDenied:
      return Disconnect.PermissionDenied;
    default:
      return Disconnect.InternalServerError;
  }
}

/** WebSocket-level close codes the protocol refers to (below 3000: "transport closed"). */
export const WsCloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** Abnormal closure (no close frame); never sent by a server, seen by clients. */
  Abnormal: 1006,
  /** Message over websocket.message_size_limit; the JS SDK treats it as terminal. */
  MessageTooBig: 1009,
} as const;
export type WsCloseCode = (typeof WsCloseCode)[keyof typeof WsCloseCode];

// ---------------------------------------------------------------------------------------------
// Unsubscribe push codes (§4.3). >= 2500: the client resubscribes; < 2500: terminal.

export const UnsubscribeCode = {
  /** Internal only, never sent. */
  ClientUnsubscribed: 0,
  /** Internal only, never sent. */
  ClientDisconnected: 1,
  ServerUnsubscribe: 2000,
  InsufficientState: 2500,
  SubscriptionExpired: 2501,
  StateInvalidated: 2502,
} as const;
export type UnsubscribeCode = (typeof UnsubscribeCode)[keyof typeof UnsubscribeCode];

export interface UnsubscribeReason {
  readonly code: number;
  readonly reason: string;
}

const unsub = (code: number, reason: string): UnsubscribeReason => Object.freeze({ code, reason });

export const Unsubscribe = Object.freeze({
  ClientUnsubscribed: unsub(0, 'client unsubscribed'),
  ClientDisconnected: unsub(1, 'client disconnected'),
  ServerUnsubscribe: unsub(2000, 'server unsubscribe'),
  InsufficientState: unsub(2500, 'insufficient state'),
  SubscriptionExpired: unsub(2501, 'subscription expired'),
  StateInvalidated: unsub(2502, 'state invalidated'),
});

/** Whether the client resubscribes after this unsubscribe push code. */
export function unsubscribeResubscribes(code: number): boolean {
  return code >= 2500;
}

/** Application-defined unsubscribe ranges (library-reserved: 0..2099 and 2500..2599). */
export const APP_UNSUBSCRIBE_TERMINAL = Object.freeze({ min: 2100, max: 2499 });
export const APP_UNSUBSCRIBE_RESUBSCRIBE = Object.freeze({ min: 2600, max: 2999 });
