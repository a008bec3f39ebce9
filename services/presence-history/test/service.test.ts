import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { channelSubject, createMemoryBus, MemoryBusHub, type Bus, type BusMessage } from '@gyre/bus';
import { defaultConfig } from '@gyre/config';
import { silentLogger } from '@gyre/observability';
import { bus as busPb } from '@gyre/protocol';
import {
  BusHistoryStore,
  BusPresenceStore,
  MemoryHistoryStore,
  MemoryPresenceStore,
  StoreUnavailableError,
  UnrecoverablePositionError,
  pingStateService,
  stateSubject,
  type HistoryStore,
  type PresenceStore,
} from '@gyre/store';
import { sleep, startNatsServer, waitFor, type ServerHandle } from '@gyre/testing';
import { startPresenceHistory } from '../src/index.js';
import { startStack, type BusKind } from './fixtures/stack.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const HIST = { historySize: 100, historyTtlMs: 60_000, historyMetaTtlMs: 3_600_000 };

let nats: ServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(async () => {
  await nats?.stop();
});

const kinds: Array<[string, () => BusKind]> = [
  ['memory bus', () => ({ type: 'memory' })],
  ['nats', () => ({ type: 'nats', url: nats.url })],
];

/** Collects the ChannelMessages published on one channel's subject. */
function watchChannel(bus: Bus, channel: string): busPb.ChannelMessage[] {
  const got: busPb.ChannelMessage[] = [];
  bus.subscribe(channelSubject(channel), (m: BusMessage) => got.push(fromBinary(busPb.ChannelMessageSchema, m.data)));
  return got;
}

function publicationOf(m: busPb.ChannelMessage): busPb.ChannelPublication {
  assert.equal(m.event.case, 'publication');
  return m.event.value as busPb.ChannelPublication;
}

/** Sends raw bytes to a state subject and decodes the reply. */
async function rawRequest(bus: Bus, op: string, data: Uint8Array): Promise<busPb.StateReply> {
  return fromBinary(busPb.StateReplySchema, await bus.request(stateSubject('gyre', op), data, { timeoutMs: 2000 }));
}

function encodeRequest(op: busPb.StateRequest['op']): Uint8Array {
  return toBinary(busPb.StateRequestSchema, create(busPb.StateRequestSchema, { op }));
}

