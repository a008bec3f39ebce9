/**
 * Crashes and restarts of the shared dependencies, and a graceful stop of one edge, with real
 * processes and real SDK clients: what the cluster promises when NATS or Redis dies under it, and
 * what it does not (Redis without persistence loses the streams: clients are told, never misled).
 *
 * The tests run in order on one cluster: NATS crash, Redis crash, then an edge stops for good.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, waitFor, waitForEvent } from '@gyre/testing';
import type { Centrifuge, PublicationContext, SubscribedContext, Subscription } from 'centrifuge';
import { Cluster, EdgeBalancer, decoded, type ApiReply } from './cluster.js';

let cluster: Cluster;
let urls: string[];
/** alice: JSON on edge 1; bob: protobuf on edge 2; both subscribed to `f`. */
let alice: { client: Centrifuge; sub: Subscription; balancer: EdgeBalancer; events: string[] };
let bob: typeof alice;

async function member(user: string, protocol: 'json' | 'protobuf', start: number): Promise<typeof alice> {
  const balancer = new EdgeBalancer(urls, start);
  const client = await cluster.connectedClient(balancer, protocol, user);
  const sub = client.newSubscription('f');
  // Everything the application sees, in order: the tests assert on the sequence.
  const events: string[] = [];
  client.on('connecting', (ctx) => events.push(`connecting ${ctx.code}`));
  client.on('connected', () => events.push('connected'));
  sub.on('subscribing', (ctx) => events.push(`subscribing ${ctx.code}`));
  sub.on('subscribed', (ctx) => events.push(`subscribed recovered=${String(ctx.recovered)} epoch=${ctx.streamPosition?.epoch ?? ''}`));
  sub.on('publication', (ctx) => events.push(`publication ${ctx.offset}`));
  const ok = waitForEvent(sub, 'subscribed', 10_000);
  sub.subscribe();
  await ok;
  return { client, sub, balancer, events };
}

before(async () => {
  cluster = await Cluster.start();
  await cluster.spawnAll();
  urls = cluster.edgeUrls();
  alice = await member('alice', 'json', 0);
  bob = await member('bob', 'protobuf', 1);
});

after(async () => {
  await cluster?.stop();
});

async function publishBoth(data: unknown): Promise<{ offset: number; epoch: string; got: PublicationContext[] }> {
  const got = [alice, bob].map((m) => collect<PublicationContext>(m.sub, 'publication', 1, 10_000));
  const r = await cluster.apiResult<{ offset: number; epoch: string }>('publish', { channel: 'f', data });
  return { ...r, got: (await Promise.all(got)).map((g) => g[0]!) };
}

test('cluster - kill -9 of nats-server: every process goes unready, reconnects to the restarted server on the same port, clients keep their subscriptions and publishing works again; no process exits', async () => {
  const before = await publishBoth({ n: 1 });
  assert.deepEqual(before.got.map((p) => p.offset), [before.offset, before.offset]);

  await cluster.nats.kill();
  await cluster.waitReady(cluster.labels, 503);
  // A publish while the bus is down is refused as temporary, not acknowledged and lost.
  const during = await cluster.api('publish', { channel: 'f', data: { n: 'lost' } });
  assert.equal(during.body.error?.code, 100, JSON.stringify(during.body));

  await cluster.nats.restart();
  await cluster.waitReady(cluster.labels, 200, 20_000);
  const after = await publishBoth({ n: 2 });
  assert.equal(after.epoch, before.epoch, 'Redis kept the stream');
  assert.equal(after.offset, before.offset + 1, 'the refused publish took no offset');
  assert.deepEqual(after.got.map((p) => [p.offset, decoded(p.data)]), [[after.offset, { n: 2 }], [after.offset, { n: 2 }]]);
  for (const m of [alice, bob]) {
    assert.equal(m.client.state, 'connected');
    assert.equal(m.balancer.visited.length, 1, 'the WebSocket stayed open through the bus outage');
  }
  assert.deepEqual(cluster.exited(), []);
});

