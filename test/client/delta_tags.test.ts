/**
 * Fossil delta (client-protocol.md §6.6: allowed_delta_types + delta_publish, JSON data as a
 * string, first publication full, patches after, recovered publications as patches) and
 * publication tags with client tags filters (§3.8: allow_tags_filter, 107 otherwise).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { BusHistoryStore } from '@gyre/store';
import { waitForEvent } from '@gyre/testing';
import type { PublicationContext, SubscribedContext, Subscription } from 'centrifuge';
import { Clients, PROTOCOLS, decoded, rawConnected, sleep, startNode, token } from './helpers.js';

const te = new TextEncoder();

async function subscribed(sub: Subscription): Promise<SubscribedContext> {
  const s = waitForEvent<SubscribedContext>(sub, 'subscribed');
  sub.subscribe();
  return s;
}

function doc(version: number): { items: Array<{ id: number; name: string }>; version: number } {
  return { items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item number ${i}` })), version };
}

const open = { allow_subscribe_for_client: true, allow_publish_for_client: true };
const hist = { history_size: 50, history_ttl: '60s' };

describe('delta and tags', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  let store: BusHistoryStore;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    node = await startNode({
      channel: {
        without_namespace: open,
        namespaces: [
          { name: 'delta', ...open, ...hist, force_recovery: true, allowed_delta_types: ['fossil'], delta_publish: true },
          { name: 'nodelta', ...open, ...hist, force_positioning: true },
          { name: 'tags', ...open, ...hist, allow_tags_filter: true, allow_recovery: true },
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

  const publish = (channel: string, value: unknown, tags?: Record<string, string>) =>
    store.publish(channel, { data: te.encode(JSON.stringify(value)), ...(tags ? { tags } : {}) }, { historySize: 50, historyTtlMs: 60_000, historyMetaTtlMs: 0, useDelta: channel.startsWith('delta:') });

  for (const protocol of PROTOCOLS) {
    test(`delta - the SDK negotiates fossil, gets the first publication full and later ones as patches it applies (${protocol})`, async () => {
      const ch = `delta:${protocol}`;
      const c = await clients.connected({ protocol, token: token('d') });
      const sub = c.newSubscription(ch, { delta: 'fossil' });
      const got: unknown[] = [];
      sub.on('publication', (p: PublicationContext) => got.push(decoded(p.data)));
      await subscribed(sub);
      for (let v = 1; v <= 5; v++) await publish(ch, doc(v));
      const deadline = Date.now() + 3000;
      while (got.length < 5 && Date.now() < deadline) await sleep(5);
      assert.deepEqual(got, [1, 2, 3, 4, 5].map(doc));
      const stats = sub.deltaStats();
      assert.equal(stats.numFullPayloads, 1);
      assert.equal(stats.numDeltaPayloads, 4);
      assert.ok(stats.bytesReceived < stats.bytesDecoded / 2, JSON.stringify(stats));
      c.disconnect();
    });
  }

  test('delta - on the wire (JSON): subscribe result delta:true, data is a JSON string, patches carry delta:true', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('dw') });
    raw.sendJson({ subscribe: { channel: 'delta:wire', delta: 'fossil' }, id: 2 });
    assert.match(await raw.nextLine(), /^\{"id":2,"subscribe":\{"recoverable":true,"positioned":true,"epoch":"[A-Za-z]{8}","delta":true\}\}$/);
    await publish('delta:wire', doc(1));
    await publish('delta:wire', doc(2));
    const first = JSON.parse(await raw.nextLine()) as { push: { pub: { data: unknown; delta?: boolean } } };
    assert.equal(typeof first.push.pub.data, 'string');
    assert.deepEqual(JSON.parse(first.push.pub.data as string), doc(1));
    assert.equal(first.push.pub.delta, undefined);
    const second = JSON.parse(await raw.nextLine()) as { push: { pub: { data: unknown; delta?: boolean } } };
    assert.equal(second.push.pub.delta, true);
    assert.equal(typeof second.push.pub.data, 'string');
    raw.close();
  });

  test('delta - recovered publications come as the first full and the rest as patches', async () => {
    const c = await clients.connected({ token: token('dr') });
    const sub = c.newSubscription('delta:rec', { delta: 'fossil' });
    const got: unknown[] = [];
    sub.on('publication', (p: PublicationContext) => got.push(p.data));
    await subscribed(sub);
    await publish('delta:rec', doc(0));
    while (got.length < 1) await sleep(5);
    c.disconnect();
    for (let v = 1; v <= 4; v++) await publish('delta:rec', doc(v));
    const again = waitForEvent<SubscribedContext>(sub, 'subscribed');
    c.connect();
    const ctx = await again;
    assert.equal(ctx.recovered, true);
    const deadline = Date.now() + 3000;
    while (got.length < 5 && Date.now() < deadline) await sleep(5);
    assert.deepEqual(got, [0, 1, 2, 3, 4].map(doc));
    assert.ok(sub.deltaStats().numDeltaPayloads >= 3);
    c.disconnect();
  });

  test('delta - a namespace without allowed_delta_types answers delta:false and sends plain data', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('dn') });
    raw.sendJson({ subscribe: { channel: 'nodelta:x', delta: 'fossil' }, id: 2 });
    assert.match(await raw.nextLine(), /^\{"id":2,"subscribe":\{"positioned":true,"epoch":"[A-Za-z]{8}"\}\}$/);
    await publish('nodelta:x', { plain: true });
    assert.match(await raw.nextLine(), /^\{"push":\{"channel":"nodelta:x","pub":\{"data":\{"plain":true\},"offset":1\}\}\}$/);
    raw.close();
  });

  test('tags - publication tags reach subscribers', async () => {
    const c = await clients.connected({ protocol: 'protobuf', token: token('t') });
    const sub = c.newSubscription('tagged');
    await subscribed(sub);
    const p = waitForEvent<PublicationContext>(sub, 'publication');
    await store.publish('tagged', { data: te.encode('{}'), tags: { kind: 'goal', team: 'red' } }, { historySize: 0, historyTtlMs: 0, historyMetaTtlMs: 0 });
    assert.deepEqual((await p).tags, { kind: 'goal', team: 'red' });
    c.disconnect();
  });

  for (const protocol of PROTOCOLS) {
    test(`tags filter - only matching publications are delivered, also when recovering (${protocol})`, async () => {
      const ch = `tags:${protocol}`;
      const c = await clients.connected({ protocol, token: token('tf') });
      const sub = c.newSubscription(ch, {
        recoverable: true,
        tagsFilter: { op: 'and', nodes: [{ key: 'kind', cmp: 'eq', val: 'goal' }, { key: 'minute', cmp: 'gte', val: '45' }] },
      });
      const got: number[] = [];
      sub.on('publication', (p: PublicationContext) => got.push((decoded(p.data) as { n: number }).n));
      await subscribed(sub);
      await publish(ch, { n: 1 }, { kind: 'goal', minute: '10' });
      await publish(ch, { n: 2 }, { kind: 'goal', minute: '50' });
      await publish(ch, { n: 3 }, { kind: 'card', minute: '60' });
      await publish(ch, { n: 4 }, { kind: 'goal', minute: '90' });
      const deadline = Date.now() + 2000;
      while (got.length < 2 && Date.now() < deadline) await sleep(5);
      await sleep(30);
      assert.deepEqual(got, [2, 4]);
      c.disconnect();
      await publish(ch, { n: 5 }, { kind: 'card', minute: '91' });
      await publish(ch, { n: 6 }, { kind: 'goal', minute: '92' });
      const again = waitForEvent<SubscribedContext>(sub, 'subscribed');
      c.connect();
      assert.equal((await again).recovered, true, 'filtered publications still count for continuity');
      while (got.length < 3 && Date.now() < deadline + 2000) await sleep(5);
      assert.deepEqual(got, [2, 4, 6]);
      c.disconnect();
    });
  }

  test('tags filter - 107 without allow_tags_filter, for an invalid filter, and together with delta', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('tb') });
    raw.sendJson({ subscribe: { channel: 'plainns', tf: { key: 'a', cmp: 'eq', val: 'b' } }, id: 2 });
    assert.equal(await raw.nextLine(), '{"id":2,"error":{"code":107,"message":"bad request"}}');
    raw.sendJson({ subscribe: { channel: 'tags:bad', tf: { op: 'xor', nodes: [] } }, id: 3 });
    assert.equal(await raw.nextLine(), '{"id":3,"error":{"code":107,"message":"bad request"}}');
    raw.sendJson({ subscribe: { channel: 'tags:both', tf: { key: 'a', cmp: 'ex' }, delta: 'fossil' }, id: 4 });
    assert.equal(await raw.nextLine(), '{"id":4,"error":{"code":107,"message":"bad request"}}');
    raw.close();
  });
});
