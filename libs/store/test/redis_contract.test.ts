// The HistoryStore and PresenceStore contracts, unchanged, against the Redis stores on a real
// redis-server (TTLs pass in real time: advance() sleeps).
import { after, before } from 'node:test';
import { sleep, startRedisServer, type ServerHandle } from '@gyre/testing';
import { RedisHistoryStore, RedisPresenceStore } from '../src/index.js';
import { runHistoryContract } from './history_contract.js';
import { runPresenceContract } from './presence_contract.js';

let redis: ServerHandle;
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis?.stop();
});

async function ready(store: RedisHistoryStore | RedisPresenceStore): Promise<void> {
  await store.connection.waitReady(5000);
}

runHistoryContract('history-redis', async () => {
  const store = new RedisHistoryStore({ address: redis.url, prefix: 'contract' });
  await ready(store);
  return { store, advance: sleep };
});

runPresenceContract('presence-redis', async () => {
  const store = new RedisPresenceStore({ address: redis.url, prefix: 'contract', presenceTtlMs: 1000 });
  await ready(store);
  return { store, advance: sleep, defaultTtlMs: 1000 };
});

runPresenceContract('presence-redis (user mapping)', async () => {
  const store = new RedisPresenceStore({ address: redis.url, prefix: 'contract-um', presenceTtlMs: 1000, userMapping: true });
  await ready(store);
  return { store, advance: sleep, defaultTtlMs: 1000 };
});