test('cluster - kill -9 of redis-server: history calls fail with 100 (temporary) and presence-history is unready; after a restart it is ready, publishing with history works, and subscribers learn of the lost stream (recovered: false, new epoch), never a silent gap', async () => {
  const last = await publishBoth({ n: 3 });
  const mark = [alice.events.length, bob.events.length];

  await cluster.redis.kill();
  await cluster.waitReady(['presence-history'], 503);
  const history = await cluster.api('history', { channel: 'f', limit: -1 });
  assert.deepEqual(history.body.error, { code: 100, message: 'internal server error' });
  const publish: ApiReply = await cluster.api('publish', { channel: 'f', data: { n: 'refused' } });
  assert.equal(publish.body.error?.code, 100);
  await assert.rejects(alice.sub.history({ limit: -1 }), (err: { code: number; temporary?: boolean }) => err.code === 100 && err.temporary === true);
  await assert.rejects(bob.sub.history({ limit: -1 }), (err: { code: number; temporary?: boolean }) => err.code === 100 && err.temporary === true);

  // Redis comes back empty (no persistence, as in docker-compose.yml): the stream is gone.
  await cluster.redis.restart();
  await cluster.waitReady(cluster.labels, 200, 20_000);
  const resubscribed = [alice, bob].map((m) => waitFor(() => m.events.slice(mark[m === alice ? 0 : 1]).find((e) => e.startsWith('subscribed')), 10_000, 20, 'resubscribe'));
  const first = await cluster.apiResult<{ offset: number; epoch: string }>('publish', { channel: 'f', data: { n: 4 } });
  assert.equal(first.offset, 1, 'a new stream');
  assert.notEqual(first.epoch, last.epoch, 'with a new epoch');
  for (const e of await Promise.all(resubscribed)) assert.equal(e, `subscribed recovered=false epoch=${first.epoch}`);

  const next = await publishBoth({ n: 5 });
  assert.deepEqual(next.got.map((p) => p.offset), [2, 2]);
  for (const [i, m] of [alice, bob].entries()) {
    const seen = m.events.slice(mark[i]).filter((e) => !e.startsWith('subscribing'));
    // The new stream's offset 1 is never handed over as if it followed offset `last.offset`: the
    // client first resubscribes (recovered: false tells the app to reload its state), then goes on
    // with the new epoch (offset 1 arrives live only if the resubscribe came before it).
    assert.equal(seen[0], `subscribed recovered=false epoch=${first.epoch}`, seen.join(', '));
    assert.ok(['publication 2', 'publication 1,publication 2'].includes(seen.slice(1).join(',')), seen.join(', '));
    assert.equal(m.balancer.visited.length, 1, 'the connection itself stayed up');
  }
  const h = await alice.sub.history({ limit: -1 });
  assert.deepEqual(h.publications.map((p) => [p.offset, decoded(p.data)]), [[1, { n: 4 }], [2, { n: 5 }]]);
  assert.deepEqual(cluster.exited(), []);
});

test('cluster - SIGTERM to an edge: its clients get disconnect 3001 (shutdown), reconnect to the other edge and recover; the edge exits 0 and leaves info at once', async () => {
  const [edge1, edge2] = urls;
  assert.equal(alice.balancer.current, edge1);
  const edge1Name = `_${cluster.get('edge1').port}`;
  const mark = alice.events.length;
  const back = waitForEvent<SubscribedContext>(alice.sub, 'subscribed', 15_000);

  const code = await cluster.stopProcess('edge1');
  assert.equal(code, 0, 'clean exit');
  const resumed = await back;
  assert.equal(alice.events.slice(mark).find((e) => e.startsWith('connecting')), 'connecting 3001', alice.events.slice(mark).join(', '));
  assert.equal(alice.balancer.current, edge2, 'reconnected to the edge still running');
  assert.equal(resumed.wasRecovering, true);
  assert.equal(resumed.recovered, true);

  const { nodes } = await cluster.apiResult<{ nodes: { name: string }[] }>('info', {});
  assert.ok(!nodes.some((n) => n.name.endsWith(edge1Name)), 'the stopped edge announced its shutdown');
  const again = await publishBoth({ n: 6 });
  assert.deepEqual(again.got.map((p) => decoded(p.data)), [{ n: 6 }, { n: 6 }]);
  assert.deepEqual(cluster.exited(), []);
});
