/**
 * Connection and subscription expiry (client-protocol.md §5.6, §5.7): expires/ttl in the results,
 * refresh / sub_refresh with new tokens through the SDK's getToken, 3005 / 2501 / 3006 when nobody
 * refreshes, and every rejection of the refresh commands.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import type { InProcessGyre } from '@gyre/gyre';
import { bus as busPb } from '@gyre/protocol';
import { waitForEvent } from '@gyre/testing';
import type { SubscribedContext } from 'centrifuge';
import { Clients, RawClient, rawConnected, rawToken, sleep, startNode, subToken, token } from './helpers.js';

const now = (): number => Math.floor(Date.now() / 1000);

describe('refresh', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    node = await startNode({
      client: { expired_close_delay: '300ms', expired_sub_close_delay: '300ms', ping_interval: '-1' },
      channel: { without_namespace: { allow_subscribe_for_client: true } },
    });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  test('refresh - the SDK refreshes an expiring connection with getToken and stays connected past the expiry', async () => {
    let refreshes = 0;
    const c = clients.make({
      token: token('r1', {}, 2),
      getToken: async () => {
        refreshes++;
        return token('r1', {}, 60);
      },
    });
    const connected = waitForEvent(c, 'connected');
    c.connect();
    await connected;
    await sleep(2800);
    assert.equal(refreshes, 1);
    assert.equal(c.state, 'connected');
    c.disconnect();
  });

  test('refresh - without a refresh the connection closes with 3005 after expired_close_delay', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('r2', {}, 1) });
    assert.deepEqual(await raw.closed, { code: 3005, reason: 'connection expired' });
  });

  test('refresh - the refresh reply carries the new expiry; no exp means expires false', async () => {
    const raw = await RawClient.open(node.wsUrl);
    raw.sendJson({ connect: { token: token('r3', {}, 30) }, id: 1 });
    const connect = JSON.parse(await raw.nextLine()) as { connect: { expires: boolean; ttl: number } };
    assert.equal(connect.connect.expires, true);
    assert.ok(connect.connect.ttl >= 29 && connect.connect.ttl <= 30);
    raw.sendJson({ refresh: { token: token('r3', {}, 100) }, id: 2 });
    assert.match(await raw.nextLine(), /^\{"id":2,"refresh":\{"expires":true,"ttl":(99|100)\}\}$/);
    raw.sendJson({ refresh: { token: token('r3') }, id: 3 });
    assert.equal(await raw.nextLine(), '{"id":3,"refresh":{}}');
    raw.close();
  });

  test('refresh - an expired token closes with 3005, another user or a bad token with 3500, an empty token with 3501', async () => {
    const cases: Array<[string, number]> = [
      [rawToken({ sub: 'r4', exp: now() - 5 }), 3005],
      [token('someone-else'), 3500],
      [token('r4').slice(0, -2) + 'xx', 3500],
      ['', 3501],
    ];
    for (const [t, code] of cases) {
      const { raw } = await rawConnected(node.wsUrl, { token: token('r4', {}, 30) });
      raw.sendJson({ refresh: { token: t }, id: 2 });
      assert.equal((await raw.closed).code, code, t.slice(0, 20));
    }
  });

  test('sub_refresh - the SDK refreshes an expiring subscription token and stays subscribed', async () => {
    const c = await clients.connected({ token: token('s1') });
    let calls = 0;
    const sub = c.newSubscription('$exp', {
      token: subToken('s1', '$exp', {}, 2),
      getToken: async () => {
        calls++;
        return subToken('s1', '$exp', {}, 60);
      },
    });
    let unsubscribed = 0;
    sub.on('subscribing', () => unsubscribed++);
    const s = waitForEvent<SubscribedContext>(sub, 'subscribed');
    sub.subscribe();
    await s;
    await sleep(2800);
    assert.equal(calls, 1);
    assert.equal(sub.state, 'subscribed');
    assert.equal(unsubscribed, 1, 'only the initial subscribing state');
    c.disconnect();
  });

  test('sub_refresh - a subscription nobody refreshes gets unsubscribe 2501 after expired_sub_close_delay', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('s2') });
    raw.sendJson({ subscribe: { channel: '$short', token: subToken('s2', '$short', {}, 1) }, id: 2 });
    assert.match(await raw.nextLine(), /^\{"id":2,"subscribe":\{"expires":true(,"ttl":1)?\}\}$/);
    assert.equal(await raw.nextLine({ timeoutMs: 3000 }), '{"push":{"channel":"$short","unsubscribe":{"code":2501,"reason":"subscription expired"}}}');
    raw.close();
  });

  test('sub_refresh - errors: not subscribed 103, empty token 107, expired token ends the subscription with 2501 and 109, mismatch 3500', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('s3') });
    raw.sendJson({ sub_refresh: { channel: '$none', token: subToken('s3', '$none') }, id: 2 });
    assert.equal(await raw.nextLine(), '{"id":2,"error":{"code":103,"message":"permission denied"}}');
    raw.sendJson({ subscribe: { channel: '$s', token: subToken('s3', '$s', {}, 30) }, id: 3 });
    await raw.nextLine();
    raw.sendJson({ sub_refresh: { channel: '$s', token: '' }, id: 4 });
    assert.equal(await raw.nextLine(), '{"id":4,"error":{"code":107,"message":"bad request"}}');
    raw.sendJson({ sub_refresh: { channel: '$s', token: subToken('s3', '$s', {}, 60) }, id: 5 });
    assert.match(await raw.nextLine(), /^\{"id":5,"sub_refresh":\{"expires":true,"ttl":(59|60)\}\}$/);
    raw.sendJson({ sub_refresh: { channel: '$s', token: rawToken({ sub: 's3', channel: '$s', exp: now() - 1 }) }, id: 6 });
    assert.equal(await raw.nextLine(), '{"push":{"channel":"$s","unsubscribe":{"code":2501,"reason":"subscription expired"}}}');
    assert.equal(await raw.nextLine(), '{"id":6,"error":{"code":109,"message":"token expired"}}');
    raw.sendJson({ subscribe: { channel: '$t', token: subToken('s3', '$t', {}, 30) }, id: 7 });
    await raw.nextLine();
    raw.sendJson({ sub_refresh: { channel: '$t', token: subToken('s3', '$other', {}, 30) }, id: 8 });
    assert.equal((await raw.closed).code, 3500);
  });

  test('sub_refresh - a subscription without a token is refreshed by the server: sub_refresh closes with 3501', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('s4') });
    raw.sendJson({ subscribe: { channel: 'open' }, id: 2 });
    await raw.nextLine();
    raw.sendJson({ sub_refresh: { channel: 'open', token: subToken('s4', 'open') }, id: 3 });
    assert.equal((await raw.closed).code, 3501);
  });

  test('sub expiry - an expired server-side subscription disconnects with 3006', async () => {
    const { raw, client } = await rawConnected(node.wsUrl, { token: token('s5') });
    const ctl = create(busPb.ControlSchema, {
      command: {
        case: 'subscribe',
        value: create(busPb.ControlSubscribeSchema, {
          target: create(busPb.ControlTargetSchema, { user: 's5', client }),
          channel: 'server-exp',
          expireAt: BigInt(now() + 1),
        }),
      },
    });
    node.bus.publish('gyre.ctl', toBinary(busPb.ControlSchema, ctl));
    assert.equal(await raw.nextLine(), '{"push":{"channel":"server-exp","subscribe":{}}}');
    assert.deepEqual(await raw.closed, { code: 3006, reason: 'subscription expired' });
  });
});
