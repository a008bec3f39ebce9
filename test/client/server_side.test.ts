/**
 * Server-side subscriptions (client-protocol.md §5.4: token `channels`/`subs`, the personal
 * channel, requested `connect.subs`, recovery on reconnect), the control commands the api service
 * sends on `<prefix>.ctl` (subscribe, unsubscribe, disconnect, refresh), and what the edge tells
 * the cluster (NodeInfo on `<prefix>.node`, ChannelsSurvey answers).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { InProcessGyre } from '@gyre/gyre';
import { bus as busPb } from '@gyre/protocol';
import { BusHistoryStore, BusPresenceStore } from '@gyre/store';
import { waitForEvent } from '@gyre/testing';
import type { Centrifuge, ServerPublicationContext, ServerSubscribedContext } from 'centrifuge';
import { Clients, RawClient, rawConnected, sleep, startNode, token, type Json } from './helpers.js';

const te = new TextEncoder();

function control(node: InProcessGyre, command: busPb.Control['command']): void {
  node.bus.publish('gyre.ctl', toBinary(busPb.ControlSchema, create(busPb.ControlSchema, { originNode: 'test', command })));
}

const target = (user: string, client = '') => create(busPb.ControlTargetSchema, { user, client });

async function serverSubscribed(c: Centrifuge, channel: string): Promise<ServerSubscribedContext> {
  for (;;) {
    const ctx = await waitForEvent<ServerSubscribedContext>(c, 'subscribed');
    if (ctx.channel === channel) return ctx;
  }
}

describe('server-side subscriptions and control', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  let store: BusHistoryStore;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    node = await startNode({
      client: {
        channel_limit: 3,
        subscribe_to_user_personal_channel: { enabled: true },
        allow_anonymous_connect_without_token: true,
      },
      channel: {
        without_namespace: { allow_subscribe_for_client: true, allow_presence_for_client: true },
        namespaces: [
          { name: 'rec', force_recovery: true, history_size: 20, history_ttl: '60s', allow_subscribe_for_client: true },
          { name: 'pres', allow_presence_for_client: true },
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

  const publish = (channel: string, value: unknown, history = false) =>
    store.publish(channel, { data: te.encode(JSON.stringify(value)) }, history ? { historySize: 20, historyTtlMs: 60_000, historyMetaTtlMs: 0 } : { historySize: 0, historyTtlMs: 0, historyMetaTtlMs: 0 });

  test('server-side - token channels are subscribed at connect and deliver to client-level events', async () => {
    const c = clients.make({ token: token('ss1', { channels: ['feed'] }) });
    const subscribed = serverSubscribed(c, 'feed');
    c.connect();
    await subscribed;
    const pub = waitForEvent<ServerPublicationContext>(c, 'publication');
    await publish('feed', { hi: 1 });
    const got = await pub;
    assert.deepEqual({ channel: got.channel, data: got.data }, { channel: 'feed', data: { hi: 1 } });
    c.disconnect();
  });

  test('server-side - token subs carry data, chan info and option overrides (presence)', async () => {
    const c = clients.make({ token: token('ss2', { subs: { 'pres:room': { data: { welcome: true }, info: { seat: 1 }, override: { presence: { value: true } } } } }) });
    const subscribed = serverSubscribed(c, 'pres:room');
    c.connect();
    const ctx = await subscribed;
    assert.deepEqual(ctx.data, { welcome: true });
    // The namespace has presence off, so the presence command answers 108; the override made the
    // entry anyway.
    await assert.rejects(c.presence('pres:room'), (e: { code: number }) => e.code === 108);
    const entries = await new BusPresenceStore({ bus: node.bus }).presence('pres:room');
    const entry = [...entries.values()][0]!;
    assert.deepEqual({ user: entry.user, chanInfo: new TextDecoder().decode(entry.chanInfo) }, { user: 'ss2', chanInfo: '{"seat":1}' });
    c.disconnect();
  });

  test('server-side - the personal channel #<user> is subscribed for non-anonymous users', async () => {
    const c = clients.make({ token: token('alice') });
    const subscribed = serverSubscribed(c, '#alice');
    c.connect();
    await subscribed;
    const pub = waitForEvent<ServerPublicationContext>(c, 'publication');
    await publish('#alice', { dm: 'hello' });
    assert.deepEqual((await pub).data, { dm: 'hello' });
    c.disconnect();
  });

  test('server-side - an unknown namespace in the token answers 102; more than channel_limit closes with 3505', async () => {
    const unknown = clients.make({ token: token('ss3', { channels: ['nope:x'] }) });
    const d1 = waitForEvent<{ code: number }>(unknown, 'disconnected');
    unknown.connect();
    assert.equal((await d1).code, 102);
    const many = clients.make({ token: token('ss4', { channels: ['a', 'b', 'c'] }) });
    const d2 = waitForEvent<{ code: number; reason: string }>(many, 'disconnected');
    many.connect();
    assert.deepEqual(await d2, { code: 3505, reason: 'channel limit' });
  });

  test('server-side - requested connect.subs are subscribed only where the client could subscribe itself; unknown namespace 3501', async () => {
    const raw2 = await RawClient.open(node.wsUrl);
    raw2.sendJson({ connect: { token: token('ss6'), subs: { open: {}, 'pres:closed': {}, $private: {} } }, id: 1 });
    const reply = JSON.parse(await raw2.nextLine()) as { connect: { subs: Json } };
    assert.deepEqual(Object.keys(reply.connect.subs).sort(), ['#ss6', 'open']);
    raw2.close();
    const raw3 = await RawClient.open(node.wsUrl);
    raw3.sendJson({ connect: { subs: { 'nope:x': {} } }, id: 1 });
    assert.equal((await raw3.closed).code, 3501);
  });

  test('server-side - recoverable server-side subscriptions recover on reconnect through connect.subs', async () => {
    const c = clients.make({ token: token('ss5', { channels: ['rec:srv'] }), minReconnectDelay: 20 });
    const seen: unknown[] = [];
    c.on('publication', (p) => seen.push(p.data));
    const first = serverSubscribed(c, 'rec:srv');
    c.connect();
    assert.equal((await first).recoverable, true);
    await publish('rec:srv', { n: 1 }, true);
    while (seen.length < 1) await sleep(5);
    c.disconnect();
    await publish('rec:srv', { n: 2 }, true);
    await publish('rec:srv', { n: 3 }, true);
    const again = serverSubscribed(c, 'rec:srv');
    c.connect();
    const ctx = await again;
    assert.deepEqual({ was: ctx.wasRecovering, recovered: ctx.recovered }, { was: true, recovered: true });
    while (seen.length < 3) await sleep(5);
    assert.deepEqual(seen, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    c.disconnect();
  });

  test('control - subscribe adds a server-side subscription with a Subscribe push, then delivers', async () => {
    const c = await clients.connected({ token: token('ctl1') });
    const subscribed = serverSubscribed(c, 'added');
    control(node, { case: 'subscribe', value: create(busPb.ControlSubscribeSchema, { target: target('ctl1'), channel: 'added', data: te.encode('{"why":"api"}') }) });
    const ctx = await subscribed;
    assert.deepEqual(ctx.data, { why: 'api' });
    const pub = waitForEvent<ServerPublicationContext>(c, 'publication');
    await publish('added', { x: 1 });
    assert.deepEqual((await pub).data, { x: 1 });
    c.disconnect();
  });

  test('control - unsubscribe ends a client-side subscription with code 2000', async () => {
    const c = await clients.connected({ token: token('ctl2') });
    const sub = c.newSubscription('leaving');
    const s = waitForEvent(sub, 'subscribed');
    sub.subscribe();
    await s;
    const gone = waitForEvent<{ code: number; reason: string }>(sub, 'unsubscribed');
    control(node, { case: 'unsubscribe', value: create(busPb.ControlUnsubscribeSchema, { target: target('ctl2'), channel: 'leaving' }) });
    assert.deepEqual(await gone, { channel: 'leaving', code: 2000, reason: 'server unsubscribe' } as never);
    c.disconnect();
  });

  test('control - disconnect closes the user\'s connections (default 3503) except the whitelist, or the one client targeted', async () => {
    const a = await clients.connected({ token: token('ctl3') });
    const b = await clients.connected({ token: token('ctl3') });
    const bId = (b as unknown as { _client: string })._client;
    assert.match(bId, /^[0-9a-f-]{36}$/);
    const dA = waitForEvent<{ code: number; reason: string }>(a, 'disconnected');
    control(node, { case: 'disconnect', value: create(busPb.ControlDisconnectSchema, { target: target('ctl3'), whitelist: [bId] }) });
    assert.deepEqual(await dA, { code: 3503, reason: 'force disconnect' });
    await sleep(50);
    assert.equal(b.state, 'connected');
    const dB = waitForEvent<{ code: number; reason: string }>(b, 'connecting');
    control(node, { case: 'disconnect', value: create(busPb.ControlDisconnectSchema, { target: target('ctl3', bId), code: 4000, reason: 'custom' }) });
    assert.deepEqual(await dB, { code: 4000, reason: 'custom' });
    b.disconnect();
  });

  test('control - refresh pushes the new expiry; refresh expired closes with 3005', async () => {
    const { raw, client } = await rawConnected(node.wsUrl, { token: token('ctl4') });
    const exp = Math.floor(Date.now() / 1000) + 100;
    control(node, { case: 'refresh', value: create(busPb.ControlRefreshSchema, { target: target('ctl4', client), expireAt: BigInt(exp) }) });
    assert.match(await raw.nextLine(), /^\{"push":\{"refresh":\{"expires":true,"ttl":(99|100)\}\}\}$/);
    control(node, { case: 'refresh', value: create(busPb.ControlRefreshSchema, { target: target('ctl4'), expired: true }) });
    assert.deepEqual(await raw.closed, { code: 3005, reason: 'connection expired' });
  });

  test('control - a session target never matches a WebSocket connection; an undecodable control is ignored', async () => {
    const c = await clients.connected({ token: token('ctl5') });
    control(node, { case: 'disconnect', value: create(busPb.ControlDisconnectSchema, { target: create(busPb.ControlTargetSchema, { user: 'ctl5', session: 'abc' }) }) });
    node.bus.publish('gyre.ctl', new Uint8Array([0xff, 0xff, 0xff]));
    await sleep(50);
    assert.equal(c.state, 'connected');
    c.disconnect();
  });

  test('node - channels survey answers local channels with subscriber counts, filtered by pattern', async () => {
    const a = await clients.connected({ token: token('sv1') });
    const b = await clients.connected({ token: token('sv2') });
    for (const [c, ch] of [[a, 's-one'], [b, 's-one'], [b, 's-two']] as const) {
      const s = c.newSubscription(ch);
      const ok = waitForEvent(s, 'subscribed');
      s.subscribe();
      await ok;
    }
    const reply = fromBinary(busPb.ChannelsSurveyReplySchema, await node.bus.request('gyre.node.channels', toBinary(busPb.ChannelsSurveySchema, create(busPb.ChannelsSurveySchema, { pattern: 's-*' })), { timeoutMs: 1000 }));
    assert.equal(reply.nodeUid, node.id);
    assert.deepEqual({ ...reply.channels }, { 's-one': 2, 's-two': 1 });
    a.disconnect();
    b.disconnect();
  });

  test('node - the heartbeat on gyre.node reports this node with its counts', async () => {
    const c = await clients.connected({ token: token('hb') });
    const info = await new Promise<busPb.NodeInfo>((resolve) => {
      const sub = node.bus.subscribe('gyre.node', (msg) => {
        const i = fromBinary(busPb.NodeInfoSchema, msg.data);
        if (i.uid === node.id && i.numClients >= 1) {
          sub.unsubscribe();
          resolve(i);
        }
      });
    });
    assert.equal(info.name, node.name);
    assert.ok(info.services.includes('edge'));
    assert.ok(info.numUsers >= 1);
    assert.ok(info.numSubs >= 1, 'the personal channel counts');
    assert.equal(info.draining, false);
    c.disconnect();
  });

  test('protocol - Subscribe push shape for a control subscribe on a recoverable channel', async () => {
    const { raw, client } = await rawConnected(node.wsUrl, { token: token('shape') });
    await publish('rec:shape', { a: 1 }, true);
    control(node, { case: 'subscribe', value: create(busPb.ControlSubscribeSchema, { target: target('shape', client), channel: 'rec:shape' }) });
    let line = await raw.nextLine();
    while (!line.includes('rec:shape')) line = await raw.nextLine();
    assert.match(line, /^\{"push":\{"channel":"rec:shape","subscribe":\{"recoverable":true,"epoch":"[A-Za-z]{8}","offset":1,"positioned":true\}\}\}$/);
    raw.close();
  });
});

describe('single connection per user', { timeout: 30_000 }, () => {
  let node: InProcessGyre;
  const clients = new Clients(() => node.wsUrl);
  before(async () => {
    node = await startNode({
      client: { subscribe_to_user_personal_channel: { enabled: true, single_connection: true } },
      channel: { without_namespace: { presence: true } },
    });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  test('server-side - single_connection: a new connection of the user closes the older one with 3504', async () => {
    const first = await clients.connected({ token: token('solo') });
    await sleep(30);
    const gone = waitForEvent<{ code: number; reason: string }>(first, 'disconnected');
    const second = await clients.connected({ token: token('solo') });
    assert.deepEqual(await gone, { code: 3504, reason: 'connection limit' });
    await sleep(30);
    assert.equal(second.state, 'connected');
    const other = await clients.connected({ token: token('someone-else') });
    assert.equal(second.state, 'connected');
    assert.equal(other.state, 'connected');
  });
});
