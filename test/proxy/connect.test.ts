/**
 * Connect proxy (seed 003 "Connect proxy", server.md §5.3, client-protocol.md §5.3) over HTTP and
 * GRPC backends, with the `centrifuge` SDK (JSON against the HTTP backend, protobuf against the
 * GRPC one) and raw WebSockets for exact replies and close frames.
 *
 * The backend answers by the client's `name` (ConnectRequest.name), so one node serves every case.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { collect, waitFor, waitForEvent } from '@gyre/testing';
import { Clients, KINDS, RawWs, decoded, ok, payload, proxyOf, startBackend, startNode, token, websocketWithHeaders, type Answer, type Backend, type Json, type SeenCall } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const nowSec = (): number => Math.floor(Date.now() / 1000);

function answer(call: SeenCall): Answer {
  const name = call.body['name'] as string;
  switch (name) {
    case 'full':
      return ok({
        user: '56',
        info: { role: 'admin' },
        data: { welcome: true },
        channels: ['srv:a'],
        subs: { 'srv:b': { info: { seat: 7 }, data: { hello: 'b' }, override: { presence: { value: false } } } },
        meta: { tenant: 't1' },
      });
    case 'cookie':
      return call.headers['cookie'] === 'sid=abc' ? ok({ user: 'cookie-user' }) : { body: { disconnect: { code: 4501, reason: 'unauthorized' } } };
    case 'emulated':
      return call.headers['authorization'] === 'Bearer t1' ? ok({ user: 'emulated-user' }) : { body: { disconnect: { code: 4501, reason: 'unauthorized' } } };
    case 'error':
      return { body: { error: { code: 1000, message: 'custom error' } } };
    case 'temporary-error':
      return { body: { error: { code: 1001, message: 'try again', temporary: true } } };
    case 'disconnect':
      return { body: { disconnect: { code: 4501, reason: 'unauthorized' } } };
    case 'long-reason':
      return { body: { disconnect: { code: 4000, reason: 'r'.repeat(60) } } };
    case 'bad-code':
      return { body: { disconnect: { code: 1000, reason: 'not a close code for apps' } } };
    case 'result-and-error':
      return { body: { result: { user: 'x' }, error: { code: 1002, message: 'error wins' } } };
    case 'all-three':
      return { body: { result: { user: 'x' }, error: { code: 1002, message: 'error' }, disconnect: { code: 4444, reason: 'disconnect wins' } } };
    case 'no-result':
      return { body: {} };
    case 'expired':
      return ok({ user: 'late', expire_at: nowSec() - 10 });
    case 'expiring':
      return ok({ user: 'soon', expire_at: nowSec() + 600 });
    case 'unknown-channel':
      return ok({ user: 'u', channels: ['nope:x'] });
    case 'slow':
      return { ...ok({ user: 'slow' }), delayMs: 1500 };
    case 'status-404':
      return { status: 404, body: {} };
    case 'status-403':
      return { status: 403, body: {} };
    case 'status-500':
      return { status: 500, body: {} };
    case 'not-json':
      return { rawBody: 'oops, not JSON' };
    case 'wrong-types':
      return { rawBody: '{"result":{"user":5}}' };
    case 'huge':
      return { rawBody: `{"result":{"user":"${'x'.repeat(11 * 1024 * 1024)}"}}` };
    case 'grpc-unavailable':
      return { grpcCode: 14 };
    default:
      return ok({ user: `u-${name}` });
  }
}

for (const kind of KINDS) {
  const sdkProtocol = kind === 'http' ? 'json' : 'protobuf';
  describe(`connect proxy over ${kind}`, { timeout: 60_000 }, () => {
    let node: InProcessGyre;
    let backend: Backend;
    const clients = new Clients(() => node.wsUrl);

    before(async () => {
      backend = await startBackend(kind);
      backend.handlers['connect'] = answer;
      node = await startNode({
        client: {
          proxy: {
            connect: proxyOf(backend, 'connect', {
              enabled: true,
              timeout: '500ms',
              http_headers: ['Cookie', 'X-Custom', 'Authorization'],
              http: {
                static_headers: { 'X-Static': 'static', 'X-Custom': 'from-config' },
                status_to_code_transforms: [
                  { status_code: 404, to_error: { code: 1404, message: 'not found', temporary: false } },
                  { status_code: 403, to_disconnect: { code: 4403, reason: 'forbidden' } },
                ],
              },
            }),
          },
        },
        channel: { namespaces: [{ name: 'srv', presence: true, allow_presence_for_subscriber: true }] },
      });
    });
    after(async () => {
      clients.closeAll();
      await node?.shutdown();
      await backend?.close();
    });

    async function rawConnect(connect: Json, headers?: Record<string, string>): Promise<{ raw: RawWs; reply: Json }> {
      const raw = await RawWs.open(node.wsUrl, headers ? { headers } : {});
      raw.sendJson({ connect, id: 1 });
      return { raw, reply: await raw.next() };
    }

    test(`connect proxy - a connect without a token asks the backend: request fields, user, info, data, channels, subs (${kind}, ${sdkProtocol} SDK)`, async () => {
      const c = clients.make({ protocol: sdkProtocol, name: 'full', version: '1.2.3', data: payload(sdkProtocol, { from: 'client' }) });
      const subscribed = collect<{ channel: string; data?: unknown }>(c, 'subscribed', 2);
      const connected = waitForEvent<{ client: string; transport: string; data?: unknown }>(c, 'connected');
      c.connect();
      const ctx = await connected;
      assert.deepEqual(decoded(ctx.data), { welcome: true }, 'ConnectResult.data goes to the client');
      const call = backend.callsOf('connect').find((x) => x.body['client'] === ctx.client);
      assert.ok(call, 'the backend got a ConnectRequest for this client');
      assert.match(call.body['client'] as string, UUID);
      assert.equal(call.body['transport'], 'websocket');
      assert.equal(call.body['protocol'], sdkProtocol);
      assert.equal(call.body['encoding'], 'json');
      assert.equal(call.body['name'], 'full');
      assert.equal(call.body['version'], '1.2.3');
      assert.deepEqual(call.body['data'], { from: 'client' });
      assert.equal(call.body['token'], undefined, 'no token field in ConnectRequest');

      const subs = await subscribed;
      const byChannel = new Map(subs.map((s) => [s.channel, s]));
      assert.deepEqual([...byChannel.keys()].sort(), ['srv:a', 'srv:b'], 'result channels and subs are server-side subscriptions');
      assert.deepEqual(decoded(byChannel.get('srv:b')!.data), { hello: 'b' }, 'subs[ch].data reaches the subscription');

      // user and info: the presence of the channel from `channels` (namespace presence on).
      const pa = await c.presence('srv:a');
      const me = pa.clients[ctx.client] as { user: string; connInfo?: unknown } | undefined;
      assert.ok(me, 'in the presence of srv:a');
      assert.equal(me.user, '56');
      assert.deepEqual(decoded(me.connInfo), { role: 'admin' });
      // override presence=false in subs: not in the presence of srv:b.
      const pb = await c.presence('srv:b');
      assert.equal(pb.clients[ctx.client], undefined, 'override presence false keeps it out of presence');
      c.disconnect();
    });

    test(`connect proxy - only a Cookie header on the upgrade reaches the backend; http_headers allow-list, static headers under client headers (${kind})`, async () => {
      const c = clients.make({
        protocol: sdkProtocol,
        name: 'cookie',
        websocket: websocketWithHeaders({ Cookie: 'sid=abc', 'X-Custom': 'from-client', 'X-Other': 'not listed' }),
      });
      const connected = waitForEvent<{ client: string }>(c, 'connected');
      c.connect();
      const ctx = await connected;
      const call = backend.callsOf('connect').find((x) => x.body['client'] === ctx.client)!;
      assert.equal(call.headers['cookie'], 'sid=abc');
      assert.equal(call.headers['x-custom'], 'from-client', 'a client header overrides the static one');
      assert.equal(call.headers['x-other'], undefined, 'headers not in http_headers stay behind');
      if (kind === 'http') {
        assert.equal(call.headers['x-static'], 'static', 'http.static_headers are added');
        assert.equal(call.headers['content-type'], 'application/json');
      } else {
        assert.equal(call.headers['x-static'], undefined, 'static HTTP headers are not GRPC metadata');
      }
      c.disconnect();
    });

    test(`connect proxy - headers emulation: the SDK headers option reaches the backend as ${kind === 'http' ? 'HTTP headers' : 'GRPC metadata'}`, async () => {
      const c = clients.make({ protocol: sdkProtocol, name: 'emulated', headers: { Authorization: 'Bearer t1', 'X-Unlisted': 'no' } });
      const connected = waitForEvent<{ client: string }>(c, 'connected');
      c.connect();
      const ctx = await connected;
      const call = backend.callsOf('connect').find((x) => x.body['client'] === ctx.client)!;
      assert.equal(call.headers['authorization'], 'Bearer t1');
      assert.equal(call.headers['x-unlisted'], undefined);
      c.disconnect();
    });

    test(`connect proxy - a custom error reaches the client as the connect reply; the SDK stops on a permanent one (${kind})`, async () => {
      const { raw, reply } = await rawConnect({ name: 'error' });
      assert.deepEqual(reply, { id: 1, error: { code: 1000, message: 'custom error' } });
      raw.close();
      const { raw: raw2, reply: reply2 } = await rawConnect({ name: 'temporary-error' });
      assert.deepEqual(reply2, { id: 1, error: { code: 1001, message: 'try again', temporary: true } });
      raw2.close();

      const c = clients.make({ protocol: sdkProtocol, name: 'error' });
      const disconnected = waitForEvent<{ code: number; reason: string }>(c, 'disconnected');
      c.connect();
      assert.deepEqual(await disconnected, { code: 1000, reason: 'custom error' });
    });

    test(`connect proxy - a custom disconnect closes with its code and reason; reasons are cut to 32 bytes; codes outside 3001..4999 become 3004 (${kind})`, async () => {
      const { raw } = await RawWs.open(node.wsUrl).then(async (r) => {
        r.sendJson({ connect: { name: 'disconnect' }, id: 1 });
        return { raw: r };
      });
      assert.deepEqual(await raw.closed, { code: 4501, reason: 'unauthorized' });

      const long = await RawWs.open(node.wsUrl);
      long.sendJson({ connect: { name: 'long-reason' }, id: 1 });
      assert.deepEqual(await long.closed, { code: 4000, reason: 'r'.repeat(32) });

      const bad = await RawWs.open(node.wsUrl);
      bad.sendJson({ connect: { name: 'bad-code' }, id: 1 });
      assert.equal((await bad.closed).code, 3004);

      // The SDK treats 4500..4999 as terminal: disconnected, no reconnect.
      const c = clients.make({ protocol: sdkProtocol, name: 'disconnect' });
      const disconnected = waitForEvent<{ code: number; reason: string }>(c, 'disconnected');
      c.connect();
      assert.deepEqual(await disconnected, { code: 4501, reason: 'unauthorized' });
      assert.equal(c.state, 'disconnected');
    });

    test(`connect proxy - disconnect wins over error, error wins over result (${kind})`, async () => {
      const { raw, reply } = await rawConnect({ name: 'result-and-error' });
      assert.deepEqual(reply, { id: 1, error: { code: 1002, message: 'error wins' } });
      raw.close();
      const all = await RawWs.open(node.wsUrl);
      all.sendJson({ connect: { name: 'all-three' }, id: 1 });
      assert.deepEqual(await all.closed, { code: 4444, reason: 'disconnect wins' });
    });

    test(`connect proxy - no result means no credentials: 3501 without anonymous access (${kind})`, async () => {
      const raw = await RawWs.open(node.wsUrl);
      raw.sendJson({ connect: { name: 'no-result' }, id: 1 });
      assert.equal((await raw.closed).code, 3501);
    });

    test(`connect proxy - expire_at in the past → 110; in the future → expires and ttl for the client (no refresh proxy) (${kind})`, async () => {
      const { raw, reply } = await rawConnect({ name: 'expired' });
      assert.deepEqual(reply, { id: 1, error: { code: 110, message: 'expired' } });
      raw.close();
      const { raw: r2, reply: ok2 } = await rawConnect({ name: 'expiring' });
      const res = ok2['connect'] as Json;
      assert.equal(res['expires'], true);
      assert.ok((res['ttl'] as number) > 590 && (res['ttl'] as number) <= 600);
      r2.close();
    });

    test(`connect proxy - a channel of an unknown namespace in the result → 102 (${kind})`, async () => {
      const { raw, reply } = await rawConnect({ name: 'unknown-channel' });
      assert.deepEqual(reply, { id: 1, error: { code: 102, message: 'unknown channel' } });
      raw.close();
    });

    test(`connect proxy - a backend slower than the proxy timeout → 100 temporary, and the SDK retries (${kind})`, async () => {
      const started = Date.now();
      const { raw, reply } = await rawConnect({ name: 'slow' });
      assert.deepEqual(reply, { id: 1, error: { code: 100, message: 'internal server error', temporary: true } });
      assert.ok(Date.now() - started < 1400, 'answered at the proxy timeout, not when the backend finally answered');
      raw.close();

      let attempts = 0;
      const c = clients.make({ protocol: sdkProtocol, name: 'slow' });
      c.on('error', () => attempts++);
      c.connect();
      await waitFor(() => attempts >= 2, 5000, 20, 'two temporary connect errors');
      c.disconnect();
    });

    if (kind === 'http') {
      test('connect proxy - status_to_code_transforms: 404 → custom error, 403 → custom disconnect, other statuses → 100 (http)', async () => {
        const { raw, reply } = await rawConnect({ name: 'status-404' });
        assert.deepEqual(reply, { id: 1, error: { code: 1404, message: 'not found' } });
        raw.close();
        const r403 = await RawWs.open(node.wsUrl);
        r403.sendJson({ connect: { name: 'status-403' }, id: 1 });
        assert.deepEqual(await r403.closed, { code: 4403, reason: 'forbidden' });
        const { raw: r500, reply: reply500 } = await rawConnect({ name: 'status-500' });
        assert.deepEqual(reply500, { id: 1, error: { code: 100, message: 'internal server error', temporary: true } });
        r500.close();
      });

      test('connect proxy - answers that are not JSON, have wrong types or are huge (over 10 MiB) → 100, never a hung client (http)', async () => {
        for (const name of ['not-json', 'wrong-types', 'huge']) {
          const { raw, reply } = await rawConnect({ name });
          assert.deepEqual(reply, { id: 1, error: { code: 100, message: 'internal server error', temporary: true } }, name);
          raw.close();
        }
      });
    } else {
      test('connect proxy - a GRPC status error from the backend → 100 (grpc)', async () => {
        const { raw, reply } = await rawConnect({ name: 'grpc-unavailable' });
        assert.deepEqual(reply, { id: 1, error: { code: 100, message: 'internal server error', temporary: true } });
        raw.close();
      });
    }

    test(`connect proxy - a connect with a token never calls the backend (${kind})`, async () => {
      const before = backend.callsOf('connect').length;
      const c = clients.make({ protocol: sdkProtocol, token: token('with-token'), name: 'token' });
      const connected = waitForEvent(c, 'connected');
      c.connect();
      await connected;
      assert.equal(backend.callsOf('connect').length, before);
      c.disconnect();
    });
  });
}
