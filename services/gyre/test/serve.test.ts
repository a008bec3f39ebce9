/**
 * `gyre serve` as a real child process, the way `npm start` runs it: health, readiness, metrics,
 * graceful SIGTERM, and refusing to start on a broken config.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/gyre.mjs');
const dir = mkdtempSync(join(tmpdir(), 'gyre-serve-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function gyre(args: string[], cwd = dir) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CENTRIFUGO_LOG_LEVEL: '', GYRE_LOG_LEVEL: '' } });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => { children.delete(child); res(code); }));
  return { child, exited, get stdout() { return stdout; }, get stderr() { return stderr; } };
}

async function waitFor(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('serve - answers /health within 5 s, /ready, /metrics with centrifugo_node_num_clients, and stops on SIGTERM', async () => {
  const port = await freePort();
  const started = Date.now();
  const p = gyre(['serve', '-p', String(port), '--health.enabled', '--prometheus.enabled']);
  const health = await waitFor(`http://127.0.0.1:${port}/health`, 5000);
  assert.ok(Date.now() - started < 5000, 'health within 5 s');
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), {});

  const ready = await fetch(`http://127.0.0.1:${port}/ready`);
  const report = await ready.json() as { ready: boolean; checks: Record<string, { ok: boolean }> };
  assert.equal(ready.status, 200, JSON.stringify(report));
  assert.equal(report.ready, true);
  assert.equal(report.checks.bus?.ok, true);
  assert.equal(report.checks.store?.ok, true);

  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(metrics.status, 200);
  const text = await metrics.text();
  assert.match(text, /^centrifugo_node_num_clients 0$/m);
  assert.match(text, /centrifugo_node_build\{version="\d+\.\d+\.\d+"\} 1/);

  const missing = await fetch(`http://127.0.0.1:${port}/no-such-path`);
  assert.equal(missing.status, 404);

  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.stderr);
  // JSON log lines by default (stdout is not a TTY here).
  const lines = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.ok(lines.some((l) => l.msg === 'gyre started'));
  assert.ok(lines.some((l) => l.msg === 'gyre stopped'));
});

test('serve - health and metrics stay off unless enabled, as in Centrifugo', async () => {
  const port = await freePort();
  const p = gyre(['serve', '-p', String(port)]);
  const res = await waitFor(`http://127.0.0.1:${port}/health`, 5000);
  assert.equal(res.status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
  p.child.kill('SIGINT');
  assert.equal(await p.exited, 0);
});

test('serve - internal_port moves health and metrics off the client port', async () => {
  const port = await freePort();
  const internal = await freePort();
  const p = gyre(['serve', '-p', String(port), '--http_server.internal_port', String(internal), '--health.enabled', '--prometheus.enabled']);
  assert.equal((await waitFor(`http://127.0.0.1:${internal}/health`, 5000)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${internal}/metrics`)).status, 200);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('serve - a JSON syntax error exits 1 naming line and column, before listening', async () => {
  const path = join(dir, 'broken.json');
  writeFileSync(path, '{\n  "http_server": {\n    "port": 8000,\n  }\n}');
  const p = gyre(['serve', '-c', path]);
  assert.equal(await p.exited, 1);
  assert.match(p.stderr, /broken\.json: line 4, column 3: unexpected '}'/);
  assert.equal(p.stderr.trim().split('\n').length, 1, p.stderr);
});

test('serve - invalid values and a busy port exit 1 with one clear line', async () => {
  const path = join(dir, 'invalid.json');
  writeFileSync(path, JSON.stringify({ client: { ping_interval: '5s', pong_timeout: '10s' } }));
  const bad = gyre(['serve', '-c', path]);
  assert.equal(await bad.exited, 1);
  assert.match(bad.stderr, /ping_interval/);

  const port = await freePort();
  const first = gyre(['serve', '-p', String(port), '--health.enabled']);
  await waitFor(`http://127.0.0.1:${port}/health`, 5000);
  const second = gyre(['serve', '-p', String(port)]);
  assert.equal(await second.exited, 1);
  assert.match(second.stderr, /cannot listen/);
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
});

test('serve - --services runs a subset and rejects unknown names', async () => {
  const port = await freePort();
  const p = gyre(['serve', '-p', String(port), '--services', 'edge,presence-history', '--health.enabled']);
  const ready = await waitFor(`http://127.0.0.1:${port}/ready`, 5000);
  assert.equal(ready.status, 200);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  const started = p.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; services?: string[] }).find((l) => l.msg === 'gyre started');
  assert.deepEqual(started?.services, ['presence-history', 'edge']);

  const bad = gyre(['serve', '-p', String(port), '--services', 'edge,nope']);
  assert.equal(await bad.exited, 1);
  assert.match(bad.stderr, /nope/);
});

test('serve - readiness fails when no presence-history instance answers on the bus', async () => {
  const port = await freePort();
  const p = gyre(['serve', '-p', String(port), '--services', 'edge', '--health.enabled']);
  const ready = await waitFor(`http://127.0.0.1:${port}/ready`, 8000);
  assert.equal(ready.status, 503);
  const report = await ready.json() as { checks: Record<string, { ok: boolean }> };
  assert.equal(report.checks.store?.ok, false);
  assert.equal(report.checks.bus?.ok, true);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('serve - `npm start` (the README command) answers /health and lists centrifugo_node_num_clients', async () => {
  const port = await freePort();
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const child = spawn('npm', ['start', '--silent', '--', '-p', String(port)], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  try {
    const health = await waitFor(`http://127.0.0.1:${port}/health`, 10000);
    assert.equal(health.status, 200);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^centrifugo_node_num_clients 0$/m);
  } finally {
    process.kill(-child.pid!, 'SIGTERM'); // npm and the node it started
    await exited;
    children.delete(child);
  }
});

test('serve - starts with the output of genconfig', async () => {
  const path = join(dir, 'generated.json');
  const gen = gyre(['genconfig', '-c', path]);
  assert.equal(await gen.exited, 0, gen.stderr);
  const port = await freePort();
  const p = gyre(['serve', '-c', path, '-p', String(port), '--health.enabled']);
  assert.equal((await waitFor(`http://127.0.0.1:${port}/ready`, 5000)).status, 200);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.stderr);
});
