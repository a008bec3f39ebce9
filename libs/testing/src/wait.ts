// Small awaitable helpers for tests that watch event emitters and conditions.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listeners of any emitter's events
type AnyListener = (...args: any[]) => void;

/** Anything with once()/removeListener() (node EventEmitter, centrifuge's Centrifuge and Subscription). */
export interface EmitterLike {
  once(event: string, listener: AnyListener): unknown;
  removeListener(event: string, listener: AnyListener): unknown;
}

/** Anything with on()/removeListener(). */
export interface ListenableLike {
  on(event: string, listener: AnyListener): unknown;
  removeListener(event: string, listener: AnyListener): unknown;
}

export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
    this.name = 'WaitTimeoutError';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the first argument of the next `name` event; rejects with WaitTimeoutError after timeoutMs (default 5 s). */
export function waitForEvent<T = unknown>(emitter: EmitterLike, name: string, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (arg: T): void => {
      clearTimeout(timer);
      resolve(arg);
    };
    const timer = setTimeout(() => {
      emitter.removeListener(name, listener);
      reject(new WaitTimeoutError(`event "${name}"`, timeoutMs));
    }, timeoutMs);
    emitter.once(name, listener);
  });
}

/**
 * Collects the first argument of the next `n` `name` events, in order. Rejects with
 * WaitTimeoutError (saying how many arrived) when they do not all come within timeoutMs (default 5 s).
 */
export function collect<T = unknown>(emitter: ListenableLike, name: string, n: number, timeoutMs = 5000): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const got: T[] = [];
    if (n <= 0) {
      resolve(got);
      return;
    }
    const listener = (arg: T): void => {
      got.push(arg);
      if (got.length === n) {
        clearTimeout(timer);
        emitter.removeListener(name, listener);
        resolve(got);
      }
    };
    const timer = setTimeout(() => {
      emitter.removeListener(name, listener);
      reject(new WaitTimeoutError(`${n} "${name}" events (got ${got.length})`, timeoutMs));
    }, timeoutMs);
    emitter.on(name, listener);
  });
}

/** Polls `predicate` every intervalMs until it returns truthy; rejects with WaitTimeoutError after timeoutMs (default 5 s). */
export async function waitFor<T>(predicate: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 20, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs);
    await sleep(intervalMs);
  }
}
