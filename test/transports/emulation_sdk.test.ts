/**
 * The `centrifuge` SDK over HTTP streaming (JSON and protobuf) and SSE (JSON, with the
 * `eventsource` package), client-protocol.md §7: the same subscribe / publish / presence /
 * history / recovery / rpc behaviour as over WebSocket, commands and pongs going through
 * /emulation, publications fanned out to emulated and WebSocket members alike.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { waitForEvent } from '@gyre/testing';
import type { Centrifuge, Subscription, SubscribedContext } from 'centrifuge';
import { EMULATED, closeFetchPool, api, decoded, label, liveSessions, payload, sdkClient, sleep, startNode, token, until, type Variant } from './helpers.js';

after(closeFetchPool);

describe('emulated transports with the SDK', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  const all: Centrifuge[] = [];

  const connected = async (v: Variant, user: string): Promise<Centrifuge> => {
    const c = sdkClient(node.httpUrl, v, { token: token(user) });
    all.push(c);
    const ok = waitForEvent<{ transport: string }>(c, 'connected');
    c.connect();
    const ctx = await ok;
    assert.equal(ctx.transport, v.transport === 'websocket' ? 'websocket' : v.transport);
    return c;
  };

  const subscribed = async (c: Centrifuge, channel: string, opts: Record<string, unknown> = {}): Promise<{ sub: Subscription; ctx: SubscribedContext; seen: unknown[] }> => {
    const sub = c.newSubscription(channel, opts);
    const seen: unknown[] = [];
    sub.on('publication', (p) => seen.push(decoded(p.data)));
    const s = waitForEvent<SubscribedContext>(sub, 'subscribed');
    sub.subscribe();
    return { sub, ctx: await s, seen };
  };

  before(async () => {
    node = await startNode();
  });
  after(async () => {
    for (const c of all) c.disconnect();
    await node.shutdown();
  });

  for (const v of EMULATED) {
    const t = label(v);
    const ch = (name: string): string => `${name}-${v.transport}-${v.protocol}`;

    test(`${t} - subscribe, then API and client publications arrive in order, also at a WebSocket subscriber`, async () => {
      const c = await connected(v, 'u1');
      const ws = await connected({ transport: 'websocket', protocol: v.protocol }, 'u1ws');
      const channel = ch('order');
      const mine = await subscribed(c, channel);
      const theirs = await subscribed(ws, channel);
      for (let i = 1; i <= 5; i++) await api(node, 'publish', { channel, data: { i } });
      await c.publish(channel, payload(v.protocol, { i: 6 }));
      await until(() => mine.seen.length === 6 && theirs.seen.length === 6, 3000, 'six publications');
      const want = [1, 2, 3, 4, 5, 6].map((i) => ({ i }));
      assert.deepEqual(mine.seen, want);
      assert.deepEqual(theirs.seen, want);
      c.disconnect();
      ws.disconnect();
    });

    test(`${t} - unsubscribe stops delivery and a resubscribe starts it again`, async () => {
      const c = await connected(v, 'u2');
      const channel = ch('unsub');
      const { sub, seen } = await subscribed(c, channel);
      await api(node, 'publish', { channel, data: { n: 1 } });
      await until(() => seen.length === 1);
      const gone = waitForEvent(sub, 'unsubscribed');
      sub.unsubscribe();
      await gone;
      await api(node, 'publish', { channel, data: { n: 2 } });
      await sleep(150);
      assert.equal(seen.length, 1);
      const again = waitForEvent(sub, 'subscribed');
      sub.subscribe();
      await again;
      await api(node, 'publish', { channel, data: { n: 3 } });
      await until(() => seen.length === 2);
      assert.deepEqual(seen, [{ n: 1 }, { n: 3 }]);
      c.disconnect();
    });

    test(`${t} - presence and presence_stats list the connection`, async () => {
      const c = await connected(v, `pres-${v.transport}-${v.protocol}`);
      const channel = ch('presence');
      await subscribed(c, channel);
      const p = await c.presence(channel);
      const entries = Object.values(p.clients);
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.user, `pres-${v.transport}-${v.protocol}`);
      const stats = await c.presenceStats(channel);
      assert.deepEqual({ clients: stats.numClients, users: stats.numUsers }, { clients: 1, users: 1 });
      c.disconnect();
    });

    test(`${t} - history returns the channel's publications, limited and reversed`, async () => {
      const c = await connected(v, 'u3');
      const channel = ch('history');
      await subscribed(c, channel);
      for (let i = 1; i <= 4; i++) await api(node, 'publish', { channel, data: { i } });
      const h = await c.history(channel, { limit: -1 });
      assert.deepEqual(h.publications.map((p) => decoded(p.data)), [1, 2, 3, 4].map((i) => ({ i })));
      assert.equal(h.offset, 4);
      const rev = await c.history(channel, { limit: 2, reverse: true });
      assert.deepEqual(rev.publications.map((p) => p.offset), [4, 3]);
      c.disconnect();
    });

    test(`${t} - publications missed while disconnected are recovered in order`, async () => {
      const c = await connected(v, 'u4');
      const channel = ch('recovery');
      const { sub, ctx, seen } = await subscribed(c, channel, { recoverable: true });
      assert.equal(ctx.recoverable, true);
      for (let i = 1; i <= 2; i++) await api(node, 'publish', { channel, data: { i } });
      await until(() => seen.length === 2);
      c.disconnect();
      for (let i = 3; i <= 6; i++) await api(node, 'publish', { channel, data: { i } });
      const again = waitForEvent<SubscribedContext>(sub, 'subscribed');
      c.connect();
      const r = await again;
      assert.deepEqual({ was: r.wasRecovering, recovered: r.recovered }, { was: true, recovered: true });
      await until(() => seen.length === 6);
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6].map((i) => ({ i })));
      c.disconnect();
    });

    test(`${t} - rpc: the built-in ping method answers, an unknown method gets 104`, async () => {
      const c = await connected(v, 'u5');
      const res = await c.rpc('ping', payload(v.protocol, {}));
      assert.ok(res);
      await assert.rejects(c.rpc('nope', payload(v.protocol, {})), (e: { code: number }) => e.code === 104);
      c.disconnect();
    });

    test(`${t} - a server API disconnect arrives as a disconnect push with its code`, async () => {
      const user = `kick-${v.transport}-${v.protocol}`;
      const c = await connected(v, user);
      const gone = waitForEvent<{ code: number; reason: string }>(c, 'disconnected');
      await api(node, 'disconnect', { user });
      const d = await gone;
      assert.deepEqual(d, { code: 3503, reason: 'force disconnect' });
      assert.equal(c.state, 'disconnected');
      await until(() => (node.edge!.context.registry.userConnections(user)?.size ?? 0) === 0, 3000, 'connection released');
    });
  }

  test('emulated transports - server pings are answered through /emulation: connections outlive several ping and pong intervals', async () => {
    const clients = await Promise.all(EMULATED.map((v, i) => connected(v, `ping${i}`)));
    const drops: unknown[] = [];
    for (const c of clients) c.on('disconnected', (d) => drops.push(d));
    for (const c of clients) c.on('connecting', (d) => drops.push(d));
    // ping_interval 2 s, pong_timeout 1 s: two full rounds.
    await sleep(4600);
    assert.deepEqual(drops, []);
    for (const c of clients) assert.equal(c.state, 'connected');
    for (const c of clients) c.disconnect();
    await until(() => liveSessions(node) === 0, 3000, 'sessions released');
  });
});
