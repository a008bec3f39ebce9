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

export function storesOf(history: HistoryStore, presence: PresenceStore, owned: boolean): Stores {
  return {
    history,
    presence,
    async ping() {
      await Promise.all([history, presence].map((s) => (isPingable(s) ? s.ping() : undefined)));
    },
    async close() {
      if (owned) await Promise.all([history.close(), presence.close()]);
    },
  };
}

export async function createStores(config: GyreConfig, _logger: Logger): Promise<Stores> {
  const metaTtlMs = config.channel.history_meta_ttl > 0 ? config.channel.history_meta_ttl : DEFAULT_HISTORY_META_TTL_MS;
  const store = config.gyre.store;
  switch (store.type) {
    case 'memory':
      return storesOf(
        new MemoryHistoryStore({ defaultMetaTtlMs: metaTtlMs }),
        new MemoryPresenceStore({ presenceTtlMs: DEFAULT_PRESENCE_TTL_MS }),
        true,
      );
    default:
      throw new Error(`gyre.store.type ${JSON.stringify(store.type)} is not supported yet`);
  }
}
