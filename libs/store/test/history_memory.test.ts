import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, MemoryHistoryStore } from '../src/index.js';
import { runHistoryContract } from './history_contract.js';

runHistoryContract('history-memory', async () => {
  const clock = new ManualClock();
  return { store: new MemoryHistoryStore({ clock }), advance: async (ms) => clock.advance(ms) };
});

const HIST = { historySize: 10, historyTtlMs: 1000, historyMetaTtlMs: 5000 };
const data = new Uint8Array([1]);

test('history-memory - expired streams and idempotency keys are swept away (bounded memory)', async () => {
  const clock = new ManualClock();
  const store = new MemoryHistoryStore({ clock });
  try {
    for (let i = 0; i < 500; i++) {
      await store.addPublication(`ch${i}`, { data }, { ...HIST, idempotencyKey: `k${i}`, idempotentResultTtlMs: 2000 });
    }
    assert.deepEqual(store.stats(), { channels: 500, publications: 500, idempotencyKeys: 500 });
    clock.advance(1500);
    store.sweep();
    assert.deepEqual(store.stats(), { channels: 500, publications: 0, idempotencyKeys: 500 }, 'history TTL: publications gone, meta kept');
    clock.advance(1000);
    store.sweep();
    assert.equal(store.stats().idempotencyKeys, 0);
    clock.advance(3000);
    store.sweep();
    assert.deepEqual(store.stats(), { channels: 0, publications: 0, idempotencyKeys: 0 }, 'meta TTL: nothing left');
  } finally {
    await store.close();
  }
});

test('history-memory - a refreshed stream survives the sweep of its first deadline', async () => {
  const clock = new ManualClock();
  const store = new MemoryHistoryStore({ clock });
  try {
    const first = await store.addPublication('busy', { data }, HIST);
    for (let i = 0; i < 10; i++) {
      clock.advance(800);
      await store.addPublication('busy', { data }, HIST);
      store.sweep();
    }
    const h = await store.history('busy', { limit: -1, reverse: false }, { metaTtlMs: 5000 });
    assert.equal(h.position.epoch, first.position.epoch);
    assert.equal(h.position.offset, 11n);
    assert.equal(h.publications.length, 10, 'kept publications are trimmed to size, not expired');
  } finally {
    await store.close();
  }
});

test('history-memory - the background sweep runs on its own with the system clock', async () => {
  const store = new MemoryHistoryStore({ sweepIntervalMs: 10 });
  try {
    await store.addPublication('short', { data }, { historySize: 5, historyTtlMs: 20, historyMetaTtlMs: 40 });
    assert.equal(store.stats().channels, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(store.stats().channels, 0);
  } finally {
    await store.close();
  }
});

test('history-memory - a long stream with a large history keeps exact offsets while trimming', async () => {
  const clock = new ManualClock();
  const store = new MemoryHistoryStore({ clock });
  try {
    const opts = { historySize: 1000, historyTtlMs: 60_000, historyMetaTtlMs: 600_000 };
    for (let i = 1; i <= 5000; i++) await store.addPublication('long', { data: new Uint8Array([i & 255]) }, opts);
    const h = await store.history('long', { limit: -1, reverse: false }, { metaTtlMs: 0 });
    assert.equal(h.publications.length, 1000);
    assert.equal(h.publications[0]!.offset, 4001n);
    assert.equal(h.publications[999]!.offset, 5000n);
    assert.ok(h.publications.every((p, i) => p.data[0] === ((4001 + i) & 255)));
  } finally {
    await store.close();
  }
});

test('history-memory - stored publications are read-only', async () => {
  const store = new MemoryHistoryStore();
  try {
    const r = await store.addPublication('ro', { data }, HIST);
    assert.throws(() => {
      (r.publication as { offset: bigint }).offset = 99n;
    }, TypeError);
  } finally {
    await store.close();
  }
});
