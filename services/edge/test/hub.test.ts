/**
 * The channel hub on its own: a fake uWS app records topic publishes, a memory bus carries the
 * ChannelMessages, members are plain objects. Checks the properties the hot path is built on:
 * encode once per protocol, one topic publish per protocol, buffered sync on subscribe, in-order
 * sequenced delivery, gap handling, channel lifecycle, the backpressure bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import type { TemplatedApp } from 'uWebSockets.js';
import { MemoryBus, channelSubject } from '@gyre/bus';
import { silentLogger } from '@gyre/observability';
import { bus as busPb, protocol, type DisconnectReason } from '@gyre/protocol';
import type { HistoryFilter, HistoryResult, HistoryStore } from '@gyre/store';
import { jsonEncoding, protobufEncoding, type Encoding, type Frame } from '../src/frames.js';
import { uniJsonEncoding, uniProtobufEncoding } from '../src/frames_uni.js';
import { Hub, REORDER_WAIT_MS, type HubClient, type HubMember, type MemberMode, type Position } from '../src/hub.js';
import { LocalTopics } from '../src/local_topics.js';

const te = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** uWS stand-in: topic membership and publish, delivering synchronously like C++ does. */
class FakeApp {
  readonly members = new Map<string, Set<FakeClient>>();
  publishes: Array<{ topic: string; frame: Frame }> = [];
  publish(topic: string, frame: Frame): boolean {
    this.publishes.push({ topic, frame });
    for (const c of this.members.get(topic) ?? []) c.frames.push(frame);
    return true;
  }
}

