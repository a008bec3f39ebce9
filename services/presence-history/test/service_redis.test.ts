// presence-history with `gyre.store.type: redis` while Redis crashes and comes back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GyreConfig } from '@gyre/config';
import { createMemoryBus, MemoryBusHub } from '@gyre/bus';
import { defaultConfig } from '@gyre/config';
import { silentLogger } from '@gyre/observability';
import { StoreUnavailableError, pingStateService } from '@gyre/store';
import { startNatsServer, startRedisServer, waitFor, type ServerHandle } from '@gyre/testing';
import { startPresenceHistory } from '../src/index.js';
import { startStack } from './fixtures/stack.js';

const HIST = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 3_600_000 };
const data = new TextEncoder().encode('x');

let nats: ServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(async () => {
  await nats?.stop();
});

function redisAt(url: string) {
  return (config: GyreConfig): void => {
    config.gyre.store.type = 'redis';
    config.gyre.store.redis.address = url;
    config.engine.redis.io_timeout = 1000;
  };
}

test('presence-history (redis) - while redis is killed (-9) requests get error 100 and the readiness ping goes unanswered; after a restart both recover', async () => {
  const redis = await startRedisServer();
  const stack = await startStack({ type: 'nats', url: nats.url }, { stores: 'config', configure: redisAt(redis.url), timeoutMs: 3000 });
  try {
    const first = await stack.history.publish('ch', { data }, HIST);
    assert.equal(first.position.offset, 1n);
    await pingStateService(stack.clientBus);

    await redis.kill();
    await waitFor(async () => {
      try {
        await stack.presence.presence('ch');
        return false;
      } catch (err) {
        return err instanceof StoreUnavailableError;
      }
    }, 5000, 20, 'the store reports unavailable');
    const started = Date.now();
    await assert.rejects(stack.history.publish('ch', { data }, HIST), StoreUnavailableError);
    await assert.rejects(stack.history.history('ch', { limit: -1, reverse: false }, { metaTtlMs: 0 }), StoreUnavailableError);
    assert.ok(Date.now() - started < 1500, 'answered at once, not after the request timeout');
    await assert.rejects(pingStateService(stack.clientBus, 'gyre', 1000), StoreUnavailableError);

    await redis.restart();
    await waitFor(async () => {
      try {
        await pingStateService(stack.clientBus, 'gyre', 500);
        return true;
      } catch {
        return false;
      }
    }, 10_000, 50, 'ready again');
    const again = await stack.history.publish('ch', { data }, HIST);
    assert.equal(again.position.offset, 1n, 'redis ran without persistence: a new stream');
    assert.notEqual(again.position.epoch, first.position.epoch);
  } finally {
    await stack.stop();
    await redis.stop();
  }
});

test('presence-history (redis) - starts while redis is down, unready, and serves once redis is up', async () => {
  const redis = await startRedisServer();
  await redis.kill();
  const stack = await startStack({ type: 'nats', url: nats.url }, { stores: 'config', configure: redisAt(redis.url) });
  try {
    await assert.rejects(pingStateService(stack.clientBus, 'gyre', 1000), StoreUnavailableError);
    await redis.restart();
    await waitFor(async () => {
      try {
        await pingStateService(stack.clientBus, 'gyre', 500);
        return true;
      } catch {
        return false;
      }
    }, 10_000, 50, 'ready');
    assert.equal((await stack.history.publish('late', { data }, HIST)).position.offset, 1n);
  } finally {
    await stack.stop();
    await redis.stop();
  }
});

test('presence-history (redis) - LIST history (engine.redis.history_use_lists) is refused at start', async () => {
  const redis = await startRedisServer();
  const bus = createMemoryBus(new MemoryBusHub());
  try {
    const config = defaultConfig();
    redisAt(redis.url)(config);
    config.engine.redis.history_use_lists = true;
    await assert.rejects(startPresenceHistory({ config, bus, logger: silentLogger() }), /history_use_lists/);
  } finally {
    await bus.close();
    await redis.stop();
  }
});
