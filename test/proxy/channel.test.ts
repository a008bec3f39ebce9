/**
 * Channel-wide proxies (seed 003 "Subscribe proxy", "Publish proxy", "Sub refresh proxy",
 * "Per-namespace custom proxies"; server.md §2.7 where the subscribe proxy sits) over HTTP and
 * GRPC, with the `centrifuge` SDK (JSON / protobuf) and raw WebSockets.
 *
 * Namespaces: "" (without_namespace) and `rec`, `cexp`, `exp`, `lim`, `tok` use the default
 * channel.proxy.* objects on `backend`; `named` uses proxies[] entries on `named` (a second
 * backend of the same kind); `stream` has a subscribe_stream proxy whose endpoint does not serve
 * the stream methods (test/proxy/subscribe_stream.test.ts has the working ones). The backends answer by channel.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { sleep, waitFor, waitForEvent } from '@gyre/testing';
import type { Centrifuge } from 'centrifuge';
import {
  closeFetchPool,
  Clients,
  KINDS,
  RawWs,
  api,
  decoded,
  ok,
  payload,
  proxyOf,
  startBackend,
  startNode,
  subToken,
  token,
  websocketWithHeaders,
  type Answer,
  type Backend,
  type Json,
  type SeenCall,
} from './helpers.js';

after(closeFetchPool);

const nowSec = (): number => Math.floor(Date.now() / 1000);

for (const kind of KINDS) {
  const sdkProtocol = kind === 'http' ? 'json' : 'protobuf';
  describe(`channel proxies over ${kind}`, { timeout: 60_000, concurrency: false }, () => {
    // Sequential: these tests measure expiry and retry timing against 1 s proxy timeouts; run
    // side by side under a loaded CI machine they flaked (three grpc sub_refresh cases once).
    let node: InProcessGyre;
    let backend: Backend;
    let named: Backend;
    let c: Centrifuge;
    let clientId = '';
    const clients = new Clients(() => node.wsUrl);
    const firstFailed = new Set<string>();

    /** Fails the first call for `key`, answers `then` afterwards. */
    function failOnce(key: string, then: Answer): Answer {
      if (firstFailed.has(key)) return then;
      firstFailed.add(key);
      return kind === 'http' ? { status: 502 } : { grpcCode: 14 };
    }

    function subscribeAnswer(call: SeenCall): Answer {
      const ch = call.body['channel'] as string;
      switch (ch) {
        case 'chat':
          return ok({ info: { seat: 1 }, data: { welcome: 'chat' } });
        case 'denied':
          return { body: { error: { code: 403, message: 'permission denied' } } };
        case 'kick':
          return { body: { disconnect: { code: 4000, reason: 'kicked' } } };
        case 'both':
          return { body: { result: {}, error: { code: 1001, message: 'error wins' } } };
        case 'flaky':
          return failOnce('sub-flaky', ok());
        case 'past':
          return ok({ expire_at: nowSec() - 10 });
        case 'rec:x':
          return ok({ override: { force_recovery: { value: true }, force_positioning: { value: true } } });
        case 'cexp:x':
          return ok({ expire_at: nowSec() + 600 });
        default:
          if (ch.startsWith('exp:')) return ok({ expire_at: nowSec() + 1 });
          return ok();
      }
    }

    function subRefreshAnswer(call: SeenCall): Answer {
      switch (call.body['channel']) {
        case 'exp:keep':
          return ok({ expire_at: nowSec() + 60, info: { v: 'refreshed' } });
        case 'exp:end':
          return ok({ expired: true });
        case 'exp:flaky':
          return failOnce('subrefresh-flaky', ok({ expire_at: nowSec() + 60 }));
        default:
          return ok({ expired: true });
      }
    }

    function publishAnswer(call: SeenCall): Answer {
      switch (call.body['channel']) {
        case 'chat':
          return ok({ data: { ...(call.body['data'] as Json), moderated: true } });
        case 'skip':
          return ok({ skip_history: true });
        case 'tagged':
          return ok({ tags: { k: 'v' } });
        case 'denied-pub':
          return { body: { error: { code: 1403, message: 'no publishing here' } } };
        case 'kick-pub':
          return { body: { disconnect: { code: 4001, reason: 'spam' } } };
        case 'flaky-pub':
          return kind === 'http' ? { status: 500 } : { grpcCode: 14 };
        default:
          return ok();
      }
    }

    before(async () => {
      backend = await startBackend(kind);
      named = await startBackend(kind);
      backend.handlers['subscribe'] = subscribeAnswer;
      backend.handlers['sub_refresh'] = subRefreshAnswer;
      backend.handlers['publish'] = publishAnswer;
      named.handlers['subscribe'] = () => ok({ data: { from: 'named' } });
      named.handlers['publish'] = () => ok();
      const hist = { history_size: 10, history_ttl: '60s' };
      node = await startNode({
        client: { expired_sub_close_delay: '100ms' },
        proxies: [
          { name: 'sub-named', endpoint: named.endpoint('subscribe'), timeout: '1s' },
          { name: 'pub-named', endpoint: named.endpoint('publish'), timeout: '1s' },
        ],
        channel: {
          proxy: {
            subscribe: proxyOf(backend, 'subscribe', { include_connection_meta: true, http_headers: ['Cookie'] }),
            publish: proxyOf(backend, 'publish', { http_headers: ['Cookie'] }),
            sub_refresh: proxyOf(backend, 'sub_refresh'),
            subscribe_stream: { endpoint: named.endpoint('subscribe_stream').replace(/^http:\/\/([^/]+).*$/, 'grpc://$1') },
          },
          without_namespace: { subscribe_proxy_enabled: true, publish_proxy_enabled: true, presence: true, allow_presence_for_subscriber: true, ...hist },
          namespaces: [
            { name: 'named', subscribe_proxy_enabled: true, subscribe_proxy_name: 'sub-named', publish_proxy_enabled: true, publish_proxy_name: 'pub-named' },
            { name: 'rec', subscribe_proxy_enabled: true, ...hist },
            { name: 'cexp', subscribe_proxy_enabled: true },
            { name: 'exp', subscribe_proxy_enabled: true, sub_refresh_proxy_enabled: true },
            { name: 'lim', subscribe_proxy_enabled: true, allow_user_limited_channels: true },
            { name: 'tok', subscribe_proxy_enabled: true },
            { name: 'stream', subscribe_stream_proxy_enabled: true },
          ],
        },
      });
      c = clients.make({
        protocol: sdkProtocol,
        token: token('alice', { meta: { plan: 'gold' } }),
        websocket: websocketWithHeaders({ Cookie: 'sid=alice' }),
      });
      const connected = waitForEvent<{ client: string }>(c, 'connected');
      c.connect();
      clientId = (await connected).client;
    });
    after(async () => {
      clients.closeAll();
      await node?.shutdown();
      await backend?.close();
      await named?.close();
    });

    async function rawConnected(user: string): Promise<RawWs> {
      const raw = await RawWs.open(node.wsUrl);
      raw.sendJson({ connect: { token: token(user) }, id: 1 });
      const reply = await raw.next();
      assert.ok(reply['connect'], JSON.stringify(reply));
      return raw;
    }

    const callsFor = (b: Backend, event: string, channel: string): SeenCall[] => b.callsOf(event).filter((x) => x.body['channel'] === channel);

    // ---- subscribe --------------------------------------------------------------------------

    test(`subscribe proxy - the backend decides: request fields (data, meta, Cookie), result data and info reach the subscription (${kind}, ${sdkProtocol} SDK)`, async () => {
      const sub = c.newSubscription('chat', { data: payload(sdkProtocol, { want: 'in' }) });
      const subscribed = waitForEvent<{ data?: unknown }>(sub, 'subscribed');
      sub.subscribe();
      assert.deepEqual(decoded((await subscribed).data), { welcome: 'chat' });
      const call = callsFor(backend, 'subscribe', 'chat')[0]!;
      assert.equal(call.body['client'], clientId);
      assert.equal(call.body['user'], 'alice');
      assert.equal(call.body['transport'], 'websocket');
      assert.equal(call.body['protocol'], sdkProtocol);
      assert.equal(call.body['encoding'], 'json');
      assert.deepEqual(call.body['data'], { want: 'in' });
      assert.deepEqual(call.body['meta'], { plan: 'gold' }, 'connection meta (include_connection_meta)');
      assert.equal(call.headers['cookie'], 'sid=alice', 'the upgrade request Cookie, listed in http_headers');
      const presence = await c.presence('chat');
      const me = presence.clients[clientId] as { chanInfo?: unknown } | undefined;
      assert.deepEqual(decoded(me?.chanInfo), { seat: 1 }, 'result info is the channel info');
    });

    test(`subscribe proxy - a custom error ends the subscription with its code (SDK unsubscribed); error wins over result (${kind})`, async () => {
      const sub = c.newSubscription('denied');
      const unsubscribed = waitForEvent<{ code: number; reason: string }>(sub, 'unsubscribed');
      sub.subscribe();
      assert.deepEqual(await unsubscribed, { channel: 'denied', code: 403, reason: 'permission denied' });
      const raw = await rawConnected('bob');
      raw.sendJson({ subscribe: { channel: 'both' }, id: 2 });
      assert.deepEqual(await raw.next(), { id: 2, error: { code: 1001, message: 'error wins' } });
      raw.close();
    });

    test(`subscribe proxy - a custom disconnect closes the connection (${kind})`, async () => {
      const raw = await rawConnected('carol');
      raw.sendJson({ subscribe: { channel: 'kick' }, id: 2 });
      assert.deepEqual(await raw.closed, { code: 4000, reason: 'kicked' });
    });

    test(`subscribe proxy - a failed call → 100 temporary, and the SDK resubscribes (${kind})`, async () => {
      const sub = c.newSubscription('flaky', { minResubscribeDelay: 50, maxResubscribeDelay: 100 });
      const errored = waitForEvent<{ error: { code: number; temporary?: boolean } }>(sub, 'error');
      const subscribed = waitForEvent(sub, 'subscribed');
      sub.subscribe();
      const e = await errored;
      assert.equal(e.error.code, 100);
      assert.equal(e.error.temporary, true);
      await subscribed;
      assert.equal(callsFor(backend, 'subscribe', 'flaky').length, 2);
    });

    test(`subscribe proxy - the result override turns on recovery and positioning; expire_at in the past → 110 (${kind})`, async () => {
      const raw = await rawConnected('dave');
      raw.sendJson({ subscribe: { channel: 'rec:x' }, id: 2 });
      const reply = (await raw.next())['subscribe'] as Json;
      assert.equal(reply['recoverable'], true);
      assert.equal(reply['positioned'], true);
      assert.equal(typeof reply['epoch'], 'string');
      raw.sendJson({ subscribe: { channel: 'past' }, id: 3 });
      assert.deepEqual(await raw.next(), { id: 3, error: { code: 110, message: 'expired' } });
      raw.close();
    });

    test(`subscribe proxy - expire_at without a sub_refresh proxy: the client refreshes (expires and ttl in the reply) (${kind})`, async () => {
      const raw = await rawConnected('erin');
      raw.sendJson({ subscribe: { channel: 'cexp:x' }, id: 2 });
      const reply = (await raw.next())['subscribe'] as Json;
      assert.equal(reply['expires'], true);
      assert.ok((reply['ttl'] as number) > 590);
      raw.close();
    });

    test(`subscribe proxy - not asked for subscription-token or user-limited channels (${kind})`, async () => {
      const raw = await rawConnected('u1');
      raw.sendJson({ subscribe: { channel: 'tok:x', token: subToken('u1', 'tok:x') }, id: 2 });
      assert.deepEqual(await raw.next(), { id: 2, subscribe: {} });
      raw.sendJson({ subscribe: { channel: 'lim:#u1' }, id: 3 });
      assert.deepEqual(await raw.next(), { id: 3, subscribe: {} });
      raw.sendJson({ subscribe: { channel: 'lim:#u2' }, id: 4 });
      assert.deepEqual(await raw.next(), { id: 4, error: { code: 103, message: 'permission denied' } });
      for (const ch of ['tok:x', 'lim:#u1', 'lim:#u2']) assert.equal(callsFor(backend, 'subscribe', ch).length, 0, ch);
      raw.close();
    });

    test(`subscribe proxy - per-namespace named proxy (proxies[] + subscribe_proxy_name) (${kind})`, async () => {
      const sub = c.newSubscription('named:x');
      const subscribed = waitForEvent<{ data?: unknown }>(sub, 'subscribed');
      sub.subscribe();
      assert.deepEqual(decoded((await subscribed).data), { from: 'named' });
      assert.equal(callsFor(named, 'subscribe', 'named:x').length, 1);
      assert.equal(callsFor(backend, 'subscribe', 'named:x').length, 0);
    });

    test(`subscribe_stream proxy - an endpoint without the GRPC stream methods: subscribe 100, publish without a stream 108 (${kind})`, async () => {
      const raw = await rawConnected('frank');
      raw.sendJson({ subscribe: { channel: 'stream:x' }, id: 2 });
      assert.deepEqual(await raw.next(), { id: 2, error: { code: 100, message: 'internal server error', temporary: true } });
      raw.sendJson({ publish: { channel: 'stream:x', data: { a: 1 } }, id: 3 });
      assert.deepEqual(await raw.next(), { id: 3, error: { code: 108, message: 'not available' } });
      raw.close();
    });

    // ---- sub_refresh ------------------------------------------------------------------------

    test(`sub_refresh proxy - the server refreshes the subscription after its expiry: new expire_at and info, no expires for the client (${kind})`, async () => {
      const raw = await rawConnected('gina');
      raw.sendJson({ subscribe: { channel: 'exp:keep' }, id: 2 });
      const reply = (await raw.next())['subscribe'] as Json;
      assert.equal(reply['expires'], undefined, 'the server refreshes this one');
      await waitFor(() => callsFor(backend, 'sub_refresh', 'exp:keep').length > 0, 4000, 20, 'a sub_refresh call');
      const call = callsFor(backend, 'sub_refresh', 'exp:keep')[0]!;
      assert.equal(call.body['user'], 'gina');
      assert.equal(call.body['transport'], 'websocket');
      await sleep(1300);
      assert.equal(raw.isClosed, false);
      assert.equal(callsFor(backend, 'sub_refresh', 'exp:keep').length, 1, 'prolonged by a minute');
      // Still subscribed, now with the refreshed channel info.
      await api(node, 'publish', { channel: 'exp:keep', data: { after: 'refresh' } });
      assert.deepEqual(await raw.next(), { push: { channel: 'exp:keep', pub: { data: { after: 'refresh' } } } });
      raw.close();
    });

    test(`sub_refresh proxy - expired → unsubscribe push 2501, and the SDK subscribes again through the subscribe proxy (${kind})`, async () => {
      const raw = await rawConnected('hank');
      raw.sendJson({ subscribe: { channel: 'exp:end' }, id: 2 });
      await raw.next();
      assert.deepEqual(await raw.next(4000), { push: { channel: 'exp:end', unsubscribe: { code: 2501, reason: 'subscription expired' } } });
      raw.close();

      const before = callsFor(backend, 'subscribe', 'exp:end').length;
      const sub = c.newSubscription('exp:end', { minResubscribeDelay: 50, maxResubscribeDelay: 100 });
      let subscribedTimes = 0;
      sub.on('subscribed', () => subscribedTimes++);
      sub.subscribe();
      await waitFor(() => subscribedTimes >= 2, 6000, 20, 'a second subscribe after the expiry');
      assert.ok(callsFor(backend, 'subscribe', 'exp:end').length >= before + 2);
      sub.unsubscribe();
    });

    test(`sub_refresh proxy - a failed call keeps the subscription and is retried later (${kind})`, async () => {
      node.edge!.context.settings.proxyRetryDelayMs = 300;
      const raw = await rawConnected('ivan');
      raw.sendJson({ subscribe: { channel: 'exp:flaky' }, id: 2 });
      await raw.next();
      await waitFor(() => callsFor(backend, 'sub_refresh', 'exp:flaky').length >= 2, 6000, 20, 'a retried sub_refresh call');
      await api(node, 'publish', { channel: 'exp:flaky', data: { still: 'here' } });
      assert.deepEqual(await raw.next(), { push: { channel: 'exp:flaky', pub: { data: { still: 'here' } } } });
      raw.close();
    });

    // ---- publish ----------------------------------------------------------------------------

    test(`publish proxy - the backend sees channel and data and may replace the data (${kind}, ${sdkProtocol} SDK)`, async () => {
      const sub = c.newSubscription('pubchat');
      await new Promise<void>((resolve) => {
        sub.once('subscribed', () => resolve());
        sub.subscribe();
      });
      backend.handlers['publish'] = (call) => (call.body['channel'] === 'pubchat' ? ok({ data: { ...(call.body['data'] as Json), moderated: true } }) : publishAnswer(call));
      const got = waitForEvent<{ data: unknown; info?: { user: string } }>(sub, 'publication');
      await c.publish('pubchat', payload(sdkProtocol, { text: 'hi' }));
      const pub = await got;
      assert.deepEqual(decoded(pub.data), { text: 'hi', moderated: true });
      assert.equal(pub.info?.user, 'alice', 'published with the client info');
      const call = callsFor(backend, 'publish', 'pubchat')[0]!;
      assert.deepEqual(call.body['data'], { text: 'hi' });
      assert.equal(call.body['user'], 'alice');
      assert.equal(call.body['client'], clientId);
      assert.equal(call.headers['cookie'], 'sid=alice');
    });

    test(`publish proxy - skip_history keeps the publication out of history; tags from the result go with it (${kind})`, async () => {
      const raw = await rawConnected('judy');
      raw.sendJson({ subscribe: { channel: 'tagged' }, id: 2 });
      await raw.next();
      raw.sendJson({ publish: { channel: 'skip', data: { a: 1 } }, id: 3 });
      assert.deepEqual(await raw.next(), { id: 3, publish: {} });
      raw.sendJson({ publish: { channel: 'kept', data: { a: 2 } }, id: 4 });
      assert.deepEqual(await raw.next(), { id: 4, publish: {} });
      const skipped = (await api(node, 'history', { channel: 'skip', limit: 10 }))['result'] as Json;
      const kept = (await api(node, 'history', { channel: 'kept', limit: 10 }))['result'] as Json;
      assert.equal(((skipped['publications'] as Json[] | undefined) ?? []).length, 0);
      assert.equal((kept['publications'] as Json[]).length, 1);
      raw.sendJson({ publish: { channel: 'tagged', data: { t: 1 } }, id: 5 });
      const items = [await raw.next(), await raw.next()];
      const push = items.find((m) => m['push'])!['push'] as Json;
      assert.deepEqual((push['pub'] as Json)['tags'], { k: 'v' });
      raw.close();
    });

    test(`publish proxy - custom error and disconnect reach the client; a failed call → 100 (${kind})`, async () => {
      await assert.rejects(c.publish('denied-pub', payload(sdkProtocol, { x: 1 })), (e: { code: number; message: string }) => e.code === 1403 && e.message === 'no publishing here');
      await assert.rejects(c.publish('flaky-pub', payload(sdkProtocol, { x: 1 })), (e: { code: number }) => e.code === 100);
      const raw = await rawConnected('kim');
      raw.sendJson({ publish: { channel: 'kick-pub', data: { x: 1 } }, id: 2 });
      assert.deepEqual(await raw.closed, { code: 4001, reason: 'spam' });
    });

    test(`publish proxy - per-namespace named proxy (proxies[] + publish_proxy_name) (${kind})`, async () => {
      await c.publish('named:x', payload(sdkProtocol, { n: 1 }));
      assert.equal(callsFor(named, 'publish', 'named:x').length, 1);
      assert.equal(callsFor(backend, 'publish', 'named:x').length, 0);
    });
  });
}
