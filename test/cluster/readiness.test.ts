/**
 * /ready across processes: a process is ready only when it can do its job in the cluster, that is
 * when NATS answers (bus round trip) and the presence-history service answers over the bus with
 * Redis behind it. Kubernetes routes to a pod, and compose's healthcheck passes, on this alone.
 *
 * The processes are started step by step here, in the orders a real rollout can produce.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start();
});

after(async () => {
  await cluster?.stop();
});

interface Ready {
  status: number;
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** GET /ready: the status and the report of each check. */
async function ready(label: string): Promise<Ready> {
  const res = await fetch(`${cluster.get(label).url}/ready`, { headers: { connection: 'close' } });
  const body = (await res.json()) as { checks: Ready['checks'] };
  return { status: res.status, checks: body.checks };
}

test('cluster - a process started while NATS does not answer exits with the reason, so its supervisor restarts it', async () => {
  await cluster.nats.kill();
  try {
    await assert.rejects(cluster.spawn('early-api', 'api'), /exited before \/health answered[\s\S]*cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+ \(gyre\.bus\.nats\.url\): CONNECTION_REFUSED/);
  } finally {
    await cluster.nats.restart();
  }
});

test('cluster - processes started while Redis does not answer live (/health) but are not ready until Redis answers', async () => {
  await cluster.redis.kill();
  const labels = ['presence-history', 'proxy-dispatcher', 'api'];
  await Promise.all([cluster.spawn('presence-history', 'presence-history'), cluster.spawn('proxy-dispatcher', 'proxy-dispatcher'), cluster.spawn('api', 'api')]);
  const reports = await Promise.all(labels.map(ready));
  for (const [i, r] of reports.entries()) {
    assert.equal(r.status, 503, labels[i]);
    assert.deepEqual(r.checks.bus, { ok: true }, `${labels[i]}: NATS answers`);
    assert.equal(r.checks.store?.ok, false, `${labels[i]}: the store does not`);
  }
  await cluster.redis.restart();
  await cluster.waitReady(labels, 200);
});

test('cluster - an edge started with no presence-history running is not ready, and becomes ready when one starts', async () => {
  assert.equal(await cluster.stopProcess('presence-history'), 0);
  await cluster.waitReady(['proxy-dispatcher', 'api'], 503);
  await cluster.spawn('edge1', 'edge');
  const report = await ready('edge1');
  assert.equal(report.status, 503);
  assert.deepEqual(report.checks.bus, { ok: true });
  assert.match(report.checks.store?.error ?? '', /no responders|timed out/, 'nobody serves the state subjects');

  await cluster.spawn('presence-history', 'presence-history');
  await cluster.waitReady(['presence-history', 'edge1', 'proxy-dispatcher', 'api'], 200);
});

test('cluster - every process goes unready while NATS is down and ready again once it is back', async () => {
  await cluster.nats.kill();
  await cluster.waitReady(cluster.labels, 503);
  for (const r of await Promise.all(cluster.labels.map(ready))) assert.equal(r.checks.bus?.ok, false);
  await cluster.nats.restart();
  await cluster.waitReady(cluster.labels, 200, 20_000);
  assert.deepEqual(cluster.exited(), []);
});
