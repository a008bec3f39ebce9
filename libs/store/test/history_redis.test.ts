// What the contract cannot see: the Redis layout Centrifugo nodes share, script loading, exact
// version comparison and the guards of the append script.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { protocol } from '@gyre/protocol';
import { startRedisServer, type ServerHandle } from '@gyre/testing';
import { Redis } from 'ioredis';
import { RedisHistoryStore } from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const HIST = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 3_600_000 };
const META = { metaTtlMs: 3_600_000 };

let server: ServerHandle;
let raw: Redis;
before(async () => {
  server = await startRedisServer();
  raw = new Redis(server.url);
});
after(async () => {
  raw?.disconnect();
  await server?.stop();
});

async function withStore(fn: (store: RedisHistoryStore) => Promise<void>, prefix = 'centrifugo'): Promise<void> {
  const store = new RedisHistoryStore({ address: server.url, prefix });
  await store.connection.waitReady(5000);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const channel = (label: string): string => `layout:${label}:${randomUUID()}`;

test('history-redis - appends are stored in Centrifugo\'s layout: stream ids are offsets, d is a protobuf Publication, meta holds e and s', () =>
  withStore(async (store) => {
    const ch = channel('layout');
    const info = { user: 'u1', client: 'c1', connInfo: enc.encode('{"x":1}') };
    const r1 = await store.addPublication(ch, { data: enc.encode('one'), info, tags: { k: 'v' }, time: 1700000000123n }, HIST);
    await store.addPublication(ch, { data: enc.encode('two') }, { ...HIST, historyTtlMs: 30_000 });

    const entries = await raw.xrangeBuffer(`centrifugo.stream.${ch}`, '-', '+');
    assert.deepEqual(entries.map(([id]) => id.toString()), ['1-0', '2-0']);
    const [field, payload] = entries[0]![1];
    assert.equal(field!.toString(), 'd');
    const pub = fromBinary(protocol.PublicationSchema, payload!);
    assert.equal(dec.decode(pub.data), 'one');
    assert.equal(pub.offset, 0n, 'the offset lives in the entry id, not in the payload');
    assert.equal(pub.time, 1700000000123n);
    assert.equal(pub.info?.user, 'u1');
    assert.equal(dec.decode(pub.info!.connInfo), '{"x":1}');
    assert.deepEqual(pub.tags, { k: 'v' });

    const meta = await raw.hgetall(`centrifugo.stream.meta.${ch}`);
    assert.deepEqual(meta, { e: r1.position.epoch, s: '2' });
    const streamTtl = await raw.pttl(`centrifugo.stream.${ch}`);
    assert.ok(streamTtl > 25_000 && streamTtl <= 30_000, `the stream expires history_ttl after the latest append (${streamTtl})`);
    const metaTtl = await raw.pttl(`centrifugo.stream.meta.${ch}`);
    assert.ok(metaTtl > 3_500_000 && metaTtl <= 3_600_000, `meta ttl ${metaTtl}`);
  }));

test('history-redis - idempotency results and versions use Centrifugo\'s keys and fields', () =>
  withStore(async (store) => {
    const ch = channel('keys');
    const r = await store.addPublication(ch, { data: enc.encode('a') }, { ...HIST, idempotencyKey: 'key-1', idempotentResultTtlMs: 20_000, version: 7n, versionEpoch: 've' });
    assert.deepEqual(await raw.hgetall(`centrifugo.result.${ch}.key-1`), { e: r.position.epoch, s: '1' });
    const ttl = await raw.pttl(`centrifugo.result.${ch}.key-1`);
    assert.ok(ttl > 15_000 && ttl <= 20_000);
    const meta = await raw.hgetall(`centrifugo.stream.meta.${ch}`);
    assert.equal(meta['v'], '7');
    assert.equal(meta['ve'], 've');
    const plain = channel('keys-nohist');
    await store.addPublication(plain, { data: enc.encode('a') }, { ...HIST, historySize: 0, idempotencyKey: 'k' });
    assert.deepEqual(await raw.hgetall(`centrifugo.result.${plain}.k`), { e: '' }, 'without history the result holds an empty epoch');
    assert.equal(await raw.exists(`centrifugo.stream.meta.${plain}`), 0, 'and no stream meta is created');
  }));

test('history-redis - reads a stream written by Centrifugo', () =>
  withStore(async (store) => {
    const ch = channel('interop');
    // What a Centrifugo node writes: integer-second TTLs, a Publication without offset.
    for (let offset = 1; offset <= 3; offset++) {
      const pub = create(protocol.PublicationSchema, { data: enc.encode(`c${offset}`), time: BigInt(1700000000000 + offset), tags: { n: String(offset) } });
      await raw.xadd(`centrifugo.stream.${ch}`, 'MAXLEN', '10', `${offset}`, 'd', Buffer.from(toBinary(protocol.PublicationSchema, pub)));
    }
    await raw.hset(`centrifugo.stream.meta.${ch}`, 'e', 'AbCdEfGh', 's', '3');
    await raw.expire(`centrifugo.stream.meta.${ch}`, 3600);
    const h = await store.history(ch, { since: { offset: 1n, epoch: 'AbCdEfGh' }, limit: -1, reverse: false }, META);
    assert.deepEqual(h.position, { offset: 3n, epoch: 'AbCdEfGh' });
    assert.deepEqual(h.publications.map((p) => [p.offset, dec.decode(p.data), p.tags?.['n'], p.time]), [
      [2n, 'c2', '2', 1700000000002n],
      [3n, 'c3', '3', 1700000000003n],
    ]);
    const next = await store.addPublication(ch, { data: enc.encode('gyre') }, HIST);
    assert.deepEqual(next.position, { offset: 4n, epoch: 'AbCdEfGh' }, 'appends continue the Centrifugo stream');
  }));

test('history-redis - versions compare exactly beyond 2^53', () =>
  withStore(async (store) => {
    const ch = channel('bigversion');
    const big = 2n ** 60n;
    assert.equal((await store.addPublication(ch, { data: enc.encode('a') }, { ...HIST, version: big + 1n })).suppressed, false);
    assert.equal((await store.addPublication(ch, { data: enc.encode('b') }, { ...HIST, version: big })).suppressed, true);
    assert.equal((await store.addPublication(ch, { data: enc.encode('c') }, { ...HIST, version: big + 1n })).suppressed, true, 'a double would call these equal');
    assert.equal((await store.addPublication(ch, { data: enc.encode('d') }, { ...HIST, version: big + 2n })).suppressed, false);
    assert.equal((await store.addPublication(ch, { data: enc.encode('e') }, { ...HIST, version: 9n })).suppressed, true, 'shorter is smaller');
  }));

test('history-redis - a new epoch drops what the stream still holds from a forgotten one', () =>
  withStore(async (store) => {
    const ch = channel('evicted');
    const first = await store.addPublication(ch, { data: enc.encode('old1') }, HIST);
    await store.addPublication(ch, { data: enc.encode('old2') }, HIST);
    await raw.del(`centrifugo.stream.meta.${ch}`); // as if evicted under memory pressure
    const fresh = await store.addPublication(ch, { data: enc.encode('new') }, HIST);
    assert.equal(fresh.position.offset, 1n);
    assert.notEqual(fresh.position.epoch, first.position.epoch);
    const h = await store.history(ch, { limit: -1, reverse: false }, META);
    assert.deepEqual(h.publications.map((p) => dec.decode(p.data)), ['new']);
  }));

test('history-redis - the delta base is read inside the append, even when this append trims it away', () =>
  withStore(async (store) => {
    const ch = channel('delta1');
    const opts = { ...HIST, historySize: 1, useDelta: true };
    await store.addPublication(ch, { data: enc.encode('{"v":1}') }, opts);
    const second = await store.addPublication(ch, { data: enc.encode('{"v":2}') }, opts);
    assert.equal(second.previous?.offset, 1n);
    assert.equal(dec.decode(second.previous!.data), '{"v":1}');
    const h = await store.history(ch, { limit: -1, reverse: false }, META);
    assert.deepEqual(h.publications.map((p) => p.offset), [2n]);
  }));

test('history-redis - after SCRIPT FLUSH the scripts are loaded again (NOSCRIPT fallback)', () =>
  withStore(async (store) => {
    const ch = channel('noscript');
    await store.addPublication(ch, { data: enc.encode('a') }, HIST);
    await raw.script('FLUSH');
    const results = await Promise.all([1, 2, 3].map((i) => store.addPublication(ch, { data: enc.encode(`b${i}`) }, HIST)));
    assert.deepEqual(results.map((r) => r.position.offset).sort(), [2n, 3n, 4n]);
    await raw.script('FLUSH');
    const h = await store.history(ch, { limit: -1, reverse: false }, META);
    assert.equal(h.publications.length, 4);
  }));

test('history-redis - the key prefix is configurable', () =>
  withStore(async (store) => {
    const ch = channel('prefix');
    await store.addPublication(ch, { data: enc.encode('a') }, HIST);
    assert.equal(await raw.exists(`myapp.stream.${ch}`), 1);
    assert.equal(await raw.exists(`centrifugo.stream.${ch}`), 0);
  }, 'myapp'));
