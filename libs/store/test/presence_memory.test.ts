import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, MemoryPresenceStore } from '../src/index.js';
import { runPresenceContract } from './presence_contract.js';

runPresenceContract('presence-memory', async () => {
  const clock = new ManualClock();
  return { store: new MemoryPresenceStore({ clock, presenceTtlMs: 1000 }), advance: async (ms) => clock.advance(ms), defaultTtlMs: 1000 };
});

test('presence-memory - the default TTL is Centrifugo\'s 60 s', async () => {
  const clock = new ManualClock();
  const store = new MemoryPresenceStore({ clock });
  try {
    await store.addPresence('ch', 'c1', { user: 'u', client: 'c1' });
    clock.advance(59_000);
    assert.equal((await store.presence('ch')).size, 1);
    clock.advance(1_000);
    assert.equal((await store.presence('ch')).size, 0);
  } finally {
    await store.close();
  }
});

test('presence-memory - expired entries and empty channels are swept away (bounded memory)', async () => {
  const clock = new ManualClock();
  const store = new MemoryPresenceStore({ clock });
  try {
    for (let c = 0; c < 100; c++) {
      for (let i = 0; i < 10; i++) await store.addPresence(`ch${c}`, `client${i}`, { user: `u${i}`, client: `client${i}` }, 1000);
    }
    assert.deepEqual(store.stats(), { channels: 100, entries: 1000 });
    // Half the clients keep refreshing; the rest go silent.
    for (let round = 0; round < 3; round++) {
      clock.advance(700);
      for (let c = 0; c < 50; c++) await store.addPresence(`ch${c}`, 'client0', { user: 'u0', client: 'client0' }, 1000);
      store.sweep();
    }
    assert.deepEqual(store.stats(), { channels: 50, entries: 50 });
    clock.advance(2000);
    store.sweep();
    assert.deepEqual(store.stats(), { channels: 0, entries: 0 });
  } finally {
    await store.close();
  }
});

test('presence-memory - removing the last entry drops the channel', async () => {
  const store = new MemoryPresenceStore();
  try {
    await store.addPresence('ch', 'c1', { user: 'u', client: 'c1' });
    await store.removePresence('ch', 'c1', 'u');
    assert.deepEqual(store.stats(), { channels: 0, entries: 0 });
  } finally {
    await store.close();
  }
});

test('presence-memory - the background sweep runs on its own with the system clock', async () => {
  const store = new MemoryPresenceStore({ sweepIntervalMs: 10 });
  try {
    await store.addPresence('ch', 'c1', { user: 'u', client: 'c1' }, 20);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(store.stats(), { channels: 0, entries: 0 });
  } finally {
    await store.close();
  }
});
