// The history store: per-channel publication streams with offsets and epochs, idempotent and
// versioned appends. Semantics follow centrifuge's Broker (broker.go, broker_memory.go) and the
// Redis engine's Lua scripts (server.md §3.3), so that recovery behaves as with Centrifugo.
// test/history_contract.ts is the executable form of this contract; every implementation runs it.
import { StoreError } from './errors.js';
import type { ClientInfoRecord, StreamPosition } from './records.js';

export type { ClientInfoRecord, StreamPosition } from './records.js';

export interface StoredPublication {
  /** Position in the channel's stream; 0n for a publication in a channel without history. */
  offset: bigint;
  /** The payload, byte-exact. Stores keep a reference: callers must not mutate it afterwards. */
  data: Uint8Array;
  /** Publisher's client info (publications made by clients). */
  info?: ClientInfoRecord;
  tags?: Record<string, string>;
  /** Publish time, Unix ms. addPublication fills it from the store's clock when absent. */
  time?: bigint;
  /** The publisher asked for delta (fossil) delivery of this publication. */
  delta?: boolean;
}

export interface AddPublicationOptions {
  /**
   * Publications kept for the channel. With historySize <= 0 or historyTtlMs <= 0 the channel keeps
   * no stream: the publication gets offset 0n, the result position is {offset: 0n, epoch: ''}, no
   * stream meta is created or touched and `version` is ignored (Centrifugo broadcasts such a
   * publication without a position). The idempotency key still applies.
   */
  historySize: number;
  /** Publications expire together this long after the latest append (Redis EXPIRE on the stream). */
  historyTtlMs: number;
  /**
   * How long the stream meta (epoch, top offset, last version) lives after the last append or history
   * read; 0 means the store's default (Centrifugo: `channel.history_meta_ttl`, 720h). When the meta
   * expires the stream is gone: the next append starts a new epoch at offset 1.
   */
  historyMetaTtlMs: number;
  /**
   * Per-channel key: an append with a key seen within idempotentResultTtlMs is not appended again;
   * the result is the first append's position with suppressed: true, suppressReason 'idempotency'.
   */
  idempotencyKey?: string;
  /** How long an idempotency key is remembered; 0/absent means 5 minutes (Centrifugo's default). */
  idempotentResultTtlMs?: number;
  /**
   * When > 0n (history channels only): an append whose version is <= the channel's last accepted
   * version is suppressed (suppressReason 'version', the result carries the current top), unless
   * `versionEpoch` is non-empty and differs from the epoch stored with that version. An accepted
   * append stores its version and versionEpoch. Appends without a version do not change them.
   */
  version?: bigint;
  versionEpoch?: string;
  /** Also return the publication preceding this one (the delta base), if it is still in history. */
  useDelta?: boolean;
}

export interface AddPublicationResult {
  /**
   * For an accepted append to a history channel: the new top (the publication's offset and the
   * epoch). Suppressed: the cached first result (idempotency) or the current top (version).
   * Without history: {offset: 0n, epoch: ''}.
   */
  position: StreamPosition;
  /**
   * The publication as stored (offset and time set): present exactly when it was accepted, i.e. it
   * must be broadcast. Absent when suppressed.
   */
  publication?: StoredPublication;
  /** With useDelta: the previous publication of the stream, when there is one in history. */
  previous?: StoredPublication;
  suppressed: boolean;
  suppressReason?: 'idempotency' | 'version';
}

export interface HistoryFilter {
  /**
   * Forward: publications strictly after since.offset (from the oldest retained one when since.offset
   * is older than what history still has; none when since.offset >= top).
   * Reverse: publications strictly before since.offset, newest first (none when since.offset - 1 is no
   * longer in history or is above top). since.offset 0n with reverse is a bad request
   * (InvalidHistoryFilterError). A non-empty since.epoch that differs from the stream's epoch fails
   * with UnrecoverablePositionError; an empty one skips the check.
   */
  since?: StreamPosition;
  /** 0: no publications, only the position. -1: no limit. N > 0: at most N. */
  limit: number;
  /** Newest first. Without `since` it starts from the top. */
  reverse: boolean;
}

export interface HistoryOptions {
  /** Refreshes the stream meta TTL (0: the store's default). Reads keep a stream's epoch alive. */
  metaTtlMs: number;
}

export interface HistoryResult {
  /** The stream top: the latest offset (0n if nothing was ever appended) and the epoch. */
  position: StreamPosition;
  /** In stream order (ascending offsets), or descending with `reverse`. */
  publications: StoredPublication[];
}

/**
 * What every history store guarantees, per channel:
 * - Offsets start at 1 and grow by exactly 1 per accepted append to a history channel; suppressed
 *   appends and appends without history take no offset. Concurrent appends get distinct offsets.
 * - The epoch is 8 random letters [a-zA-Z]. It is created by the first append or history read of a
 *   channel that has no stream meta, and stays until the meta expires (historyMetaTtlMs after the
 *   last append or read). A new epoch restarts offsets at 1.
 * - At most historySize publications are kept (the oldest are trimmed); all of them expire
 *   historyTtlMs after the latest append, while the meta (epoch, top) outlives them.
 * - removeHistory drops the publications but keeps the meta, so clients keep their position
 *   (server.md §1.4 history_remove); appends continue from the same top in the same epoch.
 * - Reading history never changes the top offset.
 */
export interface HistoryStore {
  addPublication(channel: string, pub: Omit<StoredPublication, 'offset'>, opts: AddPublicationOptions): Promise<AddPublicationResult>;
  history(channel: string, filter: HistoryFilter, opts: HistoryOptions): Promise<HistoryResult>;
  removeHistory(channel: string): Promise<void>;
  /** Releases resources; later calls reject with StoreClosedError. Idempotent. */
  close(): Promise<void>;
}

/** since.epoch does not match the stream (Centrifugo error 112). Carries the current top for recovery replies. */
export class UnrecoverablePositionError extends StoreError {
  constructor(readonly position: StreamPosition) {
    super('unrecoverable position');
  }
}

/** A filter Centrifugo rejects as a bad request (reverse with since.offset 0, a malformed limit). */
export class InvalidHistoryFilterError extends StoreError {}

/** Centrifugo's default idempotent result TTL. */
export const DEFAULT_IDEMPOTENT_RESULT_TTL_MS = 5 * 60_000;
/** Centrifugo's default `channel.history_meta_ttl` (720h). */
export const DEFAULT_HISTORY_META_TTL_MS = 720 * 3600_000;

/** Throws InvalidHistoryFilterError for filters no store accepts. Shared by implementations. */
export function validateHistoryFilter(filter: HistoryFilter): void {
  if (!Number.isInteger(filter.limit) || filter.limit < -1) {
    throw new InvalidHistoryFilterError(`history limit must be -1, 0 or a positive integer, got ${filter.limit}`);
  }
  if (filter.since) {
    if (filter.since.offset < 0n) throw new InvalidHistoryFilterError('since.offset must not be negative');
    if (filter.reverse && filter.since.offset === 0n) throw new InvalidHistoryFilterError('reverse history with since.offset 0');
  }
}
