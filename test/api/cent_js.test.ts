/**
 * A backend written for Centrifugo, unchanged: `cent.js` (npm) calls every method it supports
 * against the embedded node, and real `centrifuge` SDK clients connected to the same node check
 * what those calls did (publications with their offset and tags, presence, history, server-side
 * subscriptions, disconnect codes, channels, info).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CentClient, CentException } from 'cent.js';
import type { Centrifuge, Subscription } from 'centrifuge';
import { generateConnectToken } from '@gyre/auth';
import type { InProcessGyre } from '@gyre/gyre';
import { createCentrifuge, waitForEvent } from '@gyre/testing';
import { API_KEY, sleep, startNode } from './helpers.js';

const SECRET = 'sdk-test-secret';

let node: InProcessGyre;
let cent: CentClient;
const clients: Centrifuge[] = [];

// cent.js calls the global fetch; `connection: close` keeps idle keep-alive sockets from holding
// the test process open for seconds after the node stopped. Nothing else about its calls changes.
const realFetch = globalThis.fetch;

before(async () => {
  globalThis.fetch = (input, init) => realFetch(input, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), connection: 'close' } });
  node = await startNode({ client: { token: { hmac_secret_key: SECRET } } });
  cent = new CentClient({ url: `${node.internalUrl}/api`, apiKey: API_KEY });
});

after(async () => {
  for (const c of clients) c.disconnect();
  await sleep(50);
  await node.shutdown();
  globalThis.fetch = realFetch;
});

let seq = 0;
const fresh = (prefix = ''): string => `${prefix}sdk-${process.pid}-${++seq}`;

async function connect(user: string): Promise<{ c: Centrifuge; clientId: string }> {
  const c = createCentrifuge(node.wsUrl, { token: generateConnectToken({ hmacSecretKey: SECRET, user, ttlSeconds: 3600 }) });
  clients.push(c);
  const connected = waitForEvent<{ client: string }>(c, 'connected');
  c.connect();
  const ctx = await connected;
  return { c, clientId: ctx.client };
}

async function subscribe(c: Centrifuge, channel: string): Promise<Subscription> {
  const sub = c.newSubscription(channel);
  const subscribed = waitForEvent(sub, 'subscribed');
  sub.subscribe();
  await subscribed;
  return sub;
}

/** Retries `check` until it passes or `ms` run out (state that edges report asynchronously). */
async function eventually<T>(check: () => Promise<T>, ms = 4000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- cent.js types only a subset of the fields
const any = (v: unknown): any => v;

test('cent.js - publish reaches a subscriber with the offset and tags of the result', async () => {
  const ch = fresh();
  const { c } = await connect('alice');
  const sub = await subscribe(c, ch);
  const got = waitForEvent<{ data: unknown; offset?: number; tags?: Record<string, string> }>(sub, 'publication');
  const res = await cent.publish({ channel: ch, data: { text: 'hello' }, tags: { kind: 'greeting' } });
  const pub = await got;
  assert.deepEqual(pub.data, { text: 'hello' });
  assert.equal(pub.offset, res.offset);
  assert.equal(res.offset, 1);
  assert.deepEqual(pub.tags, { kind: 'greeting' });
  const nohist = fresh('nohist:');
  const sub2 = await subscribe(c, nohist);
  const got2 = waitForEvent<{ data: unknown; offset?: number }>(sub2, 'publication');
  assert.deepEqual(await cent.publish({ channel: nohist, data: { n: 2 } }), {});
  const pub2 = await got2;
  assert.deepEqual(pub2.data, { n: 2 });
  assert.ok(!pub2.offset, 'no history: no offset');
});

test('cent.js - broadcast reaches the subscribers of every channel', async () => {
  const [a, b] = [fresh(), fresh()];
  const { c } = await connect('bob');
  const sa = await subscribe(c, a);
  const sb = await subscribe(c, b);
  const ga = waitForEvent<{ data: unknown }>(sa, 'publication');
  const gb = waitForEvent<{ data: unknown }>(sb, 'publication');
  const res = any(await cent.broadcast({ channels: [a, b], data: { all: true } }));
  assert.equal(res.responses.length, 2);
  assert.deepEqual((await ga).data, { all: true });
  assert.deepEqual((await gb).data, { all: true });
});

test('cent.js - presence lists the subscribed clients; presence_stats counts them', async () => {
  const ch = fresh();
  const one = await connect('carol');
  const two = await connect('carol');
  await subscribe(one.c, ch);
  await subscribe(two.c, ch);
  const presence = await eventually(async () => {
    const p = await cent.getPresence({ channel: ch });
    assert.equal(Object.keys(p.presence).length, 2);
    return p.presence;
  });
  assert.deepEqual(Object.keys(presence).sort(), [one.clientId, two.clientId].sort());
  assert.equal(presence[one.clientId]!.user, 'carol');
  assert.equal(presence[one.clientId]!.client, one.clientId);
  assert.deepEqual(await cent.getPresenceStats({ channel: ch }), { num_clients: 2, num_users: 1 });
});

test('cent.js - history returns what was published, the same as a client reads it', async () => {
  const ch = fresh();
  for (let i = 1; i <= 3; i++) await cent.publish({ channel: ch, data: { i }, tags: { n: String(i) } });
  const h = await cent.getHistory({ channel: ch, limit: -1 });
  assert.deepEqual(h.publications.map((p) => p.data), [{ i: 1 }, { i: 2 }, { i: 3 }]);
  assert.equal(h.offset, 3);
  const { c } = await connect('dave');
  const sub = await subscribe(c, ch);
  const fromClient = await sub.history({ limit: -1 });
  assert.deepEqual(fromClient.publications.map((p) => p.data), h.publications.map((p) => p.data));
  assert.deepEqual(fromClient.publications.map((p) => p.offset), [1, 2, 3]);
  assert.equal(fromClient.epoch, h.epoch);
  const since = await cent.getHistory({ channel: ch, limit: 1, since: { offset: 1, epoch: h.epoch } });
  assert.deepEqual(since.publications.map((p) => p.data), [{ i: 2 }]);
  const reversed = await cent.getHistory({ channel: ch, limit: 2, reverse: true });
  assert.deepEqual(reversed.publications.map((p) => p.data), [{ i: 3 }, { i: 2 }]);
  assert.deepEqual(await cent.removeHistory({ channel: ch }), {});
  const after = await sub.history({ limit: -1 });
  assert.equal(after.publications.length, 0, 'history_remove is visible to clients');
  assert.equal(after.offset, 3);
});

test('cent.js - subscribe creates a server-side subscription the client sees; unsubscribe ends it', async () => {
  const ch = fresh();
  const { c } = await connect('erin');
  const subscribed = waitForEvent<{ channel: string }>(c, 'subscribed');
  assert.deepEqual(await cent.subscribe({ user: 'erin', channel: ch }), {});
  assert.equal((await subscribed).channel, ch);
  const pub = waitForEvent<{ channel: string; data: unknown; offset?: number }>(c, 'publication');
  const res = await cent.publish({ channel: ch, data: { server: 'side' } });
  const got = await pub;
  assert.equal(got.channel, ch);
  assert.deepEqual(got.data, { server: 'side' });
  assert.equal(got.offset, res.offset);
  const unsubscribed = waitForEvent<{ channel: string }>(c, 'unsubscribed');
  assert.deepEqual(await cent.unsubscribe({ user: 'erin', channel: ch }), {});
  assert.equal((await unsubscribed).channel, ch);
});

test('cent.js - unsubscribe of a client subscription ends it with code 2000', async () => {
  const ch = fresh();
  const { c } = await connect('frank');
  const sub = await subscribe(c, ch);
  const gone = waitForEvent<{ code: number }>(sub, 'unsubscribed');
  await cent.unsubscribe({ user: 'frank', channel: ch });
  assert.equal((await gone).code, 2000);
});

test('cent.js - disconnect closes the user connections with the given code, 3503 by default', async () => {
  const a = await connect('gina');
  const closedA = waitForEvent<{ code: number; reason: string }>(a.c, 'disconnected');
  assert.deepEqual(await cent.disconnect({ user: 'gina' }), {});
  assert.deepEqual(await closedA, { code: 3503, reason: 'force disconnect' });
  const b = await connect('hank');
  const keep = await connect('hank');
  const closedB = waitForEvent<{ code: number; reason: string }>(b.c, 'disconnected');
  await cent.disconnect(any({ user: 'hank', disconnect: { code: 4500, reason: 'custom reason' }, whitelist: [keep.clientId] }));
  assert.deepEqual(await closedB, { code: 4500, reason: 'custom reason' });
  await sleep(100);
  assert.equal(keep.c.state, 'connected', 'whitelisted client stays');
  const one = await connect('ivy');
  const other = await connect('ivy');
  const closedOne = waitForEvent<{ code: number }>(one.c, 'disconnected');
  await cent.disconnect(any({ user: 'ivy', client: one.clientId, disconnect: { code: 4501, reason: 'just you' } }));
  assert.equal((await closedOne).code, 4501);
  await sleep(100);
  assert.equal(other.c.state, 'connected', 'client targeting leaves the other connection');
});

test('cent.js - refresh with expired: the client is told its connection expired (3005)', async () => {
  const { c } = await connect('jack');
  const connecting = waitForEvent<{ code: number }>(c, 'connecting');
  assert.deepEqual(await cent.refresh(any({ user: 'jack', expired: true })), {});
  assert.equal((await connecting).code, 3005);
});

test('cent.js - channels lists the channels with subscribers and their counts', async () => {
  const ch = fresh('nohist:');
  const { c } = await connect('kate');
  await subscribe(c, ch);
  const all = await cent.getChannels(any({}));
  assert.deepEqual(all.channels[ch], { num_clients: 1 });
  const filtered = await cent.getChannels({ pattern: 'nohist:sdk-*' });
  assert.ok(Object.keys(filtered.channels).every((k) => k.startsWith('nohist:sdk-')));
  assert.ok(filtered.channels[ch]);
});

test('cent.js - info reports this node with its connection counts', async () => {
  const before = await cent.getInfo();
  assert.equal(before.nodes.length, 1);
  assert.equal(before.nodes[0]!.uid, node.id);
  assert.equal(before.nodes[0]!.name, node.name);
  await connect('liam');
  await eventually(async () => {
    const info = await cent.getInfo();
    const self = any(info.nodes[0]);
    assert.ok(self.num_clients >= 1, JSON.stringify(self));
    assert.ok(self.num_users >= 1);
  }, 5000);
});

test('cent.js - pipeline goes through the legacy /api endpoint', async () => {
  const ch = fresh();
  const cp = new CentClient({ url: `${node.internalUrl}/api`, apiKey: API_KEY });
  const results = await cp.pipeline(any([
    { method: 'publish', params: { channel: ch, data: { p: 1 } } },
    { method: 'publish', params: { channel: ch, data: { p: 2 } } },
    { method: 'history', params: { channel: ch, limit: -1 } },
  ]));
  assert.equal(any(results[0]).offset, 1);
  assert.equal(any(results[1]).offset, 2);
  assert.deepEqual(any(results[2]).publications.map((p: { data: unknown }) => p.data), [{ p: 1 }, { p: 2 }]);
});

test('cent.js - API errors reach the caller as CentException with the code', async () => {
  // cent.js wraps the error object itself into the exception.
  await assert.rejects(cent.publish({ channel: 'missing:x', data: {} }), CentException);
  await assert.rejects(cent.getPresence({ channel: 'nohist:x' }), CentException);
  const wrongKey = new CentClient({ url: `${node.internalUrl}/api`, apiKey: 'wrong' });
  await assert.rejects(wrongKey.getInfo(), 'a 401 has no JSON body');
});
