// The HistoryStore and PresenceStore contracts, unchanged, against BusHistoryStore /
// BusPresenceStore served by the presence-history service over the in-process bus (embedded mode).
import { runHistoryContract } from '../../../libs/store/test/history_contract.js';
import { runPresenceContract } from '../../../libs/store/test/presence_contract.js';
import { startStack } from './fixtures/stack.js';

runHistoryContract('state-history (memory bus)', async () => {
  const stack = await startStack({ type: 'memory' });
  return { store: stack.history, advance: async (ms) => stack.clock.advance(ms), dispose: () => stack.stop() };
});

runPresenceContract('state-presence (memory bus)', async () => {
  const stack = await startStack({ type: 'memory' });
  return { store: stack.presence, advance: async (ms) => stack.clock.advance(ms), defaultTtlMs: 1000, dispose: () => stack.stop() };
});
