// The presence store: who is subscribed to a channel right now, with per-entry expiry.
// Semantics follow centrifuge's PresenceManager (presence.go) and the Redis presence scripts
// (server.md §3.3): entries are keyed by client id, refreshed by re-adding, and expire unless
// refreshed. test/presence_contract.ts is the executable form of this contract.
import type { ClientInfoRecord } from './records.js';

export type { ClientInfoRecord } from './records.js';

export interface PresenceStats {
  /** Live entries (connections) in the channel. */
  numClients: number;
  /** Distinct user ids among them (anonymous connections, user '', count as one user). */
  numUsers: number;
}

/**
 * What every presence store guarantees, per channel:
 * - addPresence sets or replaces the entry of `clientId` and (re)starts its TTL: the entry is
 *   visible until ttlMs after the latest add for it (default: the store's presence TTL, Centrifugo's
 *   60 s), then it is gone from presence() and presenceStats() as if removed.
 * - removePresence deletes the entry at once; removing an absent entry is not an error.
 * - presence() and presenceStats() of a channel nobody is in are an empty map and zeros.
 * - A channel whose entries all expired or were removed holds no state (bounded memory).
 */
export interface PresenceStore {
  addPresence(channel: string, clientId: string, info: ClientInfoRecord, ttlMs?: number): Promise<void>;
  /** `userId` is the entry's user; stores that track users (Redis user mapping) need it. */
  removePresence(channel: string, clientId: string, userId: string): Promise<void>;
  /** Live entries by client id. */
  presence(channel: string): Promise<Map<string, ClientInfoRecord>>;
  presenceStats(channel: string): Promise<PresenceStats>;
  /** Releases resources; later calls reject with StoreClosedError. Idempotent. */
  close(): Promise<void>;
}

/** Centrifugo's default presence TTL (`engine.redis.presence_ttl`). */
export const DEFAULT_PRESENCE_TTL_MS = 60_000;
