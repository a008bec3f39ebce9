/**
 * Subscribe, unsubscribe and publish through the SDK (JSON and protobuf builds on one channel),
 * with the permission order of server.md §2.7 and the channel options that gate them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { collect, waitForEvent } from '@gyre/testing';
import type { Centrifuge, PublicationContext, Subscription } from 'centrifuge';
import { Clients, PROTOCOLS, decoded, payload, rawConnected, rawToken, sleep, startNode, subToken, token, type Protocol } from './helpers.js';

type Outcome = { subscribed: true } | { subscribed: false; code: number; reason: string };

/** Subscribes and resolves with the first of subscribed / unsubscribed. */
async function subscribeOutcome(sub: Subscription): Promise<Outcome> {
  const result = new Promise<Outcome>((resolve) => {
    sub.once('subscribed', () => resolve({ subscribed: true }));
    sub.once('unsubscribed', (ctx) => resolve({ subscribed: false, code: ctx.code, reason: ctx.reason }));
  });
  sub.subscribe();
  return result;
}

const open = { allow_subscribe_for_client: true, allow_subscribe_for_anonymous: true, allow_publish_for_client: true, allow_publish_for_anonymous: true };

describe('pub/sub', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    node = await startNode({
      client: { channel_limit: 4, allow_anonymous_connect_without_token: true },
      channel: {
        without_namespace: open,
        namespaces: [
          { name: 'closed' },
          { name: 'subpub', allow_subscribe_for_client: true, allow_publish_for_subscriber: true },
          { name: 'regex', ...open, channel_regex: '^[a-z0-9]+$' },
          { name: 'dialog', allow_user_limited_channels: true, allow_subscribe_for_client: true },
          { name: 'objects', ...open, publication_data_format: 'json_object' },
          { name: 'bin', ...open, publication_data_format: 'binary' },
          { name: 'users', allow_subscribe_for_client: true },
        ],
      },
    });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  test('pubsub - every subscriber, JSON and protobuf, receives every publication in order', async () => {
    const subs: Array<{ protocol: Protocol; got: Promise<PublicationContext[]> }> = [];
    const conns: Centrifuge[] = [];
    for (const protocol of [...PROTOCOLS, ...PROTOCOLS]) {
      const c = await clients.connected({ protocol, token: token(`s-${protocol}`) });
      conns.push(c);
      const sub = c.newSubscription('fanout');
      const got = collect<PublicationContext>(sub, 'publication', 20);
      assert.deepEqual(await subscribeOutcome(sub), { subscribed: true });
      subs.push({ protocol, got });
    }
    const pub = await clients.connected({ protocol: 'protobuf', token: token('publisher') });
    for (let i = 0; i < 20; i++) await pub.publish('fanout', payload('protobuf', { i }));
    for (const s of subs) {
      const pubs = await s.got;
      assert.deepEqual(pubs.map((p) => decoded(p.data)), Array.from({ length: 20 }, (_, i) => ({ i })), s.protocol);
      assert.equal(pubs[0]!.info?.user, 'publisher', 'client publications carry the publisher info');
    }
    for (const c of [...conns, pub]) c.disconnect();
  });

  for (const protocol of PROTOCOLS) {
    test(`pubsub - unsubscribe stops delivery, resubscribe resumes (${protocol})`, async () => {
      const c = await clients.connected({ protocol, token: token('u') });
      const sub = c.newSubscription('toggle');
      const seen: unknown[] = [];
      sub.on('publication', (p) => seen.push(decoded(p.data)));
      await subscribeOutcome(sub);
      const first = waitForEvent(sub, 'publication');
      await c.publish('toggle', payload(protocol, { n: 1 }));
      await first;
      const unsub = waitForEvent(sub, 'unsubscribed');
      sub.unsubscribe();
      await unsub;
      await c.publish('toggle', payload(protocol, { n: 2 }));
      await sleep(50);
      await subscribeOutcome(sub);
      await c.publish('toggle', payload(protocol, { n: 3 }));
      const deadline = Date.now() + 2000;
      while (seen.length < 2 && Date.now() < deadline) await sleep(10);
      assert.deepEqual(seen, [{ n: 1 }, { n: 3 }]);
      c.disconnect();
    });
  }

  test('pubsub - subscribe errors: 105 already subscribed, 106 channel limit, 102 unknown namespace, 107 bad name', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('limits') });
    raw.sendJson({ subscribe: { channel: 'a' }, id: 2 }, { subscribe: { channel: 'a' }, id: 3 });
    assert.match(await raw.nextLine(), /^\{"id":2,"subscribe":\{\}\}$/);
    assert.equal(await raw.nextLine(), '{"id":3,"error":{"code":105,"message":"already subscribed"}}');
    raw.sendJson({ subscribe: { channel: 'nope:x' }, id: 4 });
    assert.equal(await raw.nextLine(), '{"id":4,"error":{"code":102,"message":"unknown channel"}}');
    raw.sendJson({ subscribe: { channel: 'regex:UPPER' }, id: 5 });
    assert.equal(await raw.nextLine(), '{"id":5,"error":{"code":107,"message":"bad request"}}');
    raw.sendJson({ subscribe: { channel: 'x'.repeat(256) }, id: 6 });
    assert.equal(await raw.nextLine(), '{"id":6,"error":{"code":107,"message":"bad request"}}');
    raw.sendJson({ subscribe: { channel: 'naïve' }, id: 7 });
    assert.equal(await raw.nextLine(), '{"id":7,"error":{"code":107,"message":"bad request"}}');
    raw.sendJson({ subscribe: { channel: 'b' }, id: 8 }, { subscribe: { channel: 'c' }, id: 9 }, { subscribe: { channel: 'd' }, id: 10 }, { subscribe: { channel: 'e' }, id: 11 });
    for (const id of [8, 9, 10]) assert.equal(await raw.nextLine(), `{"id":${id},"subscribe":{}}`);
    assert.equal(await raw.nextLine(), '{"id":11,"error":{"code":106,"message":"limit exceeded"}}');
    raw.sendJson({ unsubscribe: { channel: 'never-subscribed' }, id: 12 });
    assert.equal(await raw.nextLine(), '{"id":12,"unsubscribe":{}}');
    raw.close();
  });

  test('pubsub - a namespace without allow_subscribe_for_client answers 103 and the SDK stops the subscription', async () => {
    const c = await clients.connected({ token: token('u') });
    assert.deepEqual(await subscribeOutcome(c.newSubscription('closed:room')), { subscribed: false, code: 103, reason: 'permission denied' });
    c.disconnect();
  });

  test('pubsub - allow_subscribe_for_client does not admit anonymous users without allow_subscribe_for_anonymous', async () => {
    const anon = await clients.connected();
    assert.deepEqual(await subscribeOutcome(anon.newSubscription('users:x')), { subscribed: false, code: 103, reason: 'permission denied' });
    const named = await clients.connected({ token: token('someone') });
    assert.deepEqual(await subscribeOutcome(named.newSubscription('users:x')), { subscribed: true });
    anon.disconnect();
    named.disconnect();
  });

  test('pubsub - private $ channels need a subscription token; its chan info reaches the publications', async () => {
    const c = await clients.connected({ token: token('alice') });
    assert.deepEqual(await subscribeOutcome(c.newSubscription('$secret')), { subscribed: false, code: 103, reason: 'permission denied' });
    c.removeSubscription(c.getSubscription('$secret'));
    const sub = c.newSubscription('$secret', { token: subToken('alice', '$secret', { info: { role: 'reader' } }) });
    assert.deepEqual(await subscribeOutcome(sub), { subscribed: true });
    const p = waitForEvent<PublicationContext>(sub, 'publication');
    await c.publish('$secret', { x: 1 });
    const got = await p;
    assert.deepEqual(got.info?.chanInfo, { role: 'reader' });
    c.disconnect();
  });

  test('pubsub - subscription token errors: bad signature 103, expired 109 then retried with getToken, wrong channel 3500', async () => {
    const c = await clients.connected({ token: token('bob') });
    const bad = c.newSubscription('$a', { token: subToken('bob', '$a').slice(0, -3) + 'AAA' });
    assert.deepEqual(await subscribeOutcome(bad), { subscribed: false, code: 103, reason: 'permission denied' });
    let calls = 0;
    const expiring = c.newSubscription('$b', {
      token: rawToken({ sub: 'bob', channel: '$b', exp: Math.floor(Date.now() / 1000) - 5 }),
      getToken: async () => {
        calls++;
        return subToken('bob', '$b');
      },
    });
    assert.deepEqual(await subscribeOutcome(expiring), { subscribed: true });
    assert.equal(calls, 1, 'the SDK fetched a new token after 109');
    const wrong = c.newSubscription('$c', { token: subToken('bob', '$other') });
    const d = waitForEvent<{ code: number }>(c, 'disconnected');
    wrong.subscribe();
    assert.equal((await d).code, 3500);
  });

  test('pubsub - a subscription token for another user closes with 3500', async () => {
    const c = await clients.connected({ token: token('carol') });
    const d = waitForEvent<{ code: number; reason: string }>(c, 'disconnected');
    c.newSubscription('$x', { token: subToken('mallory', '$x') }).subscribe();
    assert.deepEqual(await d, { code: 3500, reason: 'invalid token' });
  });

  test('pubsub - user-limited channels admit only the listed users', async () => {
    const u42 = await clients.connected({ token: token('42') });
    const u44 = await clients.connected({ token: token('44') });
    assert.deepEqual(await subscribeOutcome(u42.newSubscription('dialog:chat#42,43')), { subscribed: true });
    assert.deepEqual(await subscribeOutcome(u44.newSubscription('dialog:chat#42,43')), { subscribed: false, code: 103, reason: 'permission denied' });
    u42.disconnect();
    u44.disconnect();
  });

  test('pubsub - allow_publish_for_subscriber: publishing needs the subscription', async () => {
    const c = await clients.connected({ token: token('dan') });
    await assert.rejects(c.publish('subpub:room', { a: 1 }), (e: { code: number }) => e.code === 103);
    const sub = c.newSubscription('subpub:room');
    await subscribeOutcome(sub);
    const p = waitForEvent<PublicationContext>(sub, 'publication');
    await c.publish('subpub:room', { a: 2 });
    assert.deepEqual((await p).data, { a: 2 });
    c.disconnect();
  });

  test('pubsub - publication_data_format json_object refuses arrays (107); namespace without publish permission answers 103', async () => {
    const c = await clients.connected({ token: token('erin') });
    await assert.rejects(c.publish('objects:x', [1, 2]), (e: { code: number }) => e.code === 107);
    await c.publish('objects:x', { ok: true });
    await assert.rejects(c.publish('closed:x', { a: 1 }), (e: { code: number }) => e.code === 103);
    c.disconnect();
  });

  test('pubsub - binary data closes JSON subscribers with 3506 while protobuf subscribers receive it', async () => {
    const jsonClient = await clients.connected({ token: token('j') });
    const jsonSub = jsonClient.newSubscription('bin:raw');
    await subscribeOutcome(jsonSub);
    const pbClient = await clients.connected({ protocol: 'protobuf', token: token('p') });
    const pbSub = pbClient.newSubscription('bin:raw');
    await subscribeOutcome(pbSub);
    const pbGot = waitForEvent<PublicationContext>(pbSub, 'publication');
    const jsonGone = waitForEvent<{ code: number; reason: string }>(jsonClient, 'disconnected');
    await pbClient.publish('bin:raw', new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    assert.deepEqual([...((await pbGot).data as Uint8Array)], [0xde, 0xad, 0xbe, 0xef]);
    assert.deepEqual(await jsonGone, { code: 3506, reason: 'inappropriate protocol' });
    pbClient.disconnect();
  });
});
