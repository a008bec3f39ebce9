// Errors shared by every store.

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Any call on a store after close(). */
export class StoreClosedError extends StoreError {
  constructor(what = 'store') {
    super(`${what} is closed`);
  }
}

/**
 * The store's backend cannot serve right now: Redis is unreachable or did not answer within its
 * timeout, or (over the bus) the request timed out, nobody serves `<prefix>.state.*`, the bus is
 * closed, or the service reported that its store is down. Temporary by nature: callers reply error
 * 100 (internal, temporary) and clients retry.
 */
export class StoreUnavailableError extends StoreError {
  /** The client-protocol error code callers answer with (100, internal). */
  readonly code = 100;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