class FakeClient implements HubClient {
  static n = 0;
  readonly id = `c${++FakeClient.n}`;
  closed = false;
  frames: Frame[] = [];
  buffered = 0;
  disconnected: DisconnectReason | null = null;
  constructor(
    readonly encoding: Encoding,
    private readonly app: FakeApp,
  ) {}
  write(frame: Frame): void {
    this.frames.push(frame);
  }
  joinTopic(topic: string): void {
    let s = this.app.members.get(topic);
    if (!s) this.app.members.set(topic, (s = new Set()));
    s.add(this);
  }
  leaveTopic(topic: string): void {
    this.app.members.get(topic)?.delete(this);
  }
  encodingFailed(): void {
    this.disconnected = { code: 3506, reason: 'inappropriate protocol' };
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  disconnect(d: DisconnectReason): void {
    this.disconnected = d;
    this.closed = true;
  }
  /** Offsets of the publications received (decoded from JSON frames or protobuf). */
  texts(): string[] {
    return this.frames.map((f) => (typeof f === 'string' ? f : Buffer.from(f).toString('latin1')));
  }
}

function member(client: FakeClient, channel: string, opts: Partial<HubMember> = {}): HubMember & { kicked: number } {
  const m = {
    client,
    channel,
    positioned: false,
    pushJoinLeave: false,
    delta: false,
    filter: null,
    mode: 'pending' as MemberMode,
    buffer: [] as busPb.ChannelPublication[],
    pos: { offset: 0n, epoch: '' } as Position,
    deltaBase: 0n,
    topic: '',
    inJoinLeaveTopic: false,
    kicked: 0,
    insufficientState() {
      m.kicked++;
    },
    ...opts,
  };
  return m;
}

class FakeHistory {
  result: HistoryResult = { position: { offset: 0n, epoch: 'EPOCHAAA' }, publications: [] };
  async history(_channel: string, _filter: HistoryFilter): Promise<HistoryResult> {
    return this.result;
  }
}

/** Encodings whose publication encoder counts its calls. */
function counted(): { encodings: Encoding[]; calls: number[] } {
  const calls = [0, 0, 0, 0];
  const encodings = [jsonEncoding, protobufEncoding, uniJsonEncoding, uniProtobufEncoding].map((e, i) => ({
    ...e,
    encodePublication: (channel: string, pub: protocol.Publication, asString?: boolean) => {
      calls[i]!++;
      return e.encodePublication(channel, pub, asString);
    },
  }));
  return { encodings, calls };
}

function setup(queueMaxSize = 0) {
  const app = new FakeApp();
  const bus = new MemoryBus();
  const history = new FakeHistory();
  const { encodings, calls } = counted();
  const hub = new Hub({
    app: app as unknown as TemplatedApp,
    local: new LocalTopics(),
    bus,
    prefix: 'gyre',
    logger: silentLogger(),
    history: history as unknown as HistoryStore,
    encodings,
    metaTtlMs: () => 0,
    queueMaxSize,
  });
  const publish = (channel: string, offset: bigint, epoch = 'EPOCHAAA', data = `{"o":${offset}}`) => {
    const msg = create(busPb.ChannelMessageSchema, {
      channel,
      event: { case: 'publication', value: create(busPb.ChannelPublicationSchema, { publication: create(protocol.PublicationSchema, { data: te.encode(data), offset }), epoch }) },
    });
    bus.publish(channelSubject('gyre', channel), toBinary(busPb.ChannelMessageSchema, msg));
  };
  return { app, bus, history, hub, calls, publish, client: (e: Encoding) => new FakeClient(e, app) };
}

const offsets = (c: FakeClient): number[] => c.texts().map((t) => Number(/"o":(\d+)/.exec(t)?.[1] ?? /o.(\d+)/.exec(t)?.[1]));

test('hub - a publication to many subscribers of both protocols is encoded once per protocol and published once per topic', async () => {
  const { app, hub, calls, publish, client, bus } = setup();
  const members = [];
  for (let i = 0; i < 200; i++) {
    const m = member(client(i % 2 ? protobufEncoding : jsonEncoding), 'news');
    await hub.add(m);
    assert.equal(hub.commit(m, null), true);
    members.push(m);
  }
  publish('news', 0n);
  await bus.flush();
  await sleep(5);
  assert.deepEqual(calls, [1, 1, 0, 0], 'one encode per protocol with members');
  assert.equal(app.publishes.length, 2, 'one topic publish per protocol');
  for (const m of members) assert.equal((m.client as FakeClient).frames.length, 1);
  assert.equal((members[0]!.client as FakeClient).frames[0], '{"push":{"channel":"news","pub":{"data":{"o":0}}}}');
});

test('hub - a positioned member buffers while pending and gets what raced the subscribe above its reply position, then joins the topic', async () => {
  const { hub, publish, client, bus } = setup();
  const c = client(jsonEncoding);
  const m = member(c, 'pos', { positioned: true });
  await hub.add(m);
  publish('pos', 4n);
  publish('pos', 5n);
  publish('pos', 6n);
  await bus.flush();
  await sleep(5);
  assert.equal(c.frames.length, 0, 'nothing before the reply');
  assert.equal(hub.commit(m, { offset: 4n, epoch: 'EPOCHAAA' }), true);
  assert.deepEqual(offsets(c), [5, 6]);
  assert.equal(m.mode, 'topic');
  publish('pos', 7n);
  await sleep(5);
  assert.deepEqual(offsets(c), [5, 6, 7]);
});

test('hub - out-of-order arrivals are delivered in order; duplicates are dropped', async () => {
  const { hub, publish, client } = setup();
  const c = client(protobufEncoding);
  const m = member(c, 'ord', { positioned: true });
  await hub.add(m);
  hub.commit(m, { offset: 1n, epoch: 'EPOCHAAA' });
  publish('ord', 3n);
  publish('ord', 2n);
  publish('ord', 2n);
  publish('ord', 4n);
  await sleep(10);
  assert.equal(c.frames.length, 3);
  assert.equal(m.kicked, 0);
});

test('hub - a gap that history cannot fill gives positioned members insufficient state; history that has it fills it', async () => {
  const { hub, publish, client, history } = setup();
  const a = member(client(jsonEncoding), 'gap', { positioned: true });
  await hub.add(a);
  hub.commit(a, { offset: 10n, epoch: 'EPOCHAAA' });
  history.result = { position: { offset: 13n, epoch: 'EPOCHAAA' }, publications: [{ offset: 11n, data: te.encode('{"o":11}') }, { offset: 12n, data: te.encode('{"o":12}') }] };
  publish('gap', 13n);
  await sleep(REORDER_WAIT_MS + 50);
  assert.equal(a.kicked, 0);
  assert.deepEqual(offsets(a.client as FakeClient), [11, 12, 13]);
  history.result = { position: { offset: 20n, epoch: 'EPOCHAAA' }, publications: [] };
  publish('gap', 20n);
  await sleep(REORDER_WAIT_MS + 50);
  assert.equal(a.kicked, 1);
});

test('hub - an epoch change gives positioned members insufficient state, plain members keep receiving', async () => {
  const { hub, publish, client } = setup();
  const p = member(client(jsonEncoding), 'ep', { positioned: true });
  const plain = member(client(jsonEncoding), 'ep');
  await hub.add(p);
  await hub.add(plain);
  hub.commit(p, { offset: 1n, epoch: 'EPOCHAAA' });
  hub.commit(plain, null);
  publish('ep', 1n, 'OTHEREPO');
  await sleep(5);
  assert.equal(p.kicked, 1);
  assert.equal((plain.client as FakeClient).frames.length, 1);
});

test('hub - the bus subscription lives exactly as long as the channel has members', async () => {
  const { hub, client } = setup();
  const a = member(client(jsonEncoding), 'life');
  const b = member(client(jsonEncoding), 'life');
  await hub.add(a);
  await hub.add(b);
  assert.equal(hub.channels.size, 1);
  hub.remove(a, true);
  assert.equal(hub.channels.size, 1);
  hub.remove(b, true);
  assert.equal(hub.channels.size, 0);
  assert.equal(hub.numSubscriptions, 0);
});

test('hub - members holding more than queue_max_size are closed with 3008 within a quarter queue of publishing', async () => {
  const { hub, publish, client } = setup(1000);
  const fast = member(client(jsonEncoding), 'bp');
  const slowClient = client(jsonEncoding);
  const slow = member(slowClient, 'bp');
  for (const m of [fast, slow]) {
    await hub.add(m);
    hub.commit(m, null);
  }
  slowClient.buffered = 1500;
  for (let i = 0; i < 30; i++) publish('bp', 0n, '', `{"pad":"${'x'.repeat(20)}"}`);
  await sleep(10);
  assert.deepEqual(slowClient.disconnected, { code: 3008, reason: 'slow' });
  assert.equal((fast.client as FakeClient).disconnected, null);
});

test('hub - a tags-filter member gets only matching publications, without a topic', async () => {
  const { hub, client, bus } = setup();
  const c = client(jsonEncoding);
  const m = member(c, 'tf', { filter: (tags) => tags['k'] === 'yes' });
  await hub.add(m);
  hub.commit(m, null);
  assert.equal(m.mode, 'individual');
  for (const k of ['yes', 'no', 'yes']) {
    const msg = create(busPb.ChannelMessageSchema, {
      channel: 'tf',
      event: { case: 'publication', value: create(busPb.ChannelPublicationSchema, { publication: create(protocol.PublicationSchema, { data: te.encode('{}'), tags: { k } }) }) },
    });
    bus.publish(channelSubject('gyre', 'tf'), toBinary(busPb.ChannelMessageSchema, msg));
  }
  await sleep(10);
  assert.equal(c.frames.length, 2);
});
