// The HistoryStore and PresenceStore contracts, unchanged, against BusHistoryStore /
// BusPresenceStore served by the presence-history service through a real nats-server (cluster mode).
import { after, before } from 'node:test';
import { startNatsServer, type ServerHandle } from '@gyre/testing';
import { runHistoryContract } from '../../../libs/store/test/history_contract.js';
import { runPresenceContract } from '../../../libs/store/test/presence_contract.js';
import { startStack } from './fixtures/stack.js';

let nats: ServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(async () => {
  await nats?.stop();
});

runHistoryContract('state-history (nats)', async () => {
  const stack = await startStack({ type: 'nats', url: nats.url });
  return { store: stack.history, advance: async (ms) => stack.clock.advance(ms), dispose: () => stack.stop() };
});

runPresenceContract('state-presence (nats)', async () => {
  const stack = await startStack({ type: 'nats', url: nats.url });
  return { store: stack.presence, advance: async (ms) => stack.clock.advance(ms), defaultTtlMs: 1000, dispose: () => stack.stop() };
});
