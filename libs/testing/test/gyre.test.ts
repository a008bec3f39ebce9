import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gyreBinPath, processExists, spawnGyre, REPO_ROOT } from '../src/index.js';

// These tests run spawnGyre against a stand-in bin (fixtures/fake_gyre.mjs): they check the harness
// (config file, port, health wait, output, stop/kill, failure reports), not the gyre service.
const bin = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/fake_gyre.mjs');

test('spawn-gyre - the default bin is services/gyre/bin/gyre.mjs of this repository ($GYRE_BIN overrides)', () => {
  assert.equal(gyreBinPath(), process.env.GYRE_BIN ?? join(REPO_ROOT, 'services/gyre/bin/gyre.mjs'));
  assert.ok(existsSync(join(REPO_ROOT, 'package.json')));
});

test('spawn-gyre - writes the config, picks a port, waits for /health and stops with the exit code', async () => {
  const gyre = await spawnGyre({ bin, config: { client: { token: { hmac_secret_key: 's' } } }, args: ['--services', 'edge'], env: { FAKE_GYRE_ENV: 'on' } });
  try {
    assert.match(gyre.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const config = JSON.parse(readFileSync(gyre.configPath, 'utf8')) as { http_server: { port: number }; client: unknown };
    assert.equal(config.http_server.port, gyre.port, 'the picked port is written into http_server.port');
    assert.deepEqual(config.client, { token: { hmac_secret_key: 's' } });
    const res = await fetch(`${gyre.url}/health`);
    assert.equal(res.status, 200);
    assert.match(gyre.stdout, /args \["--services","edge"\] env on/);
    assert.match(gyre.stdout, new RegExp(`listening on ${gyre.port}`));
  } finally {
    assert.equal(await gyre.stop(), 0);
  }
  assert.equal(processExists(gyre.pid), false);
  assert.match(gyre.stdout, /shutting down/);
  assert.equal(existsSync(gyre.configPath), false, 'the temp config is removed');
  assert.equal(await gyre.exited, 0);
});

test('spawn-gyre - a process that ignores SIGTERM is killed after the grace period', async () => {
  const gyre = await spawnGyre({ bin, config: { fake: { ignoreSigterm: true } } });
  const started = Date.now();
  assert.equal(await gyre.stop('SIGTERM', 300), null, 'ended by a signal, not an exit code');
  assert.ok(Date.now() - started >= 250);
  assert.equal(processExists(gyre.pid), false);
});

test('spawn-gyre - kill() ends the process at once', async () => {
  const gyre = await spawnGyre({ bin, config: {} });
  await gyre.kill();
  assert.equal(processExists(gyre.pid), false);
  assert.equal(await gyre.exited, null);
});

test('spawn-gyre - a process that exits before /health answers fails with its output', async () => {
  await assert.rejects(spawnGyre({ bin, config: { fake: { exitCode: 3 } } }), /exited before \/health answered[\s\S]*failing on purpose/);
});

test('spawn-gyre - a missing bin is reported clearly', async () => {
  await assert.rejects(spawnGyre({ bin: '/nonexistent/gyre.mjs', config: {} }), /gyre bin not found at \/nonexistent\/gyre\.mjs/);
});
