// Optional capability of stores backed by a server (Redis): whether that server answers right now.
// In-process stores do not implement it; they are live while open. Checked at run time, so the
// store interfaces stay small.

export interface PingableStore {
  /** Resolves when the backing server answered a round trip; rejects otherwise (within its own timeout). */
  ping(): Promise<void>;
}

export function isPingable(store: object): store is PingableStore {
  return typeof (store as Partial<PingableStore>).ping === 'function';
}
