/**
 * What only the cluster shape can show: state and fan-out shared by separate processes. One api
 * process publishes; two edge processes deliver to real centrifuge SDK clients (JSON on one,
 * protobuf on the other); history and presence live in Redis behind the presence-history process;
 * server-side control crosses the bus to whichever edge holds the connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { collect, waitFor, waitForEvent } from '@gyre/testing';
import type { Centrifuge, PublicationContext, SubscribedContext, Subscription } from 'centrifuge';
import { Cluster, EdgeBalancer, decoded } from './cluster.js';

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start();
  await cluster.spawnAll();
});

after(async () => {
  await cluster?.stop();
});

async function subscribed(client: Centrifuge, channel: string): Promise<{ sub: Subscription; ctx: SubscribedContext }> {
  const sub = client.newSubscription(channel);
  const ready = waitForEvent<SubscribedContext>(sub, 'subscribed', 10_000);
  sub.subscribe();
  return { sub, ctx: await ready };
}

interface PublishResult {
  offset: number;
  epoch: string;
}

test('cluster - a publication sent through the api process reaches JSON subscribers on one edge and protobuf subscribers on the other with the offset and epoch Redis assigned', async () => {
  const [edge1, edge2] = cluster.edgeUrls();
  const toEdge1 = new EdgeBalancer([edge1!, edge2!], 0);
  const toEdge2 = new EdgeBalancer([edge1!, edge2!], 1);
  const alice = await cluster.connectedClient(toEdge1, 'json', 'alice');
  const bob = await cluster.connectedClient(toEdge2, 'protobuf', 'bob');
  assert.deepEqual([toEdge1.current, toEdge2.current], [edge1, edge2], 'one client per edge');

  const a = await subscribed(alice, 'news');
  const b = await subscribed(bob, 'news');
  assert.equal(a.ctx.streamPosition?.epoch, b.ctx.streamPosition?.epoch, 'both edges read one stream');

  const gotA = collect<PublicationContext>(a.sub, 'publication', 3, 10_000);
  const gotB = collect<PublicationContext>(b.sub, 'publication', 3, 10_000);
  const sent: PublishResult[] = [];
  for (let i = 1; i <= 3; i++) sent.push(await cluster.apiResult<PublishResult>('publish', { channel: 'news', data: { i } }));
  assert.deepEqual(sent.map((r) => r.offset), [1, 2, 3]);
  const epoch = sent[0]!.epoch;
  assert.ok(sent.every((r) => r.epoch === epoch) && epoch !== '');
  assert.equal(epoch, a.ctx.streamPosition?.epoch);

  for (const got of [await gotA, await gotB]) {
    assert.deepEqual(got.map((p) => p.offset), [1, 2, 3]);
    assert.deepEqual(got.map((p) => decoded(p.data)), [{ i: 1 }, { i: 2 }, { i: 3 }]);
  }

  // The stream lives in Redis, in Centrifugo's key layout: neither edge nor api holds it.
  const redis = new Redis(cluster.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    assert.deepEqual(await redis.hgetall('centrifugo.stream.meta.news'), { e: epoch, s: '3' });
    assert.equal(await redis.xlen('centrifugo.stream.news'), 3);
  } finally {
    redis.disconnect();
  }

  // History read through either edge is what was published.
  for (const sub of [a.sub, b.sub]) {
    const h = await sub.history({ limit: -1 });
    assert.equal(h.epoch, epoch);
    assert.equal(h.offset, 3);
    assert.deepEqual(h.publications.map((p) => [p.offset, decoded(p.data)]), [[1, { i: 1 }], [2, { i: 2 }], [3, { i: 3 }]]);
  }

  // Presence asked on either edge lists the clients of both.
  const ids = [alice, bob].map((c) => cluster.clientId(c)).sort();
  for (const sub of [a.sub, b.sub]) {
    const p = await sub.presence();
    assert.deepEqual(Object.keys(p.clients).sort(), ids);
    assert.deepEqual(Object.values(p.clients).map((c) => c.user).sort(), ['alice', 'bob']);
  }
  const stats = await a.sub.presenceStats();
  assert.deepEqual(stats, { numClients: 2, numUsers: 2 });
});

test('cluster - a client that subscribed with recovery on one edge reconnects to the other and gets every missed publication in order with recovered: true', async () => {
  const [edge1, edge2] = cluster.edgeUrls();
  for (const [protocol, start] of [['json', 0], ['protobuf', 1]] as const) {
    const channel = `recover-${protocol}`;
    const balancer = new EdgeBalancer([edge1!, edge2!], start);
    const client = await cluster.connectedClient(balancer, protocol, `carol-${protocol}`);
    const { sub, ctx } = await subscribed(client, channel);
    assert.equal(ctx.recoverable, true);
    const first = collect<PublicationContext>(sub, 'publication', 1);
    await cluster.apiResult('publish', { channel, data: { n: 0 } });
    assert.equal((await first)[0]!.offset, 1);

    const down = waitForEvent(client, 'disconnected');
    client.disconnect();
    await down;
    for (let n = 1; n <= 5; n++) await cluster.apiResult('publish', { channel, data: { n } });

    const missed = collect<PublicationContext>(sub, 'publication', 5, 10_000);
    const again = waitForEvent<SubscribedContext>(sub, 'subscribed', 10_000);
    client.connect();
    const resumed = await again;
    assert.notEqual(balancer.current, balancer.visited[0], `${protocol}: reconnected to the other edge`);
    assert.equal(resumed.wasRecovering, true);
    assert.equal(resumed.recovered, true, `${protocol}: recovered`);
    const got = await missed;
    assert.deepEqual(got.map((p) => p.offset), [2, 3, 4, 5, 6], `${protocol}: every missed publication, in order`);
    assert.deepEqual(got.map((p) => decoded(p.data)), [1, 2, 3, 4, 5].map((n) => ({ n })));
  }
});

test('cluster - server API unsubscribe and disconnect by user reach the connections on whichever edge holds them', async () => {
  const urls = cluster.edgeUrls();
  // frank has one connection on each edge; grace one on edge 1 as a bystander.
  const frank1 = await cluster.connectedClient(new EdgeBalancer(urls, 0), 'json', 'frank');
  const frank2 = await cluster.connectedClient(new EdgeBalancer(urls, 1), 'protobuf', 'frank');
  const grace = await cluster.connectedClient(new EdgeBalancer(urls, 0), 'json', 'grace');
  const s1 = await subscribed(frank1, 'ctl');
  const s2 = await subscribed(frank2, 'ctl');
  const sg = await subscribed(grace, 'ctl');

  const gone = [s1, s2].map((s) => waitForEvent<{ code: number }>(s.sub, 'unsubscribed', 10_000));
  await cluster.apiResult('unsubscribe', { user: 'frank', channel: 'ctl' });
  for (const ctx of await Promise.all(gone)) assert.equal(ctx.code, 2000, 'server unsubscribe');
  assert.equal(sg.sub.state, 'subscribed', 'another user keeps the subscription');
  const still = collect<PublicationContext>(sg.sub, 'publication', 1);
  await cluster.apiResult('publish', { channel: 'ctl', data: { after: 'unsubscribe' } });
  assert.deepEqual(decoded((await still)[0]!.data), { after: 'unsubscribe' });

  const closed = [frank1, frank2].map((c) => waitForEvent<{ code: number; reason: string }>(c, 'disconnected', 10_000));
  await cluster.apiResult('disconnect', { user: 'frank', disconnect: { code: 4501, reason: 'banned' } });
  for (const ctx of await Promise.all(closed)) assert.deepEqual({ code: ctx.code, reason: ctx.reason }, { code: 4501, reason: 'banned' });
  assert.equal(grace.state, 'connected');
});

test('cluster - info lists every process (edges, api, presence-history, proxy-dispatcher) with the clients each edge holds', async () => {
  cluster.disconnectClients();
  const urls = cluster.edgeUrls();
  await cluster.connectedClient(new EdgeBalancer(urls, 0), 'json', 'h1');
  await cluster.connectedClient(new EdgeBalancer(urls, 0), 'protobuf', 'h2');
  await cluster.connectedClient(new EdgeBalancer(urls, 1), 'json', 'h3');
  const byPort = (nodes: { name: string }[], label: string) => nodes.find((n) => n.name.endsWith(`_${cluster.get(label).port}`));
  type Node = { uid: string; name: string; num_clients: number; num_users: number };
  // Edges report their counts in a heartbeat every 3 s.
  const nodes = await waitFor(async () => {
    const { nodes } = await cluster.apiResult<{ nodes: Node[] }>('info', {});
    const e1 = byPort(nodes, 'edge1') as Node | undefined;
    const e2 = byPort(nodes, 'edge2') as Node | undefined;
    return e1?.num_clients === 2 && e2?.num_clients === 1 ? nodes : null;
  }, 10_000, 250, 'info with the edge counts');
  for (const label of cluster.labels) assert.ok(byPort(nodes, label), `${label} process is a node`);
  assert.equal(new Set(nodes.map((n) => n.uid)).size, nodes.length, 'one entry per process');
  assert.equal((byPort(nodes, 'edge1') as Node).num_users, 2);
  const versions = new Set((nodes as unknown as { version: string }[]).map((n) => n.version));
  assert.equal(versions.size, 1, `one build, one version: ${[...versions].join(' / ')}`);
  assert.match([...versions][0]!, / OSS$/);
});

test('cluster - channels counts the subscribers of every edge and answers without waiting for the survey timeout', async () => {
  cluster.disconnectClients();
  const urls = cluster.edgeUrls();
  for (const start of [0, 1]) {
    const client = await cluster.connectedClient(new EdgeBalancer(urls, start), 'json', `c${start}`);
    await subscribed(client, 'survey-room');
  }
  const started = Date.now();
  const result = await cluster.apiResult<{ channels: Record<string, { num_clients: number }> }>('channels', {});
  assert.deepEqual(result.channels['survey-room'], { num_clients: 2 }, 'one subscriber per edge');
  assert.ok(Date.now() - started < 5000, `channels took ${Date.now() - started} ms`);
});