for (const [label, kind] of kinds) {
  test(`presence-history (${label}) - publish appends and broadcasts on the channel subject, in offset order`, async () => {
    const stack = await startStack(kind());
    try {
      const channel = 'news:room.1 ✓';
      const got = watchChannel(stack.clientBus, channel);
      await stack.clientBus.flush();
      const info = { user: 'u1', client: 'c1', connInfo: enc.encode('{"n":1}') };
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        stack.history.publish(channel, { data: enc.encode(`m${i}`), info, tags: { t: String(i) } }, HIST)));
      const epoch = results[0]!.position.epoch;
      assert.match(epoch, /^[a-zA-Z]{8}$/);
      assert.deepEqual(results.map((r) => Number(r.position.offset)).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
      assert.ok(results.every((r) => !r.suppressed && r.position.epoch === epoch));
      await waitFor(() => got.length === 50, 5000, 5, '50 channel messages');
      const pubs = got.map(publicationOf);
      assert.deepEqual(pubs.map((p) => Number(p.publication!.offset)), Array.from({ length: 50 }, (_, i) => i + 1), 'fan-out order is stream order');
      for (const m of got) assert.equal(m.channel, channel);
      for (const p of pubs) {
        assert.equal(p.epoch, epoch);
        assert.equal(p.delta, false);
        assert.equal(p.prevData, undefined);
        assert.equal(p.publication!.delta, false);
        assert.ok(p.publication!.time > 0n);
        assert.equal(p.publication!.info?.user, 'u1');
        assert.equal(dec.decode(p.publication!.info!.connInfo), '{"n":1}');
      }
      // Each broadcast carries the data that was appended at its offset.
      const h = await stack.history.history(channel, { limit: -1, reverse: false }, { metaTtlMs: 0 });
      assert.deepEqual(pubs.map((p) => dec.decode(p.publication!.data)), h.publications.map((p) => dec.decode(p.data)));
      assert.deepEqual(pubs.map((p) => p.publication!.tags['t']), h.publications.map((p) => p.tags?.['t']));
    } finally {
      await stack.stop();
    }
  });

  test(`presence-history (${label}) - a suppressed publish (idempotency key, stale version) is not broadcast`, async () => {
    const stack = await startStack(kind());
    try {
      const channel = 'suppressed';
      const got = watchChannel(stack.clientBus, channel);
      await stack.clientBus.flush();
      const first = await stack.history.publish(channel, { data: enc.encode('a') }, { ...HIST, idempotencyKey: 'k' });
      const dup = await stack.history.publish(channel, { data: enc.encode('a') }, { ...HIST, idempotencyKey: 'k' });
      assert.deepEqual(dup, { position: first.position, suppressed: true, suppressReason: 'idempotency' });
      const v5 = await stack.history.publish(channel, { data: enc.encode('v5') }, { ...HIST, version: 5n });
      const v4 = await stack.history.publish(channel, { data: enc.encode('v4') }, { ...HIST, version: 4n });
      assert.deepEqual(v4, { position: v5.position, suppressed: true, suppressReason: 'version' });
      const last = await stack.history.publish(channel, { data: enc.encode('last') }, HIST);
      await waitFor(() => got.length >= 3, 5000, 5, 'three broadcasts');
      await stack.serviceBus.flush();
      await sleep(50);
      assert.deepEqual(got.map((m) => dec.decode(publicationOf(m).publication!.data)), ['a', 'v5', 'last']);
      assert.equal(last.position.offset, 3n);
    } finally {
      await stack.stop();
    }
  });

  test(`presence-history (${label}) - delta publications carry the previous publication as prev_data`, async () => {
    const stack = await startStack(kind());
    try {
      const channel = 'delta';
      const got = watchChannel(stack.clientBus, channel);
      await stack.clientBus.flush();
      await stack.history.publish(channel, { data: enc.encode('{"a":1}') }, { ...HIST, useDelta: true });
      await stack.history.publish(channel, { data: enc.encode('{"a":2}') }, { ...HIST, useDelta: true });
      await stack.history.publish(channel, { data: enc.encode('{"a":3}') }, HIST);
      await waitFor(() => got.length === 3, 5000, 5, 'three broadcasts');
      const [p1, p2, p3] = got.map(publicationOf);
      assert.equal(p1!.delta, true);
      assert.equal(p1!.prevData, undefined, 'no base for the first publication');
      assert.equal(p2!.delta, true);
      assert.equal(dec.decode(p2!.prevData!), '{"a":1}');
      assert.equal(p2!.prevOffset, 1n);
      assert.equal(p2!.publication!.delta, false, 'deltas are computed by edges, never on the bus');
      assert.equal(p3!.delta, false);
      assert.equal(p3!.prevData, undefined);
    } finally {
      await stack.stop();
    }
  });

  test(`presence-history (${label}) - without history, publish goes straight to the channel subject with offset 0`, async () => {
    const stack = await startStack(kind());
    try {
      const channel = 'no-history';
      const got = watchChannel(stack.clientBus, channel);
      await stack.clientBus.flush();
      // No presence-history is needed for this path.
      await stack.service.stop(Date.now() + 1000);
      const r = await stack.history.publish(channel, { data: enc.encode('x'), time: 1234n }, { ...HIST, historySize: 0 });
      assert.deepEqual(r, { position: { offset: 0n, epoch: '' }, suppressed: false });
      await waitFor(() => got.length === 1, 5000, 5, 'the broadcast');
      const p = publicationOf(got[0]!);
      assert.equal(p.publication!.offset, 0n);
      assert.equal(p.epoch, '');
      assert.equal(p.publication!.time, 1234n);
      assert.equal(dec.decode(p.publication!.data), 'x');
    } finally {
      await stack.stop();
    }
  });

  test(`presence-history (${label}) - without history but with an idempotency key, the service dedups and broadcasts once`, async () => {
    const stack = await startStack(kind());
    try {
      const channel = 'no-history-idem';
      const got = watchChannel(stack.clientBus, channel);
      await stack.clientBus.flush();
      const opts = { ...HIST, historyTtlMs: 0, idempotencyKey: 'once' };
      const a = await stack.history.publish(channel, { data: enc.encode('x') }, opts);
      const b = await stack.history.publish(channel, { data: enc.encode('x') }, opts);
      assert.deepEqual(a, { position: { offset: 0n, epoch: '' }, suppressed: false });
      assert.equal(b.suppressed, true);
      await waitFor(() => got.length === 1, 5000, 5, 'the broadcast');
      await sleep(50);
      assert.equal(got.length, 1);
      assert.equal(publicationOf(got[0]!).publication!.offset, 0n);
    } finally {
      await stack.stop();
    }
  });

  test(`presence-history (${label}) - malformed state requests get error replies and the service keeps serving`, async () => {
    const stack = await startStack(kind());
    try {
      const bus = stack.clientBus;
      const expectError = async (op: string, data: Uint8Array, code: number, what: string) => {
        const reply = await rawRequest(bus, op, data);
        assert.equal(reply.error?.code, code, `${what}: ${reply.error?.message}`);
        assert.ok(reply.error!.message.length > 0);
      };
      await expectError('history_add', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), 107, 'garbage bytes');
      await expectError('history_read', new Uint8Array([0x12, 0x80]), 107, 'truncated message');
      await expectError('history_add', new Uint8Array(0), 107, 'empty request');
      await expectError('frobnicate', new Uint8Array(0), 104, 'unknown op');
      await expectError('history_add.extra', new Uint8Array(0), 104, 'extra subject token');
      const read = (value: MessageInitShape<typeof busPb.HistoryReadRequestSchema>) => encodeRequest({ case: 'historyRead', value: create(busPb.HistoryReadRequestSchema, value) });
      await expectError('history_add', read({ channel: 'c' }), 107, 'request sent to the subject of another op');
      await expectError('history_read', read({ channel: '' }), 107, 'no channel');
      await expectError('history_read', read({ channel: 'c', limit: -5 }), 107, 'limit below -1');
      await expectError('history_read', read({ channel: 'c', limit: 1, reverse: true, since: { offset: 0n, epoch: '' } }), 107, 'reverse from offset 0');
      await expectError('history_read', read({ channel: 'c', metaTtlMs: -1n }), 107, 'negative meta ttl');
      const add = (value: MessageInitShape<typeof busPb.HistoryAddRequestSchema>) => encodeRequest({ case: 'historyAdd', value: create(busPb.HistoryAddRequestSchema, value) });
      await expectError('history_add', add({ channel: 'c', size: 10, ttlMs: 1000n }), 107, 'no publication');
      await expectError('history_add', add({ channel: 'c', size: 10, ttlMs: -1n, publication: {} }), 107, 'negative ttl');
      const presenceAdd = encodeRequest({
        case: 'presenceAdd',
        value: create(busPb.PresenceAddRequestSchema, { entries: [{ channel: 'c', info: { user: 'u', client: '' } }] }),
      });
      await expectError('presence_add', presenceAdd, 107, 'presence entry without client');
      const presenceRemove = encodeRequest({ case: 'presenceRemove', value: create(busPb.PresenceRemoveRequestSchema, { entries: [{ channel: '' }] }) });
      await expectError('presence_remove', presenceRemove, 107, 'presence entry without channel');
      // Still serving.
      const r = await stack.history.publish('after-garbage', { data: enc.encode('ok') }, HIST);
      assert.equal(r.position.offset, 1n);
    } finally {
      await stack.stop();
    }
  });
}

