// Typed failures of the client frame codecs. Callers map them to protocol outcomes:
// a ProtocolDecodeError on an incoming frame means disconnect 3501 (bad request); a
// ProtocolEncodeError on an outgoing JSON frame means disconnect 3506 (inappropriate protocol),
// typically binary data published to a channel that has JSON subscribers.

/** An incoming frame is not a valid sequence of protocol messages. Never retried. */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';
  /** Byte offset in the frame where decoding failed, when known (-1 otherwise). */
  readonly offset: number;

  constructor(message: string, offset = -1, options?: { cause?: unknown }) {
    super(offset >= 0 ? `${message} (at byte ${offset})` : message, options);
    this.offset = offset;
  }
}

/** An outgoing message cannot be represented in the connection's protocol. */
export class ProtocolEncodeError extends Error {
  override readonly name = 'ProtocolEncodeError';
  /** The disconnect code the caller should close the connection with. */
  readonly disconnectCode: number;

  constructor(message: string, disconnectCode = 3506, options?: { cause?: unknown }) {
    super(message, options);
    this.disconnectCode = disconnectCode;
  }
}
