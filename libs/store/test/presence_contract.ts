// The PresenceStore contract (see src/presence.ts) as tests. Every implementation runs it:
//   runPresenceContract('presence-memory', async () => ({ store, advance, defaultTtlMs }));
// The harness builds the store with a short default TTL (defaultTtlMs) so a Redis run can use real
// time; advance() moves a manual clock or sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { StoreClosedError, type ClientInfoRecord, type PresenceStore } from '../src/index.js';

export interface PresenceHarness {
  store: PresenceStore;
  /** Lets `ms` of store time pass. */
  advance(ms: number): Promise<void>;
  /** The TTL the store applies when addPresence gets none (keep it under ~1 s for real-time stores). */
  defaultTtlMs: number;
  dispose?(): Promise<void>;
}

const enc = new TextEncoder();

function ch(label: string): string {
  return `contract:${label}:${randomUUID()}`;
}
function info(user: string, client: string, extra: Partial<ClientInfoRecord> = {}): ClientInfoRecord {
  return { user, client, ...extra };
}

export function runPresenceContract(name: string, makeHarness: () => Promise<PresenceHarness>): void {
  async function withStore(fn: (h: PresenceHarness) => Promise<void>): Promise<void> {
    const h = await makeHarness();
    try {
      await fn(h);
    } finally {
      await h.store.close();
      await h.dispose?.();
    }
  }

  test(`${name} - added entries are listed by client id with their info; stats count clients and users`, () =>
    withStore(async ({ store }) => {
      const channel = ch('basic');
      await store.addPresence(channel, 'c1', info('u1', 'c1', { connInfo: enc.encode('{"n":1}'), chanInfo: enc.encode('ci') }), 60_000);
      await store.addPresence(channel, 'c2', info('u1', 'c2'), 60_000);
      await store.addPresence(channel, 'c3', info('u2', 'c3'), 60_000);
      const p = await store.presence(channel);
      assert.deepEqual([...p.keys()].sort(), ['c1', 'c2', 'c3']);
      const c1 = p.get('c1')!;
      assert.equal(c1.user, 'u1');
      assert.equal(c1.client, 'c1');
      assert.deepEqual([...c1.connInfo!], [...enc.encode('{"n":1}')]);
      assert.deepEqual([...c1.chanInfo!], [...enc.encode('ci')]);
      assert.equal(p.get('c2')!.connInfo, undefined);
      assert.deepEqual(await store.presenceStats(channel), { numClients: 3, numUsers: 2 });
    }));

  test(`${name} - adding a client again replaces its entry instead of duplicating it`, () =>
    withStore(async ({ store }) => {
      const channel = ch('replace');
      await store.addPresence(channel, 'c1', info('u1', 'c1', { chanInfo: enc.encode('old') }), 60_000);
      await store.addPresence(channel, 'c1', info('u1', 'c1', { chanInfo: enc.encode('new') }), 60_000);
      const p = await store.presence(channel);
      assert.equal(p.size, 1);
      assert.deepEqual([...p.get('c1')!.chanInfo!], [...enc.encode('new')]);
      assert.deepEqual(await store.presenceStats(channel), { numClients: 1, numUsers: 1 });
    }));

  test(`${name} - removePresence deletes an entry; unknown entries and channels are fine`, () =>
    withStore(async ({ store }) => {
      const channel = ch('remove');
      await store.addPresence(channel, 'c1', info('u1', 'c1'), 60_000);
      await store.addPresence(channel, 'c2', info('u2', 'c2'), 60_000);
      await store.removePresence(channel, 'c1', 'u1');
      assert.deepEqual([...(await store.presence(channel)).keys()], ['c2']);
      assert.deepEqual(await store.presenceStats(channel), { numClients: 1, numUsers: 1 });
      await store.removePresence(channel, 'nope', 'u9');
      await store.removePresence(ch('unknown'), 'c1', 'u1');
      await store.removePresence(channel, 'c2', 'u2');
      assert.equal((await store.presence(channel)).size, 0);
      assert.deepEqual(await store.presenceStats(channel), { numClients: 0, numUsers: 0 });
    }));

  test(`${name} - an empty channel has empty presence and zero stats`, () =>
    withStore(async ({ store }) => {
      const channel = ch('empty');
      assert.equal((await store.presence(channel)).size, 0);
      assert.deepEqual(await store.presenceStats(channel), { numClients: 0, numUsers: 0 });
    }));

  test(`${name} - entries expire after their TTL unless refreshed by another add`, () =>
    withStore(async ({ store, advance }) => {
      const channel = ch('ttl');
      await store.addPresence(channel, 'stale', info('u1', 'stale'), 500);
      await store.addPresence(channel, 'fresh', info('u2', 'fresh'), 500);
      await advance(300);
      await store.addPresence(channel, 'fresh', info('u2', 'fresh'), 500);
      await advance(300);
      assert.deepEqual([...(await store.presence(channel)).keys()], ['fresh'], 'stale expired 600 ms after its add');
      assert.deepEqual(await store.presenceStats(channel), { numClients: 1, numUsers: 1 });
      await advance(300);
      assert.equal((await store.presence(channel)).size, 0, 'fresh expired 600 ms after its refresh');
      assert.deepEqual(await store.presenceStats(channel), { numClients: 0, numUsers: 0 });
      await store.addPresence(channel, 'stale', info('u1', 'stale'), 500);
      assert.deepEqual([...(await store.presence(channel)).keys()], ['stale'], 'an expired client can come back');
    }));

  test(`${name} - without a TTL argument the store's default presence TTL applies`, () =>
    withStore(async ({ store, advance, defaultTtlMs }) => {
      const channel = ch('default-ttl');
      await store.addPresence(channel, 'c1', info('u1', 'c1'));
      await advance(defaultTtlMs * 0.6);
      assert.equal((await store.presence(channel)).size, 1);
      await advance(defaultTtlMs * 0.6);
      assert.equal((await store.presence(channel)).size, 0);
    }));

  test(`${name} - channels are independent; anonymous users count as one user`, () =>
    withStore(async ({ store }) => {
      const a = ch('a');
      const b = ch('b');
      await store.addPresence(a, 'c1', info('', 'c1'), 60_000);
      await store.addPresence(a, 'c2', info('', 'c2'), 60_000);
      await store.addPresence(b, 'c1', info('u1', 'c1'), 60_000);
      assert.deepEqual(await store.presenceStats(a), { numClients: 2, numUsers: 1 });
      assert.deepEqual(await store.presenceStats(b), { numClients: 1, numUsers: 1 });
      await store.removePresence(a, 'c1', '');
      assert.equal((await store.presence(b)).size, 1);
    }));

  test(`${name} - after close() every call rejects with StoreClosedError`, async () => {
    const h = await makeHarness();
    await h.store.close();
    await h.store.close();
    const channel = ch('closed');
    await assert.rejects(h.store.addPresence(channel, 'c', info('u', 'c')), StoreClosedError);
    await assert.rejects(h.store.removePresence(channel, 'c', 'u'), StoreClosedError);
    await assert.rejects(h.store.presence(channel), StoreClosedError);
    await assert.rejects(h.store.presenceStats(channel), StoreClosedError);
    await h.dispose?.();
  });
}
