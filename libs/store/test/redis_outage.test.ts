// Redis crashes (kill -9) and comes back on the same port: meanwhile the stores answer at once
// with StoreUnavailableError (callers reply 100) instead of hanging, and afterwards they work again
// without being rebuilt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedisServer, waitFor } from '@gyre/testing';
import { RedisConnection, RedisHistoryStore, RedisPresenceStore, StoreUnavailableError } from '../src/index.js';

const HIST = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 3_600_000 };
const data = new Uint8Array([1, 2, 3]);

async function works(history: RedisHistoryStore, presence: RedisPresenceStore): Promise<boolean> {
  try {
    await history.ping();
    await history.addPublication('after', { data }, HIST);
    await presence.addPresence('after', 'c1', { user: 'u', client: 'c1' });
    return true;
  } catch {
    return false;
  }
}

test('redis-stores - while redis is killed (-9) calls fail fast with StoreUnavailableError; after a restart they work again', async () => {
  const server = await startRedisServer();
  const connection = new RedisConnection({ address: server.url, commandTimeoutMs: 1000, maxReconnectDelayMs: 100 });
  const history = new RedisHistoryStore({ connection });
  const presence = new RedisPresenceStore({ connection });
  try {
    await connection.waitReady(5000);
    const before = await history.addPublication('ch', { data }, HIST);
    assert.equal(before.position.offset, 1n);

    await server.kill();
    await waitFor(() => !connection.ready, 5000, 10, 'the connection notices the crash');
    const started = Date.now();
    const calls: Array<Promise<unknown>> = [
      history.addPublication('ch', { data }, HIST),
      history.history('ch', { limit: -1, reverse: false }, { metaTtlMs: 0 }),
      history.removeHistory('ch'),
      presence.addPresence('ch', 'c1', { user: 'u', client: 'c1' }),
      presence.presence('ch'),
      presence.presenceStats('ch'),
      history.ping(),
    ];
    for (const call of calls) await assert.rejects(call, StoreUnavailableError);
    assert.ok(Date.now() - started < 1000, `failed fast (${Date.now() - started} ms)`);

    await server.restart();
    await waitFor(() => works(history, presence), 10_000, 50, 'the stores work again');
    // redis-server runs without persistence here: the stream is gone, a new epoch starts.
    const after = await history.addPublication('ch', { data }, HIST);
    assert.equal(after.position.offset, 1n);
    assert.notEqual(after.position.epoch, before.position.epoch);
    assert.equal((await presence.presence('after')).size, 1);
  } finally {
    await history.close();
    await presence.close();
    await connection.close();
    await server.stop();
  }
});

test('redis-stores - a command in flight when redis dies is rejected, not re-sent after the reconnect', async () => {
  const server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
  const connection = new RedisConnection({ address: server.url, commandTimeoutMs: 5000, maxReconnectDelayMs: 100 });
  const history = new RedisHistoryStore({ connection });
  try {
    await connection.waitReady(5000);
    // DEBUG SLEEP holds the connection busy, so the append is still queued when the process dies.
    const sleeping = connection.command('debug sleep', (c) => c.call('DEBUG', 'SLEEP', '2')).then(() => null, (err: unknown) => err);
    const pending = history.addPublication('inflight', { data }, HIST).then(() => null, (err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.kill();
    assert.ok((await pending) instanceof StoreUnavailableError);
    assert.ok((await sleeping) instanceof StoreUnavailableError);
    await server.restart();
    await connection.waitReady(10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const h = await history.history('inflight', { limit: -1, reverse: false }, { metaTtlMs: 0 });
    assert.equal(h.publications.length, 0, 'the lost append was not replayed');
  } finally {
    await history.close();
    await connection.close();
    await server.stop();
  }
});

test('redis-stores - a store created while redis is down starts working once redis is up', async () => {
  const server = await startRedisServer();
  await server.kill();
  const history = new RedisHistoryStore({ address: server.url, connectionOptions: { maxReconnectDelayMs: 100 } });
  try {
    await assert.rejects(history.addPublication('late', { data }, HIST), StoreUnavailableError);
    await server.restart();
    await history.connection.waitReady(10_000);
    assert.equal((await history.addPublication('late', { data }, HIST)).position.offset, 1n);
  } finally {
    await history.close();
    await server.stop();
  }
});
