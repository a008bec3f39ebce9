/**
 * Presence, presence_stats and join/leave pushes (client-protocol.md §3.4, §3.6; server.md §2.5
 * presence / join_leave / force_push_join_leave and allow_presence_for_*).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { waitForEvent } from '@gyre/testing';
import type { JoinContext, LeaveContext, Subscription } from 'centrifuge';
import { Clients, PROTOCOLS, decoded, rawConnected, sleep, startNode, subToken, token } from './helpers.js';

async function subscribed(sub: Subscription): Promise<void> {
  const s = waitForEvent(sub, 'subscribed');
  sub.subscribe();
  await s;
}

const presenceNs = {
  allow_subscribe_for_client: true,
  presence: true,
  join_leave: true,
  allow_presence_for_subscriber: true,
};

describe('presence', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    node = await startNode({
      client: { presence_update_interval: '200ms' },
      channel: {
        without_namespace: { allow_subscribe_for_client: true },
        namespaces: [
          { name: 'room', ...presenceNs },
          { name: 'forced', allow_subscribe_for_client: true, presence: true, join_leave: true, force_push_join_leave: true },
          { name: 'quiet', allow_subscribe_for_client: true, presence: true, allow_presence_for_client: true },
          { name: 'private', allow_subscribe_for_client: true, presence: true },
        ],
      },
    });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  for (const protocol of PROTOCOLS) {
    test(`presence - lists subscribers with conn_info and chan_info; presence_stats counts clients and users (${protocol})`, async () => {
      const ch = `room:${protocol}`;
      const a = await clients.connected({ protocol, token: token('ann', { info: { name: 'Ann' } }) });
      const a2 = await clients.connected({ protocol, token: token('ann') });
      const b = await clients.connected({ protocol, token: token('ben') });
      const subA = a.newSubscription(ch);
      await subscribed(subA);
      await subscribed(a2.newSubscription(ch));
      await subscribed(b.newSubscription(ch, { token: subToken('ben', ch, { info: { seat: 3 } }) }));
      const p = await subA.presence();
      const entries = Object.values(p.clients);
      assert.equal(entries.length, 3);
      const anns = entries.filter((e) => e.user === 'ann');
      assert.equal(anns.length, 2);
      assert.deepEqual(anns.map((e) => (e.connInfo === undefined || (e.connInfo as Uint8Array).length === 0 ? null : decoded(e.connInfo))).sort(), [{ name: 'Ann' }, null].sort());
      const ben = entries.find((e) => e.user === 'ben');
      assert.deepEqual(decoded(ben?.chanInfo), { seat: 3 });
      assert.deepEqual(await subA.presenceStats(), { numClients: 3, numUsers: 2 });
      b.disconnect();
      // The entry goes away with the connection.
      const deadline = Date.now() + 2000;
      while ((await subA.presenceStats()).numClients !== 2 && Date.now() < deadline) await sleep(20);
      assert.deepEqual(await subA.presenceStats(), { numClients: 2, numUsers: 1 });
      a.disconnect();
      a2.disconnect();
    });
  }

  test('presence - join and leave pushes reach subscribers that asked for them, with ClientInfo', async () => {
    const watcher = await clients.connected({ token: token('watcher') });
    const sub = watcher.newSubscription('room:jl', { joinLeave: true });
    const joins: JoinContext[] = [];
    const leaves: LeaveContext[] = [];
    sub.on('join', (j) => joins.push(j));
    sub.on('leave', (l) => leaves.push(l));
    await subscribed(sub);
    const deaf = await clients.connected({ token: token('deaf') });
    const deafSub = deaf.newSubscription('room:jl');
    let deafJoins = 0;
    deafSub.on('join', () => deafJoins++);
    await subscribed(deafSub);
    const guest = await clients.connected({ protocol: 'protobuf', token: token('guest', { info: { g: 1 } }) });
    await subscribed(guest.newSubscription('room:jl'));
    const deadline = Date.now() + 2000;
    while (joins.filter((j) => j.info.user === 'guest').length === 0 && Date.now() < deadline) await sleep(10);
    const gj = joins.find((j) => j.info.user === 'guest')!;
    assert.deepEqual(gj.info.connInfo, { g: 1 });
    assert.ok(joins.some((j) => j.info.user === 'watcher'), 'a subscriber sees its own join');
    guest.disconnect();
    while (leaves.length === 0 && Date.now() < deadline + 2000) await sleep(10);
    assert.equal(leaves[0]!.info.user, 'guest');
    assert.equal(deafJoins, 0, 'no join pushes without asking');
    watcher.disconnect();
    deaf.disconnect();
  });

  test('presence - force_push_join_leave pushes joins to everyone without asking', async () => {
    const a = await clients.connected({ token: token('fa') });
    const sub = a.newSubscription('forced:x');
    const joins: string[] = [];
    sub.on('join', (j) => joins.push(j.info.user));
    await subscribed(sub);
    const b = await clients.connected({ token: token('fb') });
    await subscribed(b.newSubscription('forced:x'));
    const deadline = Date.now() + 2000;
    while (!joins.includes('fb') && Date.now() < deadline) await sleep(10);
    assert.ok(joins.includes('fb'));
    a.disconnect();
    b.disconnect();
  });

  test('presence - join_leave off: asking for join/leave gets nothing', async () => {
    const a = await clients.connected({ token: token('qa') });
    const sub = a.newSubscription('quiet:x', { joinLeave: true });
    let n = 0;
    sub.on('join', () => n++);
    await subscribed(sub);
    const b = await clients.connected({ token: token('qb') });
    await subscribed(b.newSubscription('quiet:x'));
    await sleep(100);
    assert.equal(n, 0);
    a.disconnect();
    b.disconnect();
  });

  test('presence - 108 when presence is off, 103 without permission, allow_presence_for_subscriber needs the subscription', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('p') });
    raw.sendJson({ presence: { channel: 'plain' }, id: 2 });
    assert.equal(await raw.nextLine(), '{"id":2,"error":{"code":108,"message":"not available"}}');
    raw.sendJson({ presence_stats: { channel: 'private:x' }, id: 3 });
    assert.equal(await raw.nextLine(), '{"id":3,"error":{"code":103,"message":"permission denied"}}');
    raw.sendJson({ presence: { channel: 'room:sub-only' }, id: 4 });
    assert.equal(await raw.nextLine(), '{"id":4,"error":{"code":103,"message":"permission denied"}}');
    raw.sendJson({ subscribe: { channel: 'room:sub-only' }, id: 5 }, { presence: { channel: 'room:sub-only' }, id: 6 });
    assert.equal(await raw.nextLine(), '{"id":5,"subscribe":{}}');
    const presence = JSON.parse(await raw.nextLine()) as { id: number; presence: { presence: Record<string, { user: string }> } };
    assert.equal(presence.id, 6);
    assert.deepEqual(Object.values(presence.presence.presence).map((e) => e.user), ['p']);
    raw.close();
  });

  test('presence - entries are refreshed while subscribed (presence_update_interval)', async () => {
    const a = await clients.connected({ token: token('keep') });
    const sub = a.newSubscription('quiet:refresh');
    await subscribed(sub);
    await sleep(500);
    assert.deepEqual(await sub.presenceStats(), { numClients: 1, numUsers: 1 });
    a.disconnect();
  });
});
