import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { connect as natsConnect, Events } from 'nats';
import { Redis } from 'ioredis';
import {
  BinaryNotFoundError,
  findBinary,
  freePort,
  processExists,
  runningChildren,
  startNatsServer,
  startRedisServer,
  waitFor,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

test('harness - freePort returns a port that can be bound', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});

test('harness - startNatsServer runs nats-server on a free port and stop() leaves no process or dir', async () => {
  const server = await startNatsServer();
  assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(server.port, 4222, 'never the system NATS port');
  assert.ok(processExists(server.pid));
  assert.ok(existsSync(server.dir));
  const nc = await natsConnect({ servers: server.url });
  const got = new Promise<string>((resolve) => {
    nc.subscribe('harness.ping', { callback: (_e, m) => resolve(new TextDecoder().decode(m.data)) });
  });
  nc.publish('harness.ping', new TextEncoder().encode('pong'));
  assert.equal(await got, 'pong');
  await nc.close();
  await server.stop();
  assert.equal(server.running, false);
  assert.equal(processExists(server.pid), false);
  assert.equal(existsSync(server.dir), false);
  assert.ok(!runningChildren().includes(server.pid));
  await server.stop(); // idempotent
});

test('harness - startRedisServer runs redis-server without persistence and stop() leaves no process or dir', async () => {
  const server = await startRedisServer();
  assert.match(server.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(server.port, 6379, 'never the system Redis port');
  const redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
  assert.equal(await redis.ping(), 'PONG');
  await redis.set('k', 'v');
  assert.equal(await redis.get('k'), 'v');
  assert.deepEqual(await redis.config('GET', 'save'), ['save', '']);
  assert.deepEqual(await redis.config('GET', 'appendonly'), ['appendonly', 'no']);
  assert.deepEqual(await redis.config('GET', 'dir'), ['dir', server.dir]);
  redis.disconnect();
  await server.stop();
  assert.equal(processExists(server.pid), false);
  assert.equal(existsSync(server.dir), false);
});

test('harness - two servers started together get distinct ports', async () => {
  const [a, b] = await Promise.all([startNatsServer(), startNatsServer()]);
  try {
    assert.notEqual(a.port, b.port);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('harness - nats-server killed with -9 and restarted on the same port: a nats client reconnects', async () => {
  const server = await startNatsServer();
  const nc = await natsConnect({ servers: server.url, reconnectTimeWait: 50, reconnectJitter: 10, maxReconnectAttempts: -1 });
  const events: string[] = [];
  void (async () => {
    for await (const s of nc.status()) events.push(s.type);
  })();
  try {
    const firstPid = server.pid;
    const port = server.port;
    await server.kill();
    assert.equal(processExists(firstPid), false, 'killed process is gone');
    assert.equal(server.running, false);
    await waitFor(() => events.includes(Events.Disconnect), 5000, 20, 'disconnect event');
    await server.restart();
    assert.equal(server.port, port);
    assert.notEqual(server.pid, firstPid);
    assert.ok(processExists(server.pid));
    await waitFor(() => events.includes(Events.Reconnect), 10_000, 20, 'reconnect event');
    const got = new Promise<string>((resolve) => {
      nc.subscribe('after.restart', { callback: (_e, m) => resolve(new TextDecoder().decode(m.data)) });
    });
    await nc.flush();
    nc.publish('after.restart', new TextEncoder().encode('ok'));
    assert.equal(await got, 'ok');
  } finally {
    await nc.close();
    await server.stop();
  }
  assert.equal(processExists(server.pid), false);
});

test('harness - redis-server killed with -9 and restarted on the same port: ioredis reconnects', async () => {
  const server = await startRedisServer();
  const redis = new Redis(server.url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  try {
    await redis.set('before', '1');
    const firstPid = server.pid;
    await server.kill();
    assert.equal(processExists(firstPid), false);
    await waitFor(() => redis.status !== 'ready', 5000, 10, 'ioredis to notice the crash');
    await server.restart();
    assert.notEqual(server.pid, firstPid);
    assert.equal(await redis.ping(), 'PONG');
    assert.equal(await redis.get('before'), null, 'no persistence: data is gone after a crash');
    await redis.set('after', '2');
    assert.equal(await redis.get('after'), '2');
  } finally {
    redis.disconnect();
    await server.stop();
  }
  assert.equal(processExists(server.pid), false);
});

test('harness - restart() of a running server replaces the process on the same port', async () => {
  const server = await startRedisServer();
  try {
    const before = server.pid;
    await server.restart();
    assert.equal(processExists(before), false);
    assert.ok(processExists(server.pid));
    const redis = new Redis(server.url, { lazyConnect: true });
    await redis.connect();
    assert.equal(await redis.ping(), 'PONG');
    redis.disconnect();
  } finally {
    await server.stop();
  }
});

test('harness - a missing binary fails with a message naming it and the override variable', async () => {
  await assert.rejects(startNatsServer({ binary: '/nonexistent/nats-server' }), (error: unknown) => {
    assert.ok(error instanceof BinaryNotFoundError);
    assert.match(error.message, /nats-server not found/);
    assert.match(error.message, /GYRE_NATS_SERVER/);
    return true;
  });
  await assert.rejects(startRedisServer({ binary: '/nonexistent/redis-server' }), /redis-server not found.*GYRE_REDIS_SERVER/s);
  assert.throws(() => findBinary('gyre-no-such-binary', 'GYRE_NO_SUCH'), (error: unknown) => {
    assert.ok(error instanceof BinaryNotFoundError);
    assert.match(error.message, /gyre-no-such-binary not found: looked on PATH and in .*\/usr\/sbin/);
    return true;
  });
});

test('harness - a server that cannot start reports its output', async () => {
  await assert.rejects(startRedisServer({ args: ['--no-such-option', 'x'] }), /redis-server exited during start[\s\S]*no-such-option/i);
});

/** Runs fixtures/orphan.ts in a child node process; resolves its report and the child. */
async function runOrphan(mode: 'exit' | 'throw' | 'hang') {
  const child = spawn(process.execPath, ['--conditions=gyre-source', '--import', 'tsx', join(here, 'fixtures/orphan.ts'), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const report = await waitFor(() => {
    const line = out.split('\n').find((l) => l.startsWith('{'));
    return line ? (JSON.parse(line) as { pids: number[]; dirs: string[] }) : null;
  }, 20_000, 20, `orphan report (stderr: ${err})`);
  return { child, report, exited };
}

// The four ways a test process can end, run side by side (each child needs ~1.5 s to start tsx).
test('harness - servers left running never outlive the test process', { concurrency: 4 }, async (t) => {
  const ends = {
    'exit() without stopping them': async () => {
      const { report, exited } = await runOrphan('exit');
      await exited;
      return report;
    },
    'an uncaught exception': async () => {
      const { report, exited } = await runOrphan('throw');
      await exited;
      return report;
    },
    'SIGTERM': async () => {
      const { child, report, exited } = await runOrphan('hang');
      child.kill('SIGTERM');
      await exited;
      return report;
    },
    'SIGKILL (the reaper cleans up)': async () => {
      const { child, report, exited } = await runOrphan('hang');
      child.kill('SIGKILL');
      await exited;
      return report;
    },
  };
  await Promise.all(
    Object.entries(ends).map(([how, end]) =>
      t.test(`harness - servers are killed and dirs removed after ${how}`, async () => {
        const report = await end();
        assert.equal(report.pids.length, 2);
        await waitFor(() => report.pids.every((pid) => !processExists(pid)), 5000, 20, 'orphans to die');
        await waitFor(() => report.dirs.every((dir) => !existsSync(dir)), 5000, 20, 'dirs to be removed');
      }),
    ),
  );
});
