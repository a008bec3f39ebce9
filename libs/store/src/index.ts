export { ManualClock, systemClock, type Clock } from './clock.js';
export { EPOCH_LENGTH, generateEpoch } from './epoch.js';
export { StoreClosedError, StoreError } from './errors.js';
export type { ClientInfoRecord, StreamPosition } from './records.js';
export {
  DEFAULT_HISTORY_META_TTL_MS,
  DEFAULT_IDEMPOTENT_RESULT_TTL_MS,
  InvalidHistoryFilterError,
  UnrecoverablePositionError,
  validateHistoryFilter,
  type AddPublicationOptions,
  type AddPublicationResult,
  type HistoryFilter,
  type HistoryOptions,
  type HistoryResult,
  type HistoryStore,
  type StoredPublication,
} from './history.js';
export { MemoryHistoryStore, type MemoryHistoryStoreOptions } from './history_memory.js';
export { DEFAULT_PRESENCE_TTL_MS, type PresenceStats, type PresenceStore } from './presence.js';
export { MemoryPresenceStore, type MemoryPresenceStoreOptions } from './presence_memory.js';
