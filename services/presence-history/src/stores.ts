/**
 * The stores this service owns, built from `gyre.store`: in-process memory (embedded mode, like
 * Centrifugo's memory engine) or Redis (cluster mode), with Centrifugo's engine options
 * (`engine.redis.*`, `channel.history_meta_ttl`) where Gyre has no key of its own.
 */
import type { GyreConfig } from '@gyre/config';
import type { Logger } from '@gyre/observability';
import {
  DEFAULT_HISTORY_META_TTL_MS,
  DEFAULT_PRESENCE_TTL_MS,
  MemoryHistoryStore,
  MemoryPresenceStore,
  RedisConnection,
  RedisHistoryStore,
  RedisPresenceStore,
  isPingable,
  type HistoryStore,
  type PresenceStore,
} from '@gyre/store';

export interface Stores {
  history: HistoryStore;
  presence: PresenceStore;
  /** Resolves when every store can serve requests (Redis answers PING); rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function storesOf(history: HistoryStore, presence: PresenceStore, owned: boolean, onClose?: () => Promise<void>): Stores {
  return {
    history,
    presence,
    async ping() {
      await Promise.all([history, presence].map((s) => (isPingable(s) ? s.ping() : undefined)));
    },
    async close() {
      if (owned) await Promise.all([history.close(), presence.close()]);
      await onClose?.();
    },
  };
}

/** How long start waits for Redis before going on unready (it keeps reconnecting in the background). */
const REDIS_START_WAIT_MS = 2000;

export async function createStores(config: GyreConfig, logger: Logger): Promise<Stores> {
  const metaTtlMs = config.channel.history_meta_ttl > 0 ? config.channel.history_meta_ttl : DEFAULT_HISTORY_META_TTL_MS;
  const store = config.gyre.store;
  switch (store.type) {
    case 'memory':
      return storesOf(
        new MemoryHistoryStore({ defaultMetaTtlMs: metaTtlMs }),
        new MemoryPresenceStore({ presenceTtlMs: DEFAULT_PRESENCE_TTL_MS }),
        true,
      );
    case 'redis': {
      const engine = config.engine.redis;
      if (engine.history_use_lists) {
        throw new Error('engine.redis.history_use_lists: LIST history is not supported by Gyre; use Redis streams (the default)');
      }
      if (engine.presence_hash_field_ttl) {
        logger.warn('engine.redis.presence_hash_field_ttl is not supported: presence uses the hash + sorted set layout');
      }
      // One connection for both stores: the presence and history scripts share its order.
      const connection = new RedisConnection({
        address: store.redis.address,
        connectTimeoutMs: engine.connect_timeout,
        commandTimeoutMs: engine.io_timeout,
        ...(engine.client_name ? { clientName: engine.client_name } : {}),
      });
      try {
        await connection.waitReady(REDIS_START_WAIT_MS);
      } catch {
        logger.warn({ address: store.redis.address }, 'redis not reachable yet: presence-history starts unready and keeps reconnecting');
      }
      return storesOf(
        new RedisHistoryStore({ connection, prefix: engine.prefix, defaultMetaTtlMs: metaTtlMs }),
        new RedisPresenceStore({ connection, prefix: engine.prefix, presenceTtlMs: engine.presence_ttl, userMapping: engine.presence_user_mapping }),
        true,
        () => connection.close(),
      );
    }
    default:
      throw new Error(`gyre.store.type ${JSON.stringify(store.type)} is not supported`);
  }
}
