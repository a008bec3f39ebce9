// What the contract cannot see: the Redis layout Centrifugo nodes share, and TTL bookkeeping.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { protocol } from '@gyre/protocol';
import { startRedisServer, type ServerHandle } from '@gyre/testing';
import { Redis } from 'ioredis';
import { RedisPresenceStore } from '../src/index.js';

const enc = new TextEncoder();

let server: ServerHandle;
let raw: Redis;
before(async () => {
  server = await startRedisServer();
  raw = new Redis(server.url);
});
after(async () => {
  raw?.disconnect();
  await server?.stop();
});

async function withStore(fn: (store: RedisPresenceStore) => Promise<void>, userMapping = false): Promise<void> {
  const store = new RedisPresenceStore({ address: server.url, userMapping });
  await store.connection.waitReady(5000);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const channel = (label: string): string => `presence:${label}:${randomUUID()}`;

test('presence-redis - entries are stored in Centrifugo\'s layout: data hash of ClientInfo, zset of expire-at seconds', () =>
  withStore(async (store) => {
    const ch = channel('layout');
    const before = Date.now();
    await store.addPresence(ch, 'c1', { user: 'u1', client: 'c1', chanInfo: enc.encode('ci') }, 30_000);
    const data = await raw.hgetallBuffer(`centrifugo.presence.data.${ch}`);
    const info = fromBinary(protocol.ClientInfoSchema, data['c1']!);
    assert.equal(info.user, 'u1');
    assert.equal(info.client, 'c1');
    assert.equal(new TextDecoder().decode(info.chanInfo), 'ci');
    const score = Number(await raw.zscore(`centrifugo.presence.expire.${ch}`, 'c1'));
    assert.ok(score >= (before + 30_000) / 1000 - 0.01 && score <= (Date.now() + 30_000) / 1000 + 0.01, `expire-at in seconds: ${score}`);
    for (const key of [`centrifugo.presence.data.${ch}`, `centrifugo.presence.expire.${ch}`]) {
      const ttl = await raw.pttl(key);
      assert.ok(ttl > 25_000 && ttl <= 30_000, `${key} expires with its entries (${ttl})`);
    }
    assert.equal(await raw.exists(`centrifugo.presence.user.clients.${ch}`), 0, 'no user mapping unless enabled');
  }));

test('presence-redis - with user mapping the per-user keys count clients per user', () =>
  withStore(async (store) => {
    const ch = channel('users');
    await store.addPresence(ch, 'c1', { user: 'u1', client: 'c1' }, 30_000);
    await store.addPresence(ch, 'c2', { user: 'u1', client: 'c2' }, 30_000);
    await store.addPresence(ch, 'c2', { user: 'u1', client: 'c2' }, 30_000);
    await store.addPresence(ch, 'c3', { user: 'u2', client: 'c3' }, 30_000);
    assert.deepEqual(await raw.hgetall(`centrifugo.presence.user.clients.${ch}`), { u1: '2', u2: '1' });
    assert.deepEqual((await raw.zrange(`centrifugo.presence.user.expire.${ch}`, 0, -1)).sort(), ['u1', 'u2']);
    await store.removePresence(ch, 'c3', 'u2');
    assert.deepEqual(await raw.hgetall(`centrifugo.presence.user.clients.${ch}`), { u1: '2' });
    assert.deepEqual(await store.presenceStats(ch), { numClients: 2, numUsers: 1 });
  }, true));

test('presence-redis - reads entries written by Centrifugo (whole-second scores)', () =>
  withStore(async (store) => {
    const ch = channel('interop');
    const info = create(protocol.ClientInfoSchema, { user: 'cu', client: 'cc', connInfo: enc.encode('{}') });
    const now = Math.floor(Date.now() / 1000);
    await raw.hset(`centrifugo.presence.data.${ch}`, 'cc', Buffer.from(toBinary(protocol.ClientInfoSchema, info)), 'gone', Buffer.from(toBinary(protocol.ClientInfoSchema, info)));
    await raw.zadd(`centrifugo.presence.expire.${ch}`, String(now + 60), 'cc', String(now - 5), 'gone');
    const p = await store.presence(ch);
    assert.deepEqual([...p.keys()], ['cc'], 'an entry whose expire-at passed is dropped');
    assert.equal(p.get('cc')?.user, 'cu');
    assert.equal(await raw.hexists(`centrifugo.presence.data.${ch}`, 'gone'), 0, 'and removed from Redis');
  }));

test('presence-redis - a short-lived entry never shortens the life of the channel keys', () =>
  withStore(async (store) => {
    const ch = channel('ttl');
    await store.addPresence(ch, 'long', { user: 'u', client: 'long' }, 60_000);
    await store.addPresence(ch, 'short', { user: 'u', client: 'short' }, 200);
    const ttl = await raw.pttl(`centrifugo.presence.data.${ch}`);
    assert.ok(ttl > 55_000, `data hash ttl ${ttl}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual([...(await store.presence(ch)).keys()], ['long']);
  }));

test('presence-redis - a channel nobody refreshes leaves no keys behind', () =>
  withStore(async (store) => {
    const ch = channel('gone');
    await store.addPresence(ch, 'c1', { user: 'u', client: 'c1' }, 200);
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(await raw.exists(`centrifugo.presence.data.${ch}`, `centrifugo.presence.expire.${ch}`, `centrifugo.presence.user.expire.${ch}`, `centrifugo.presence.user.clients.${ch}`), 0);
  }, true));
