// The HistoryStore contract (see src/history.ts) as tests. Every implementation runs it:
//   runHistoryContract('history-memory', async () => { const clock = new ManualClock(); ... });
// makeHarness() returns a fresh store plus a way to let time pass: a manual clock's advance for the
// memory store, a real sleep for Redis (TTLs here are short enough for that: under 1.5 s).
// Channels are unique per test, so a shared Redis needs no flushing between tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  InvalidHistoryFilterError,
  StoreClosedError,
  UnrecoverablePositionError,
  type AddPublicationOptions,
  type HistoryStore,
  type StoredPublication,
} from '../src/index.js';

export interface HistoryHarness {
  store: HistoryStore;
  /** Lets `ms` of store time pass. */
  advance(ms: number): Promise<void>;
  /** Cleans up after the test (the store is closed by the suite). */
  dispose?(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const EPOCH = /^[a-zA-Z]{8}$/;

/** Generous options: history on, long TTLs. */
const HIST: AddPublicationOptions = { historySize: 100, historyTtlMs: 60_000, historyMetaTtlMs: 3_600_000 };
const META = { metaTtlMs: 3_600_000 };

function ch(label: string): string {
  return `contract:${label}:${randomUUID()}`;
}
function body(s: string): Omit<StoredPublication, 'offset'> {
  return { data: enc.encode(s) };
}
function texts(pubs: StoredPublication[]): string[] {
  return pubs.map((p) => dec.decode(p.data));
}
function offsets(pubs: StoredPublication[]): number[] {
  return pubs.map((p) => Number(p.offset));
}

export function runHistoryContract(name: string, makeHarness: () => Promise<HistoryHarness>): void {
  async function withStore(fn: (h: HistoryHarness) => Promise<void>): Promise<void> {
    const h = await makeHarness();
    try {
      await fn(h);
    } finally {
      await h.store.close();
      await h.dispose?.();
    }
  }
  async function fill(store: HistoryStore, channel: string, n: number, opts: AddPublicationOptions = HIST): Promise<string> {
    let epoch = '';
    for (let i = 1; i <= n; i++) epoch = (await store.addPublication(channel, body(`p${i}`), opts)).position.epoch;
    return epoch;
  }

  test(`${name} - offsets start at 1 and grow by 1; the epoch is 8 letters and stable`, () =>
    withStore(async ({ store }) => {
      const channel = ch('offsets');
      const info = { user: 'u1', client: 'c1', connInfo: enc.encode('{"a":1}'), chanInfo: enc.encode('x') };
      const first = await store.addPublication(channel, { data: enc.encode('one'), info, tags: { k: 'v' }, time: 1234n }, HIST);
      assert.equal(first.position.offset, 1n);
      assert.match(first.position.epoch, EPOCH);
      assert.equal(first.suppressed, false);
      assert.equal(first.publication?.offset, 1n);
      assert.equal(first.publication?.time, 1234n);
      for (let i = 2; i <= 5; i++) {
        const r = await store.addPublication(channel, body(`p${i}`), HIST);
        assert.equal(r.position.offset, BigInt(i));
        assert.equal(r.position.epoch, first.position.epoch);
        assert.equal(r.publication?.offset, BigInt(i));
        assert.equal(typeof r.publication?.time, 'bigint', 'time is filled in when absent');
      }
      const h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(h.position, { offset: 5n, epoch: first.position.epoch });
      assert.deepEqual(offsets(h.publications), [1, 2, 3, 4, 5]);
      const p1 = h.publications[0]!;
      assert.equal(dec.decode(p1.data), 'one');
      assert.deepEqual(p1.tags, { k: 'v' });
      assert.equal(p1.info?.user, 'u1');
      assert.equal(p1.info?.client, 'c1');
      assert.deepEqual([...p1.info!.connInfo!], [...info.connInfo]);
      assert.deepEqual([...p1.info!.chanInfo!], [...info.chanInfo]);
    }));

  test(`${name} - channels have independent streams`, () =>
    withStore(async ({ store }) => {
      const a = ch('a');
      const b = ch('b');
      await fill(store, a, 3);
      const rb = await store.addPublication(b, body('b1'), HIST);
      assert.equal(rb.position.offset, 1n);
      const ha = await store.history(a, { limit: 0, reverse: false }, META);
      assert.equal(ha.position.offset, 3n);
      assert.notEqual(ha.position.epoch, rb.position.epoch, 'each stream has its own epoch');
    }));

  test(`${name} - concurrent appends to one channel get distinct consecutive offsets`, () =>
    withStore(async ({ store }) => {
      const channel = ch('concurrent');
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.addPublication(channel, body(String(i)), HIST)));
      assert.deepEqual(results.map((r) => Number(r.position.offset)).sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i + 1));
      const h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(offsets(h.publications), Array.from({ length: 100 }, (_, i) => i + 1));
    }));

  test(`${name} - limit 0 returns only the position; a read creates the epoch later appends keep`, () =>
    withStore(async ({ store }) => {
      const channel = ch('limit0');
      const empty = await store.history(channel, { limit: 0, reverse: false }, META);
      assert.equal(empty.position.offset, 0n);
      assert.match(empty.position.epoch, EPOCH);
      assert.deepEqual(empty.publications, []);
      const again = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(again.position, empty.position, 'reading does not change the position');
      const r = await store.addPublication(channel, body('x'), HIST);
      assert.deepEqual(r.position, { offset: 1n, epoch: empty.position.epoch });
      const top = await store.history(channel, { limit: 0, reverse: false }, META);
      assert.deepEqual(top, { position: { offset: 1n, epoch: empty.position.epoch }, publications: [] });
    }));

  test(`${name} - limit, reverse and no since: first N, all, last N newest first`, () =>
    withStore(async ({ store }) => {
      const channel = ch('limit');
      await fill(store, channel, 10);
      const q = async (limit: number, reverse: boolean) => offsets((await store.history(channel, { limit, reverse }, META)).publications);
      assert.deepEqual(await q(3, false), [1, 2, 3]);
      assert.deepEqual(await q(-1, false), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(await q(3, true), [10, 9, 8]);
      assert.deepEqual(await q(-1, true), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      assert.deepEqual(await q(50, false), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(await q(0, true), []);
    }));

  test(`${name} - since forward returns publications strictly after the offset`, () =>
    withStore(async ({ store }) => {
      const channel = ch('since');
      const epoch = await fill(store, channel, 10);
      const q = async (offset: bigint, limit: number) =>
        offsets((await store.history(channel, { since: { offset, epoch }, limit, reverse: false }, META)).publications);
      assert.deepEqual(await q(4n, -1), [5, 6, 7, 8, 9, 10]);
      assert.deepEqual(await q(4n, 2), [5, 6]);
      assert.deepEqual(await q(0n, 3), [1, 2, 3]);
      assert.deepEqual(await q(10n, -1), [], 'nothing after the top');
      assert.deepEqual(await q(25n, -1), [], 'nothing after an offset beyond the top');
      assert.deepEqual(await q(4n, 0), [], 'limit 0 returns no publications even with since');
      const withoutEpoch = await store.history(channel, { since: { offset: 8n, epoch: '' }, limit: -1, reverse: false }, META);
      assert.deepEqual(offsets(withoutEpoch.publications), [9, 10], 'an empty since epoch skips the check');
      assert.deepEqual(withoutEpoch.position, { offset: 10n, epoch });
    }));

  test(`${name} - since reverse returns publications strictly before the offset, newest first`, () =>
    withStore(async ({ store }) => {
      const channel = ch('since-rev');
      const epoch = await fill(store, channel, 10);
      const q = async (offset: bigint, limit: number) =>
        offsets((await store.history(channel, { since: { offset, epoch }, limit, reverse: true }, META)).publications);
      assert.deepEqual(await q(5n, -1), [4, 3, 2, 1]);
      assert.deepEqual(await q(5n, 2), [4, 3]);
      assert.deepEqual(await q(11n, 3), [10, 9, 8], 'since top+1 starts at the top');
      assert.deepEqual(await q(1n, -1), [], 'nothing before offset 1');
      await assert.rejects(store.history(channel, { since: { offset: 0n, epoch }, limit: 5, reverse: true }, META), InvalidHistoryFilterError);
    }));

  test(`${name} - a since epoch that is not the stream's fails with UnrecoverablePositionError carrying the top`, () =>
    withStore(async ({ store }) => {
      const channel = ch('epoch');
      const epoch = await fill(store, channel, 3);
      await assert.rejects(
        store.history(channel, { since: { offset: 1n, epoch: 'otherEpc' }, limit: -1, reverse: false }, META),
        (error: unknown) => {
          assert.ok(error instanceof UnrecoverablePositionError);
          assert.deepEqual(error.position, { offset: 3n, epoch });
          return true;
        },
      );
    }));

  test(`${name} - malformed limits are rejected`, () =>
    withStore(async ({ store }) => {
      const channel = ch('bad-limit');
      for (const limit of [-2, 1.5, Number.NaN]) {
        await assert.rejects(store.history(channel, { limit, reverse: false }, META), InvalidHistoryFilterError, String(limit));
      }
    }));

  test(`${name} - history keeps only the last historySize publications`, () =>
    withStore(async ({ store }) => {
      const channel = ch('size');
      const epoch = await fill(store, channel, 5, { ...HIST, historySize: 3 });
      const all = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(offsets(all.publications), [3, 4, 5]);
      assert.deepEqual(texts(all.publications), ['p3', 'p4', 'p5']);
      assert.equal(all.position.offset, 5n);
      const since = await store.history(channel, { since: { offset: 1n, epoch }, limit: -1, reverse: false }, META);
      assert.deepEqual(offsets(since.publications), [3, 4, 5], 'since older than history starts at the oldest kept');
      const rev = await store.history(channel, { since: { offset: 3n, epoch }, limit: -1, reverse: true }, META);
      assert.deepEqual(offsets(rev.publications), [], 'reverse from a trimmed offset finds nothing');
    }));

  test(`${name} - publications expire historyTtl after the last append; the position survives`, () =>
    withStore(async ({ store, advance }) => {
      const channel = ch('ttl');
      const opts = { ...HIST, historyTtlMs: 600 };
      const epoch = await fill(store, channel, 2, opts);
      await advance(300);
      await store.addPublication(channel, body('p3'), opts); // restarts the TTL of the whole stream
      await advance(400);
      let h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(offsets(h.publications), [1, 2, 3], 'still there 700 ms after the first append');
      await advance(400);
      h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(h.publications, [], 'gone 800 ms after the last append');
      assert.deepEqual(h.position, { offset: 3n, epoch });
      const next = await store.addPublication(channel, body('p4'), opts);
      assert.deepEqual(next.position, { offset: 4n, epoch }, 'offsets continue in the same epoch');
    }));

  test(`${name} - the stream meta expires after historyMetaTtl without appends or reads: new epoch, offsets restart`, () =>
    withStore(async ({ store, advance }) => {
      const channel = ch('meta');
      const opts = { ...HIST, historyTtlMs: 300, historyMetaTtlMs: 800 };
      const epoch = await fill(store, channel, 3, opts);
      await advance(500);
      // A read refreshes the meta TTL.
      const read = await store.history(channel, { limit: 0, reverse: false }, { metaTtlMs: 800 });
      assert.deepEqual(read.position, { offset: 3n, epoch });
      await advance(500);
      const stillThere = await store.history(channel, { limit: 0, reverse: false }, { metaTtlMs: 800 });
      assert.deepEqual(stillThere.position, { offset: 3n, epoch }, 'alive 1000 ms after the last append thanks to the read');
      await advance(1000);
      const fresh = await store.addPublication(channel, body('again'), opts);
      assert.equal(fresh.position.offset, 1n);
      assert.match(fresh.position.epoch, EPOCH);
      assert.notEqual(fresh.position.epoch, epoch);
    }));

  test(`${name} - removeHistory drops publications but keeps epoch and top`, () =>
    withStore(async ({ store }) => {
      const channel = ch('remove');
      const epoch = await fill(store, channel, 4);
      await store.removeHistory(channel);
      const h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(h, { position: { offset: 4n, epoch }, publications: [] });
      const next = await store.addPublication(channel, body('p5'), HIST);
      assert.deepEqual(next.position, { offset: 5n, epoch });
      const after = await store.history(channel, { since: { offset: 3n, epoch }, limit: -1, reverse: false }, META);
      assert.deepEqual(offsets(after.publications), [5]);
      await store.removeHistory(ch('never-used'));
    }));

  test(`${name} - without history (size 0 or ttl 0) a publication takes no offset and leaves no stream`, () =>
    withStore(async ({ store }) => {
      const channel = ch('nohist');
      for (const opts of [{ ...HIST, historySize: 0 }, { ...HIST, historyTtlMs: 0 }]) {
        const r = await store.addPublication(channel, body('x'), opts);
        assert.deepEqual(r.position, { offset: 0n, epoch: '' });
        assert.equal(r.suppressed, false);
        assert.equal(r.publication?.offset, 0n);
        assert.equal(dec.decode(r.publication!.data), 'x');
      }
      const versioned = await store.addPublication(channel, body('v'), { ...HIST, historySize: 0, version: 1n });
      const older = await store.addPublication(channel, body('v'), { ...HIST, historySize: 0, version: 1n });
      assert.equal(versioned.suppressed, false);
      assert.equal(older.suppressed, false, 'versions are ignored without history');
      const h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.equal(h.position.offset, 0n);
      assert.deepEqual(h.publications, []);
      const withHistory = await store.addPublication(channel, body('y'), HIST);
      assert.deepEqual(withHistory.position, { offset: 1n, epoch: h.position.epoch });
    }));

  test(`${name} - an idempotency key returns the first result and does not append again`, () =>
    withStore(async ({ store }) => {
      const channel = ch('idem');
      const first = await store.addPublication(channel, body('a'), { ...HIST, idempotencyKey: 'k1' });
      await store.addPublication(channel, body('b'), HIST);
      const dup = await store.addPublication(channel, body('a-again'), { ...HIST, idempotencyKey: 'k1' });
      assert.equal(dup.suppressed, true);
      assert.equal(dup.suppressReason, 'idempotency');
      assert.deepEqual(dup.position, first.position, 'the cached first result');
      assert.equal(dup.publication, undefined, 'nothing to broadcast');
      const other = await store.addPublication(channel, body('c'), { ...HIST, idempotencyKey: 'k2' });
      assert.equal(other.position.offset, 3n);
      const h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(texts(h.publications), ['a', 'b', 'c']);
      const elsewhere = await store.addPublication(ch('idem-other'), body('a'), { ...HIST, idempotencyKey: 'k1' });
      assert.equal(elsewhere.suppressed, false, 'keys are per channel');
    }));

  test(`${name} - an idempotency key is forgotten after its TTL; it also works without history`, () =>
    withStore(async ({ store, advance }) => {
      const channel = ch('idem-ttl');
      const opts = { ...HIST, idempotencyKey: 'k', idempotentResultTtlMs: 500 };
      await store.addPublication(channel, body('a'), opts);
      await advance(300);
      assert.equal((await store.addPublication(channel, body('a'), opts)).suppressed, true);
      await advance(400);
      const again = await store.addPublication(channel, body('a'), opts);
      assert.equal(again.suppressed, false);
      assert.equal(again.position.offset, 2n);
      const plain = ch('idem-nohist');
      const nh = { ...HIST, historySize: 0, idempotencyKey: 'k' };
      assert.equal((await store.addPublication(plain, body('x'), nh)).suppressed, false);
      const dup = await store.addPublication(plain, body('x'), nh);
      assert.equal(dup.suppressed, true);
      assert.deepEqual(dup.position, { offset: 0n, epoch: '' });
    }));

  test(`${name} - versions: a version not above the last accepted one is suppressed within its version epoch`, () =>
    withStore(async ({ store }) => {
      const channel = ch('version');
      const v = (version: bigint, versionEpoch?: string) =>
        store.addPublication(channel, body(`v${version}${versionEpoch ?? ''}`), { ...HIST, version, ...(versionEpoch === undefined ? {} : { versionEpoch }) });
      const r2 = await v(2n);
      assert.equal(r2.suppressed, false);
      const r1 = await v(1n);
      assert.equal(r1.suppressed, true);
      assert.equal(r1.suppressReason, 'version');
      assert.deepEqual(r1.position, r2.position, 'suppressed: the current top');
      assert.equal(r1.publication, undefined);
      assert.equal((await v(2n)).suppressed, true, 'an equal version is suppressed too');
      assert.equal((await v(3n)).suppressed, false);
      // A different version epoch accepts a lower version and becomes the reference.
      assert.equal((await v(1n, 'e2')).suppressed, false);
      assert.equal((await v(1n, 'e2')).suppressed, true);
      assert.equal((await v(1n)).suppressed, true, 'an empty version epoch compares with whatever is stored');
      assert.equal((await v(2n)).suppressed, false);
      // Appends without a version neither check nor change the stored version.
      await store.addPublication(channel, body('plain'), HIST);
      assert.equal((await v(2n)).suppressed, true);
      const h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual(texts(h.publications), ['v2', 'v3', 'v1e2', 'v2', 'plain']);
      assert.deepEqual(offsets(h.publications), [1, 2, 3, 4, 5]);
    }));

  test(`${name} - useDelta returns the previous publication as the delta base`, () =>
    withStore(async ({ store }) => {
      const channel = ch('delta');
      const first = await store.addPublication(channel, { data: enc.encode('{"a":1}'), delta: true }, { ...HIST, useDelta: true });
      assert.equal(first.previous, undefined, 'no base for the first publication');
      const second = await store.addPublication(channel, { data: enc.encode('{"a":2}'), delta: true }, { ...HIST, useDelta: true });
      assert.equal(second.previous?.offset, 1n);
      assert.equal(dec.decode(second.previous!.data), '{"a":1}');
      assert.equal(second.publication?.delta, true);
      const noDelta = await store.addPublication(channel, body('x'), HIST);
      assert.equal(noDelta.previous, undefined, 'only asked-for');
    }));

  test(`${name} - binary payloads and unusual channel names round-trip`, () =>
    withStore(async ({ store }) => {
      const channel = `contract:юникод 🚀.*>${randomUUID()}`;
      const data = new Uint8Array([0, 255, 1, 254, 0, 0, 10, 13]);
      await store.addPublication(channel, { data }, HIST);
      const h = await store.history(channel, { limit: -1, reverse: false }, META);
      assert.deepEqual([...h.publications[0]!.data], [...data]);
    }));

  test(`${name} - since/limit/reverse agree with the reference model (property)`, () =>
    withStore(async ({ store }) => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 25 }),
          fc.integer({ min: 1, max: 30 }),
          fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
          fc.integer({ min: -1, max: 12 }),
          fc.boolean(),
          async (n, size, since, limit, reverse) => {
            const channel = ch('model');
            const epoch = n > 0 ? await fill(store, channel, n, { ...HIST, historySize: size }) : '';
            const filter = { limit, reverse, ...(since === undefined ? {} : { since: { offset: BigInt(since), epoch } }) };
            const expected = model(n, size, since, limit, reverse);
            if (expected === 'bad') {
              await assert.rejects(store.history(channel, filter, META), InvalidHistoryFilterError);
              return;
            }
            const h = await store.history(channel, filter, META);
            assert.deepEqual(offsets(h.publications), expected, JSON.stringify({ n, size, since, limit, reverse }));
            assert.equal(h.position.offset, BigInt(n));
          },
        ),
        { numRuns: 150 },
      );
    }));

  test(`${name} - after close() every call rejects with StoreClosedError`, async () => {
    const h = await makeHarness();
    await h.store.close();
    await h.store.close(); // idempotent
    const channel = ch('closed');
    await assert.rejects(h.store.addPublication(channel, body('x'), HIST), StoreClosedError);
    await assert.rejects(h.store.history(channel, { limit: 0, reverse: false }, META), StoreClosedError);
    await assert.rejects(h.store.removeHistory(channel), StoreClosedError);
    await h.dispose?.();
  });
}

/**
 * Reference semantics of a history query on a stream that got offsets 1..n and keeps the last
 * `size` (centrifuge's memory stream): the offsets returned, or 'bad' for a rejected filter.
 */
export function model(n: number, size: number, since: number | undefined, limit: number, reverse: boolean): number[] | 'bad' {
  if (reverse && since === 0) return 'bad';
  const first = Math.max(1, n - size + 1);
  const kept = n === 0 ? [] : Array.from({ length: n - first + 1 }, (_, i) => first + i);
  if (limit === 0) return [];
  const cap = (xs: number[]) => (limit < 0 ? xs : xs.slice(0, limit));
  if (since === undefined) return cap(reverse ? [...kept].reverse() : kept);
  if (!reverse) {
    if (since >= n) return [];
    return cap(kept.filter((o) => o > since));
  }
  const start = since - 1;
  if (start > n || start < first || kept.length === 0) return [];
  return cap(kept.filter((o) => o <= start).reverse());
}
