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