test('presence-history - a read with a foreign epoch replies 112 and carries the current top', async () => {
  const stack = await startStack({ type: 'memory' });
  try {
    const r = await stack.history.publish('epoch', { data: enc.encode('x') }, HIST);
    const reply = await rawRequest(stack.clientBus, 'history_read', encodeRequest({
      case: 'historyRead',
      value: create(busPb.HistoryReadRequestSchema, { channel: 'epoch', limit: -1, since: { offset: 0n, epoch: 'zzzzzzzz' } }),
    }));
    assert.equal(reply.error?.code, 112);
    assert.equal(reply.error?.message, 'unrecoverable position');
    assert.equal(reply.result.case, 'historyRead');
    assert.equal((reply.result.value as busPb.HistoryReadResult).top?.epoch, r.position.epoch);
    await assert.rejects(
      stack.history.history('epoch', { since: { offset: 0n, epoch: 'zzzzzzzz' }, limit: -1, reverse: false }, { metaTtlMs: 0 }),
      (err: unknown) => err instanceof UnrecoverablePositionError && err.position.offset === 1n && err.position.epoch === r.position.epoch,
    );
  } finally {
    await stack.stop();
  }
});

test('presence-history - store failures reply error 100 and callers get StoreUnavailableError', async () => {
  const broken = new MemoryHistoryStore();
  await broken.close();
  const stack = await startStack({ type: 'memory' }, { stores: { history: broken, presence: new MemoryPresenceStore() } });
  try {
    const reply = await rawRequest(stack.clientBus, 'history_remove', encodeRequest({
      case: 'historyRemove', value: create(busPb.HistoryRemoveRequestSchema, { channel: 'c' }),
    }));
    assert.equal(reply.error?.code, 100);
    assert.equal(reply.error?.temporary, true);
    await assert.rejects(stack.history.publish('c', { data: enc.encode('x') }, HIST), StoreUnavailableError);
    await assert.rejects(stack.history.history('c', { limit: 0, reverse: false }, { metaTtlMs: 0 }), StoreUnavailableError);
  } finally {
    await stack.stop();
  }
});

