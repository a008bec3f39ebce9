export { ManualClock, systemClock, type Clock } from './clock.js';
export { EPOCH_LENGTH, generateEpoch } from './epoch.js';
export { StoreClosedError, StoreError, StoreUnavailableError } from './errors.js';
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
export { isPingable, type PingableStore } from './ping.js';
export {
  STATE_OPS,
  STATE_QUEUE,
  channelPublicationMessage,
  clientInfoFromProto,
  clientInfoToProto,
  positionFromProto,
  positionToProto,
  publicationFromProto,
  publicationToProto,
  stateSubject,
  stateWildcardSubject,
  type ChannelPublicationInput,
  type StateOp,
  type StateOpCase,
} from './state_protocol.js';
export {
  BusHistoryStore,
  BusPresenceStore,
  DEFAULT_STATE_TIMEOUT_MS,
  StateServiceError,
  pingStateService,
  storeErrorToProtocolError,
  type PresenceEntryInput,
  type PublicationInput,
  type PublishOptions,
  type PublishResult,
  type StateClientOptions,
} from './state_client.js';
export { LuaScript, RedisConnection, type RedisConnectionOptions } from './redis_connection.js';
export { RedisHistoryStore, type RedisHistoryStoreOptions } from './history_redis.js';
export { RedisPresenceStore, type RedisPresenceStoreOptions } from './presence_redis.js';
