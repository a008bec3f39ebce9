/**
 * The node registry (heartbeats on `<prefix>.node`) and the channels survey (`<prefix>.node.channels`)
 * over the in-process bus, with stand-in edges that speak the proto messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { createMemoryBus, type Bus } from '@gyre/bus';
import { silentLogger } from '@gyre/observability';
import { bus as busPb } from '@gyre/protocol';
import { ChannelsSurveyor } from '../src/channels_survey.js';
import { NodeRegistry } from '../src/node_registry.js';
import { channelsSurveySubject, controlSubject, nodeSubject } from '../src/subjects.js';
import { GlobSyntaxError } from '@gyre/config';

const prefix = 'gyre';
const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

function heartbeat(bus: Bus, info: MessageInitShape<typeof busPb.NodeInfoSchema>): void {
  bus.publish(nodeSubject(prefix), toBinary(busPb.NodeInfoSchema, create(busPb.NodeInfoSchema, info)));
}

/** A stand-in edge answering channel surveys with fixed local channels (filtering by pattern is skipped on purpose). */
function fakeEdge(bus: Bus, uid: string, channels: Record<string, number>, delayMs = 0): void {
  bus.subscribe(channelsSurveySubject(prefix), (msg) => {
    const survey = fromBinary(busPb.ChannelsSurveySchema, msg.data);
    const reply = toBinary(busPb.ChannelsSurveyReplySchema, create(busPb.ChannelsSurveyReplySchema, { nodeUid: uid, channels }));
    setTimeout(() => bus.publish(survey.replySubject, reply), delayMs);
  });
}

test('registry - nodes come from heartbeats, expire after the TTL and leave on NodeShutdown', async () => {
  const bus = createMemoryBus();
  let now = 1_000_000;
  const reg = new NodeRegistry({ bus, prefix, logger: silentLogger(), nodeId: 'me', nodeName: 'me-node', version: '1 OSS', services: ['api', 'edge'], sendHeartbeat: false, now: () => now });
  reg.start();
  try {
    assert.deepEqual(reg.list().map((n) => n.uid), ['me'], 'this process is listed before its first heartbeat');
    heartbeat(bus, { uid: 'b', name: 'bbb', services: ['edge'], numClients: 2 });
    heartbeat(bus, { uid: 'me', name: 'me-node', services: ['api', 'edge'], numClients: 5 });
    heartbeat(bus, { uid: 'a', name: 'aaa', services: ['presence-history'] });
    await tick();
    assert.deepEqual(reg.list().map((n) => n.uid), ['me', 'a', 'b'], 'this process first, then by name');
    assert.equal(reg.list()[0]!.numClients, 5, "the local edge's heartbeat replaces the stand-in");
    assert.equal(reg.edgeCount(), 2);
    now += 8000;
    heartbeat(bus, { uid: 'b', name: 'bbb', services: ['edge'] });
    await tick();
    assert.deepEqual(reg.list().map((n) => n.uid), ['me', 'b'], 'silent nodes drop out after 7 s');
    const ctl = create(busPb.ControlSchema, { command: { case: 'shutdown', value: create(busPb.NodeShutdownSchema, { nodeUid: 'b' }) } });
    bus.publish(controlSubject(prefix), toBinary(busPb.ControlSchema, ctl));
    await tick();
    assert.deepEqual(reg.list().map((n) => n.uid), ['me']);
  } finally {
    reg.stop();
    await bus.close();
  }
});

test('registry - without a local edge it sends this process heartbeat and announces shutdown', async () => {
  const bus = createMemoryBus();
  const seen: busPb.NodeInfo[] = [];
  const controls: busPb.Control[] = [];
  bus.subscribe(nodeSubject(prefix), (m) => seen.push(fromBinary(busPb.NodeInfoSchema, m.data)));
  bus.subscribe(controlSubject(prefix), (m) => controls.push(fromBinary(busPb.ControlSchema, m.data)));
  const reg = new NodeRegistry({ bus, prefix, logger: silentLogger(), nodeId: 'api-1', nodeName: 'api-node', version: '9', services: ['api'], sendHeartbeat: true, heartbeatIntervalMs: 30 });
  reg.start();
  await tick(100);
  reg.stop();
  await tick();
  assert.ok(seen.length >= 2, 'heartbeats repeat');
  assert.equal(seen[0]!.uid, 'api-1');
  assert.equal(seen[0]!.name, 'api-node');
  assert.equal(seen[0]!.version, '9');
  assert.deepEqual(seen[0]!.services, ['api']);
  assert.equal(reg.edgeCount(), 0);
  assert.equal(controls.length, 1);
  assert.equal(controls[0]!.command.case, 'shutdown');
  await bus.close();
});

test('survey - sums every edge, filters by the glob, ends as soon as all known edges answered', async () => {
  const bus = createMemoryBus();
  fakeEdge(bus, 'e1', { 'news:1': 2, 'chat:1': 1 });
  fakeEdge(bus, 'e2', { 'news:1': 3, 'news:2': 1 }, 30);
  const s = new ChannelsSurveyor({ bus, prefix, logger: silentLogger(), expectedReplies: () => 2, timeoutMs: 5000 });
  const started = Date.now();
  const all = await s.survey('');
  assert.ok(Date.now() - started < 2000, 'no waiting for the timeout');
  assert.deepEqual(Object.fromEntries(all), { 'news:1': 5, 'chat:1': 1, 'news:2': 1 });
  const news = await s.survey('news:*');
  assert.deepEqual(Object.fromEntries(news), { 'news:1': 5, 'news:2': 1 });
  await assert.rejects(s.survey('news:[1'), GlobSyntaxError);
  await bus.close();
});

test('survey - a missing edge costs the timeout, not an error; duplicate answers count once', async () => {
  const bus = createMemoryBus();
  fakeEdge(bus, 'e1', { a: 1 });
  fakeEdge(bus, 'e1', { a: 1 });
  const s = new ChannelsSurveyor({ bus, prefix, logger: silentLogger(), expectedReplies: () => 3, timeoutMs: 150 });
  const started = Date.now();
  const out = await s.survey('');
  assert.ok(Date.now() - started >= 140);
  assert.deepEqual(Object.fromEntries(out), { a: 1 });
  const none = new ChannelsSurveyor({ bus, prefix, logger: silentLogger(), expectedReplies: () => 0, timeoutMs: 5000 });
  assert.equal((await none.survey('')).size, 0, 'no edges: an empty answer at once');
  await bus.close();
});

test('survey - an edge answering with a plain bus reply is counted too', async () => {
  const bus = createMemoryBus();
  bus.subscribe(channelsSurveySubject(prefix), (msg) => {
    msg.respond(toBinary(busPb.ChannelsSurveyReplySchema, create(busPb.ChannelsSurveyReplySchema, { nodeUid: 'responder', channels: { r: 4 } })));
  });
  const s = new ChannelsSurveyor({ bus, prefix, logger: silentLogger(), expectedReplies: () => 1, timeoutMs: 5000 });
  const started = Date.now();
  assert.deepEqual(Object.fromEntries(await s.survey('')), { r: 4 });
  assert.ok(Date.now() - started < 2000);
  await bus.close();
});
