/**
 * What api learns from the rest of the cluster over the bus: `info` from NodeInfo heartbeats and
 * `channels` from the edge survey. The node runs api and presence-history only; stand-in edges on
 * its bus speak the proto messages (proto/gyre/v1/bus.proto) the real edges use.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { InProcessGyre } from '@gyre/gyre';
import { bus as busPb } from '@gyre/protocol';
import { REPO_ROOT, freePort } from '@gyre/testing';
import { join } from 'node:path';
import { apiCall, apiResult, fakeEdge, sleep, startNode } from './helpers.js';

let node: InProcessGyre;
let grpcPort: number;
const stops: (() => void)[] = [];

before(async () => {
  grpcPort = await freePort();
  node = await startNode({ gyre: { services: ['api', 'presence-history'] }, grpc_api: { enabled: true, port: grpcPort } });
  stops.push(fakeEdge(node.bus, 'edge-a', { 'news:1': 2, 'chat:room': 1, 'news:2': 1 }, { numClients: 3, numUsers: 2, numSubs: 4, numChannels: 3, uptime: 42 }));
  stops.push(fakeEdge(node.bus, 'edge-b', { 'news:1': 5, 'other': 0 }, { numClients: 5, numUsers: 5, numSubs: 5, numChannels: 1 }));
  await sleep(50);
});

after(async () => {
  for (const s of stops) s();
  await node.shutdown();
});

test('cluster - info lists every node with the stats of its heartbeat, this node included', async () => {
  const r = await apiCall(node, 'info', {});
  const nodes = r.json().result.nodes as { uid: string; name: string; version: string; num_clients: number; num_users: number; num_subs: number; num_channels: number; uptime?: number }[];
  assert.deepEqual(nodes.map((n) => n.uid).sort(), ['edge-a', 'edge-b', node.id].sort());
  const a = nodes.find((n) => n.uid === 'edge-a')!;
  assert.deepEqual(a, { uid: 'edge-a', name: 'edge-edge-a', version: '0.0.0 OSS', num_clients: 3, num_users: 2, num_channels: 3, uptime: 42, num_subs: 4 });
  const self = nodes.find((n) => n.uid === node.id)!;
  assert.equal(self.name, node.name);
  assert.match(self.version, / OSS$/);
  assert.equal(self.num_clients, 0, 'a process without an edge has no clients');
});

test('cluster - a node that announces shutdown leaves info at once', async () => {
  const stop = fakeEdge(node.bus, 'edge-leaving', {});
  await sleep(30);
  assert.ok((await apiResult(node, 'info', {})).nodes.some((n: { uid: string }) => n.uid === 'edge-leaving'));
  stop();
  const ctl = create(busPb.ControlSchema, { command: { case: 'shutdown', value: create(busPb.NodeShutdownSchema, { nodeUid: 'edge-leaving' }) } });
  node.bus.publish('gyre.ctl', toBinary(busPb.ControlSchema, ctl));
  await sleep(30);
  assert.ok(!(await apiResult(node, 'info', {})).nodes.some((n: { uid: string }) => n.uid === 'edge-leaving'));
});

test('cluster - channels sums every edge and filters by the pattern', async () => {
  const started = Date.now();
  const all = await apiCall(node, 'channels', {});
  assert.ok(Date.now() - started < 5000, 'the survey ends when every known edge answered');
  assert.equal(all.text, '{"result":{"channels":{"chat:room":{"num_clients":1},"news:1":{"num_clients":7},"news:2":{"num_clients":1}}}}');
  const news = await apiResult(node, 'channels', { pattern: 'news:*' });
  assert.deepEqual(news, { channels: { 'news:1': { num_clients: 7 }, 'news:2': { num_clients: 1 } } });
  const none = await apiResult(node, 'channels', { pattern: 'nothing' });
  assert.deepEqual(none, { channels: {} });
  const bad = await apiCall(node, 'channels', { pattern: 'news:[' });
  assert.equal(bad.json().error.code, 100);
});

test('cluster - GRPC Channels and Info see the same cluster', async () => {
  const def = protoLoader.loadSync(join(REPO_ROOT, 'proto/centrifugal/centrifugo/api/api.proto'), { keepCase: true, longs: String, defaults: false });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a dynamically loaded client
  const Ctor = (grpc.loadPackageDefinition(def) as any).centrifugal.centrifugo.api.CentrifugoApi as typeof grpc.Client;
  const client = new Ctor(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- dynamically loaded messages
  const call = (m: string, req: unknown): Promise<any> => new Promise((resolve, reject) => (client as any)[m](req, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
  try {
    const ch = await call('Channels', { pattern: 'chat:*' });
    assert.deepEqual(ch.result.channels, { 'chat:room': { num_clients: 1 } });
    const info = await call('Info', {});
    assert.equal(info.result.nodes.length, 3);
  } finally {
    client.close();
  }
});
