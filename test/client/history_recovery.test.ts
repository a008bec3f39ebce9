/**
 * History, recovery and positioning (client-protocol.md §6): the history command, recovery after
 * a dropped connection (all missed publications in order, `recovered: true`), recovery beyond
 * history (`recovered: false`, never a partial fill), cache mode, the subscribe sync point under a
 * stream of racing publications, and insufficient state on stream gaps / epoch changes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { channelSubject } from '@gyre/bus';
import type { InProcessGyre } from '@gyre/gyre';
import { bus as busPb, protocol } from '@gyre/protocol';
import { BusHistoryStore } from '@gyre/store';
import { waitForEvent } from '@gyre/testing';
import type { Centrifuge, PublicationContext, SubscribedContext, Subscription } from 'centrifuge';
import { Clients, PROTOCOLS, decoded, payload, rawConnected, sleep, startNode, token } from './helpers.js';

const te = new TextEncoder();
const history = { history_size: 20, history_ttl: '300s', allow_history_for_client: true, allow_recovery: true, allow_positioning: true };
const open = { allow_subscribe_for_client: true, allow_publish_for_client: true };

async function subscribed(sub: Subscription): Promise<SubscribedContext> {
  const s = waitForEvent<SubscribedContext>(sub, 'subscribed');
  sub.subscribe();
  return s;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('history and recovery', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  let store: BusHistoryStore;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    node = await startNode({
      client: { recovery_max_publication_limit: 15, history_max_publication_limit: 10, channel_position_check_delay: '300ms' },
      channel: {
        without_namespace: { ...open, ...history },
        namespaces: [
          { name: 'nohist', ...open, allow_history_for_client: true },
          { name: 'private', ...open, history_size: 5, history_ttl: '60s' },
          { name: 'cache', ...open, ...history, force_recovery: true, force_recovery_mode: 'cache' },
          { name: 'autocache', ...open, ...history, force_recovery: true, force_recovery_mode: 'cache', auto_cache_recover: true },
          { name: 'pos', ...open, ...history, force_positioning: true },
        ],
      },
    });
    store = new BusHistoryStore({ bus: node.bus });
  });
  after(async () => {
    clients.closeAll();
    await store.close();
    await node.shutdown();
  });

  const publishDirect = (channel: string, value: unknown) =>
    store.publish(channel, { data: te.encode(JSON.stringify(value)) }, { historySize: 20, historyTtlMs: 300_000, historyMetaTtlMs: 0 });

  test('history - limit, since, reverse and the position-only limit 0', async () => {
    const c = await clients.connected({ token: token('h') });
    for (let i = 1; i <= 6; i++) await c.publish('hist', { i });
    const all = await c.history('hist', { limit: -1 });
    assert.deepEqual(all.publications.map((p) => p.data), [1, 2, 3, 4, 5, 6].map((i) => ({ i })));
    assert.equal(all.offset, 6);
    assert.match(all.epoch, /^[A-Za-z]{8}$/);
    const top = await c.history('hist', { limit: 0 });
    assert.deepEqual({ n: top.publications.length, offset: top.offset, epoch: top.epoch }, { n: 0, offset: 6, epoch: all.epoch });
    const since = await c.history('hist', { limit: 2, since: { offset: 3, epoch: all.epoch } });
    assert.deepEqual(since.publications.map((p) => p.offset), [4, 5]);
    const reverse = await c.history('hist', { limit: 2, reverse: true });
    assert.deepEqual(reverse.publications.map((p) => p.offset), [6, 5]);
    c.disconnect();
  });

  test('history - errors: 108 without history, 112 for another epoch, 107 reverse from offset 0, 103 without permission', async () => {
    const c = await clients.connected({ token: token('h2') });
    await assert.rejects(c.history('nohist:x', { limit: 1 }), (e: { code: number }) => e.code === 108);
    await c.publish('hist2', { a: 1 });
    await assert.rejects(c.history('hist2', { limit: 1, since: { offset: 1, epoch: 'wrongepo' } }), (e: { code: number }) => e.code === 112);
    await assert.rejects(c.history('private:x', { limit: 1 }), (e: { code: number }) => e.code === 103);
    c.disconnect();
    const { raw } = await rawConnected(node.wsUrl, { token: token('h3') });
    raw.sendJson({ history: { channel: 'hist2', since: { offset: 0 }, reverse: true }, id: 2 });
    assert.equal(await raw.nextLine(), '{"id":2,"error":{"code":107,"message":"bad request"}}');
    raw.close();
  });

  test('history - history_max_publication_limit caps what one call returns', async () => {
    const c = await clients.connected({ token: token('h4') });
    for (let i = 0; i < 12; i++) await c.publish('capped', { i });
    const res = await c.history('capped', { limit: -1 });
    assert.equal(res.publications.length, 10);
    c.disconnect();
  });

  for (const protocol of PROTOCOLS) {
    test(`recovery - publications missed while disconnected are recovered in order with recovered: true (${protocol})`, async () => {
      const ch = `rec-${protocol}`;
      const c = await clients.connected({ protocol, token: token('r') });
      const sub = c.newSubscription(ch, { recoverable: true });
      const seen: number[] = [];
      sub.on('publication', (p) => seen.push((decoded(p.data) as { i: number }).i));
      const first = await subscribed(sub);
      assert.equal(first.recoverable, true);
      assert.equal(first.wasRecovering, false);
      for (let i = 1; i <= 3; i++) await publishDirect(ch, { i });
      await until(() => seen.length === 3);
      c.disconnect();
      for (let i = 4; i <= 10; i++) await publishDirect(ch, { i });
      const again = waitForEvent<SubscribedContext>(sub, 'subscribed');
      c.connect();
      const ctx = await again;
      assert.equal(ctx.wasRecovering, true);
      assert.equal(ctx.recovered, true);
      await until(() => seen.length === 10);
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      c.disconnect();
    });
  }

  test('recovery - more missed publications than history holds gives recovered: false and none of them', async () => {
    const c = await clients.connected({ token: token('r2') });
    const sub = c.newSubscription('overflow', { recoverable: true });
    const seen: number[] = [];
    sub.on('publication', (p) => seen.push((p.data as { i: number }).i));
    await subscribed(sub);
    await publishDirect('overflow', { i: 0 });
    await until(() => seen.length === 1);
    c.disconnect();
    for (let i = 1; i <= 25; i++) await publishDirect('overflow', { i });
    const again = waitForEvent<SubscribedContext>(sub, 'subscribed');
    c.connect();
    const ctx = await again;
    assert.deepEqual({ was: ctx.wasRecovering, recovered: ctx.recovered, has: ctx.hasRecoveredPublications }, { was: true, recovered: false, has: false });
    assert.equal(ctx.streamPosition?.offset, 26);
    await sleep(50);
    assert.deepEqual(seen, [0], 'no partial fill');
    c.disconnect();
  });

  test('recovery - more missed than recovery_max_publication_limit is not recovered', async () => {
    const c = await clients.connected({ token: token('r3') });
    const sub = c.newSubscription('limit-rec', { recoverable: true });
    let n = 0;
    sub.on('publication', () => n++);
    await subscribed(sub);
    await publishDirect('limit-rec', { i: 0 });
    await until(() => n === 1);
    c.disconnect();
    for (let i = 1; i <= 16; i++) await publishDirect('limit-rec', { i });
    const again = waitForEvent<SubscribedContext>(sub, 'subscribed');
    c.connect();
    const ctx = await again;
    assert.equal(ctx.recovered, false);
    c.disconnect();
  });

  test('recovery - cache mode delivers only the latest publication on (re)subscribe', async () => {
    for (let i = 1; i <= 5; i++) await publishDirect('cache:state', { v: i });
    const c = await clients.connected({ token: token('cache') });
    const sub = c.newSubscription('cache:state', { since: { offset: 1, epoch: (await c.history('cache:state', { limit: 0 }).catch(() => ({ epoch: '' }))).epoch } });
    const seen: unknown[] = [];
    sub.on('publication', (p) => seen.push(p.data));
    const ctx = await subscribed(sub);
    assert.equal(ctx.recovered, true);
    await until(() => seen.length === 1);
    assert.deepEqual(seen, [{ v: 5 }]);
    c.disconnect();
  });

  test('recovery - auto_cache_recover sends the latest publication to a subscriber that did not ask to recover', async () => {
    for (let i = 1; i <= 3; i++) await publishDirect('autocache:state', { v: i });
    const c = await clients.connected({ protocol: 'protobuf', token: token('auto') });
    const sub = c.newSubscription('autocache:state');
    const seen: unknown[] = [];
    sub.on('publication', (p) => seen.push(decoded(p.data)));
    const ctx = await subscribed(sub);
    assert.deepEqual({ was: ctx.wasRecovering, recovered: ctx.recovered }, { was: true, recovered: true });
    await until(() => seen.length === 1);
    assert.deepEqual(seen, [{ v: 3 }]);
    c.disconnect();
  });

  test('subscribe - publications racing the subscribe are neither lost, duplicated nor early (sync point)', async () => {
    const ch = 'race';
    let publishing = true;
    let published = 0;
    const pump = (async () => {
      while (publishing) {
        await publishDirect(ch, { n: ++published });
      }
    })();
    const conns: Centrifuge[] = [];
    const checks: Array<Promise<void>> = [];
    for (let k = 0; k < 8; k++) {
      const protocol = k % 2 === 0 ? 'json' : 'protobuf';
      const c = await clients.connected({ protocol, token: token(`race${k}`) });
      conns.push(c);
      const sub = c.newSubscription(ch, { positioned: true });
      const offsets: number[] = [];
      let position = -1;
      sub.on('publication', (p: PublicationContext) => {
        assert.ok(position >= 0, 'publication before the subscribe reply');
        offsets.push(p.offset!);
      });
      const ctx = await subscribed(sub);
      position = ctx.streamPosition!.offset;
      checks.push(
        (async () => {
          await until(() => offsets.length >= 20, 5000);
          offsets.forEach((o, i) => assert.equal(o, position + 1 + i, `subscriber ${k}: contiguous from the reply position`));
        })(),
      );
      await sleep(3);
    }
    await Promise.all(checks);
    publishing = false;
    await pump;
    for (const c of conns) c.disconnect();
  });

  async function injectPublication(channel: string, offset: bigint, epoch: string): Promise<void> {
    const msg = create(busPb.ChannelMessageSchema, {
      channel,
      event: {
        case: 'publication',
        value: create(busPb.ChannelPublicationSchema, { publication: create(protocol.PublicationSchema, { data: te.encode('{"ghost":true}'), offset }), epoch }),
      },
    });
    node.bus.publish(channelSubject('gyre', channel), toBinary(busPb.ChannelMessageSchema, msg));
  }

  test('positioning - a gap history cannot fill unsubscribes positioned subscribers with 2500 and they resubscribe', async () => {
    const c = await clients.connected({ token: token('gap') });
    const sub = c.newSubscription('pos:gap');
    const ctx = await subscribed(sub);
    assert.equal(ctx.positioned, true);
    await publishDirect('pos:gap', { a: 1 });
    const top = await store.history('pos:gap', { limit: 0, reverse: false }, { metaTtlMs: 0 });
    const resubscribing = waitForEvent<{ code: number; reason: string }>(sub, 'subscribing');
    await injectPublication('pos:gap', top.position.offset + 5n, top.position.epoch);
    assert.deepEqual(await resubscribing, { channel: 'pos:gap', code: 2500, reason: 'insufficient state' } as never);
    await waitForEvent(sub, 'subscribed');
    c.disconnect();
  });

  test('positioning - an epoch change unsubscribes positioned subscribers with 2500', async () => {
    const c = await clients.connected({ token: token('epoch') });
    const sub = c.newSubscription('pos:epoch');
    await subscribed(sub);
    await publishDirect('pos:epoch', { a: 1 });
    const resubscribing = waitForEvent<{ code: number }>(sub, 'subscribing');
    await injectPublication('pos:epoch', 1n, 'Zzzzzzzz');
    assert.equal((await resubscribing).code, 2500);
    c.disconnect();
  });

  test('positioning - a late duplicate is skipped, a reordered pair is delivered in order', async () => {
    const c = await clients.connected({ token: token('order') });
    const sub = c.newSubscription('pos:order');
    const offsets: number[] = [];
    sub.on('publication', (p) => offsets.push(p.offset!));
    await subscribed(sub);
    await publishDirect('pos:order', { a: 1 });
    await until(() => offsets.length === 1);
    const top = await store.history('pos:order', { limit: 0, reverse: false }, { metaTtlMs: 0 });
    const e = top.position.epoch;
    const o = top.position.offset;
    await injectPublication('pos:order', o, e);
    await injectPublication('pos:order', o + 2n, e);
    await injectPublication('pos:order', o + 1n, e);
    await until(() => offsets.length === 3);
    assert.deepEqual(offsets, [Number(o), Number(o) + 1, Number(o) + 2]);
    c.disconnect();
  });

  test('positioning - a publication lost on its way (in history, never delivered) is found by the periodic position check: 2500', async () => {
    const c = await clients.connected({ token: token('lost') });
    const sub = c.newSubscription('pos:lost');
    await subscribed(sub);
    await publishDirect('pos:lost', { a: 1 });
    await sleep(20);
    const resubscribing = waitForEvent<{ code: number }>(sub, 'subscribing', 4000);
    // Appended to history without the broadcast: this edge never sees it.
    await store.addPublication('pos:lost', { data: te.encode('{"lost":true}') }, { historySize: 20, historyTtlMs: 300_000, historyMetaTtlMs: 0 });
    assert.equal((await resubscribing).code, 2500);
    c.disconnect();
  });

  test('positioning - a gap on a server-side subscription disconnects with 3010', async () => {
    const c = await clients.connected({ token: token('srv', { channels: ['pos:server'] }) });
    await sleep(20);
    await publishDirect('pos:server', { a: 1 });
    const top = await store.history('pos:server', { limit: 0, reverse: false }, { metaTtlMs: 0 });
    const gone = waitForEvent<{ code: number; reason: string }>(c, 'connecting');
    await injectPublication('pos:server', top.position.offset + 3n, top.position.epoch);
    assert.deepEqual(await gone, { code: 3010, reason: 'insufficient state' });
    c.disconnect();
  });

  test('recovery - publish with a payload in both protocols is recovered identically', async () => {
    const got: unknown[][] = [];
    for (const protocol of PROTOCOLS) {
      const c = await clients.connected({ protocol, token: token('both') });
      const sub = c.newSubscription('both-rec', { recoverable: true, since: { offset: 0, epoch: '' } });
      const seen: unknown[] = [];
      sub.on('publication', (p) => seen.push(decoded(p.data)));
      if (protocol === 'json') {
        await c.publish('both-rec', payload(protocol, { k: 1 }));
        await c.publish('both-rec', payload(protocol, { k: 2 }));
      }
      await subscribed(sub);
      await until(() => seen.length === 2);
      got.push(seen);
      c.disconnect();
    }
    assert.deepEqual(got[0], got[1]);
  });
});