test('presence-history - without any instance, calls fail at once with StoreUnavailableError', async () => {
  const bus = createMemoryBus(new MemoryBusHub());
  const history = new BusHistoryStore({ bus, timeoutMs: 10_000 });
  try {
    const started = Date.now();
    await assert.rejects(history.publish('c', { data: enc.encode('x') }, HIST), (err: unknown) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.equal(err.code, 100);
      return true;
    });
    assert.ok(Date.now() - started < 1000, 'no-responders is detected without waiting for the timeout');
  } finally {
    await bus.close();
  }
});

test('presence-history - an instance that does not answer in time surfaces as StoreUnavailableError after the timeout', async () => {
  const bus = createMemoryBus(new MemoryBusHub());
  bus.queueSubscribe('gyre.state.>', 'presence-history', () => {});
  const history = new BusHistoryStore({ bus, timeoutMs: 150 });
  try {
    const started = Date.now();
    await assert.rejects(history.history('c', { limit: 0, reverse: false }, { metaTtlMs: 0 }), StoreUnavailableError);
    assert.ok(Date.now() - started >= 140);
  } finally {
    await bus.close();
  }
});

test('presence-history - the readiness ping answers only while the stores answer', async () => {
  let healthy = true;
  const history = Object.assign(new MemoryHistoryStore(), {
    async ping() {
      if (!healthy) throw new Error('redis down');
    },
  });
  const presence = new MemoryPresenceStore();
  const stack = await startStack({ type: 'memory' }, { stores: { history, presence } });
  try {
    await pingStateService(stack.clientBus, 'gyre', 1000);
    healthy = false;
    await assert.rejects(pingStateService(stack.clientBus, 'gyre', 1000), StoreUnavailableError);
    healthy = true;
    await pingStateService(stack.clientBus, 'gyre', 1000);
  } finally {
    await stack.stop();
    await history.close();
    await presence.close();
  }
});

test('presence-history - instances in the queue group share the requests', async () => {
  const hub = new MemoryBusHub();
  const config = defaultConfig();
  const counts = [0, 0];
  const counting = (i: number): { history: HistoryStore; presence: PresenceStore } => {
    const history = new MemoryHistoryStore();
    const presence = new MemoryPresenceStore();
    const stats = presence.presenceStats.bind(presence);
    presence.presenceStats = async (channel: string) => {
      counts[i]!++;
      return stats(channel);
    };
    return { history, presence };
  };
  const buses = [createMemoryBus(hub), createMemoryBus(hub), createMemoryBus(hub)];
  const services = await Promise.all([0, 1].map((i) => startPresenceHistory({ config, bus: buses[i]!, logger: silentLogger(), stores: counting(i) })));
  const client = new BusPresenceStore({ bus: buses[2]! });
  try {
    for (let i = 0; i < 200; i++) await client.presenceStats('c');
    assert.equal(counts[0]! + counts[1]!, 200, 'each request is handled exactly once');
    assert.ok(counts[0]! > 0 && counts[1]! > 0, `both instances work: ${counts.join(', ')}`);
  } finally {
    await Promise.all(services.map((s) => s.stop(Date.now() + 1000)));
    await Promise.all(buses.map((b) => b.close()));
  }
});

test('presence-history - stop lets requests in flight finish', async () => {
  const history = new MemoryHistoryStore();
  const presence = new MemoryPresenceStore();
  const get = presence.presence.bind(presence);
  presence.presence = async (channel: string) => {
    await sleep(200);
    return get(channel);
  };
  const stack = await startStack({ type: 'memory' }, { stores: { history, presence } });
  try {
    await stack.presence.addPresence('c', 'c1', { user: 'u', client: 'c1' });
    const pending = stack.presence.presence('c');
    await sleep(20);
    await stack.service.stop(Date.now() + 2000);
    assert.deepEqual([...(await pending).keys()], ['c1']);
  } finally {
    await stack.stop();
    await history.close();
    await presence.close();
  }
});

test('presence-history - built from gyre.store (memory by default) it serves history and presence', async () => {
  const hub = new MemoryBusHub();
  const serviceBus = createMemoryBus(hub);
  const bus = createMemoryBus(hub);
  const service = await startPresenceHistory({ config: defaultConfig(), bus: serviceBus, logger: silentLogger() });
  try {
    const history = new BusHistoryStore({ bus });
    const r = await history.publish('c', { data: enc.encode('x') }, HIST);
    assert.equal(r.position.offset, 1n);
    await pingStateService(bus);
  } finally {
    await service.stop(Date.now() + 1000);
    await Promise.all([bus.close(), serviceBus.close()]);
  }
});
