// The cluster shape end to end: the HistoryStore and PresenceStore contracts, unchanged, against
// BusHistoryStore / BusPresenceStore through a real nats-server, served by presence-history with
// `gyre.store.type: redis` on a real redis-server (TTLs pass in real time).
import { after, before } from 'node:test';
import { sleep, startNatsServer, startRedisServer, type ServerHandle } from '@gyre/testing';
import type { GyreConfig } from '@gyre/config';
import { runHistoryContract } from '../../../libs/store/test/history_contract.js';
import { runPresenceContract } from '../../../libs/store/test/presence_contract.js';
import { startStack } from './fixtures/stack.js';

let nats: ServerHandle;
let redis: ServerHandle;
before(async () => {
  [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
});
after(async () => {
  await Promise.all([nats?.stop(), redis?.stop()]);
});

function redisStore(config: GyreConfig): void {
  config.gyre.store.type = 'redis';
  config.gyre.store.redis.address = redis.url;
  config.engine.redis.presence_ttl = 1000;
}

runHistoryContract('state-history (nats + redis)', async () => {
  const stack = await startStack({ type: 'nats', url: nats.url }, { stores: 'config', configure: redisStore });
  return { store: stack.history, advance: sleep, dispose: () => stack.stop() };
});

runPresenceContract('state-presence (nats + redis)', async () => {
  const stack = await startStack({ type: 'nats', url: nats.url }, { stores: 'config', configure: redisStore });
  return { store: stack.presence, advance: sleep, defaultTtlMs: 1000, dispose: () => stack.stop() };
});
