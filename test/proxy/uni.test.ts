/**
 * Connect proxy for unidirectional clients (seed 003: "available for both bidirectional and
 * unidirectional transports"; "Unexpected error handling and code transforms"; the header rules
 * table), with raw clients: `ws` for uni_websocket, fetch for uni_sse and uni_http_stream, grpc-js
 * for uni_grpc. Failures become disconnects (3004 by default,
 * client.connect_code_to_unidirectional_disconnect for mapped error codes) or, on uni_sse /
 * uni_http_stream, HTTP statuses through connect_code_to_http_response.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { freePort } from '@gyre/testing';
import { closeFetchPool, KINDS, UniWs, api, ok, proxyOf, startBackend, startNode, uniGrpcPushes, type Answer, type Backend, type Json, type SeenCall } from './helpers.js';

after(closeFetchPool);

function answer(call: SeenCall): Answer {
  switch (call.body['name']) {
    case 'uni':
      return ok({ user: 'uni-user', channels: ['news'], data: { hi: 1 } });
    case 'cookie-check':
      return call.headers['cookie'] === 'sid=uni' ? ok({ user: 'cookie-user' }) : { body: { disconnect: { code: 4501, reason: 'no cookie' } } };
    case 'md-check':
      return call.headers['x-token'] === 'abc' ? ok({ user: 'grpc-user' }) : { body: { disconnect: { code: 4501, reason: 'no token' } } };
    case 'error-1403':
      return { body: { error: { code: 1403, message: 'forbidden' } } };
    case 'error-1404':
      return { body: { error: { code: 1404, message: 'not found' } } };
    case 'error-1500':
      return { body: { error: { code: 1500, message: 'plain' } } };
    case 'disconnect':
      return { body: { disconnect: { code: 4401, reason: 'who' } } };
    case 'slow':
      return { ...ok({ user: 'slow' }), delayMs: 1200 };
    default:
      return ok({ user: 'anyone' });
  }
}

const uniWsUrl = (node: InProcessGyre): string => `ws://127.0.0.1:${node.port}/connection/uni_websocket`;
const cfConnect = (connect: Json): string => `cf_connect=${encodeURIComponent(JSON.stringify(connect))}`;

for (const kind of KINDS) {
  describe(`connect proxy for unidirectional clients, ${kind} backend`, { timeout: 60_000 }, () => {
    let node: InProcessGyre;
    let backend: Backend;

    before(async () => {
      backend = await startBackend(kind);
      backend.handlers['connect'] = answer;
      node = await startNode(async () => ({
        client: {
          proxy: { connect: proxyOf(backend, 'connect', { enabled: true, timeout: '400ms', http_headers: ['Cookie'], grpc_metadata: ['x-token'] }) },
          connect_code_to_unidirectional_disconnect: { enabled: true, transforms: [{ code: 1403, to: { code: 4403, reason: 'forbidden' } }] },
        },
        uni_websocket: { enabled: true },
        uni_http_stream: { enabled: true },
        uni_grpc: { enabled: true, port: await freePort() },
        uni_sse: {
          enabled: true,
          connect_code_to_http_response: {
            enabled: true,
            transforms: [
              { code: 1404, to: { status_code: 404 } },
              { code: 4401, to: { status_code: 401, body: 'who are you' } },
            ],
          },
        },
      }));
    });
    after(async () => {
      await node?.shutdown();
      await backend?.close();
    });

    test(`connect proxy - uni_websocket connects through the proxy: requested subs go as ConnectRequest.channels, the result's channels are subscribed (${kind})`, async () => {
      const c = await UniWs.open(uniWsUrl(node), { name: 'uni', subs: { news: {}, sports: {} } });
      const first = await c.next();
      const connect = first['connect'] as Json;
      assert.ok(connect, `connect push first, got ${JSON.stringify(first)}`);
      assert.deepEqual(connect['data'], { hi: 1 });
      assert.deepEqual(Object.keys(connect['subs'] as Json), ['news'], 'only what the backend allowed');
      const call = backend.callsOf('connect').find((x) => x.body['client'] === connect['client'])!;
      assert.equal(call.body['transport'], 'uni_websocket');
      assert.equal(call.body['protocol'], 'json');
      assert.deepEqual([...(call.body['channels'] as string[])].sort(), ['news', 'sports']);
      await api(node, 'publish', { channel: 'news', data: { n: 1 } });
      const pub = await c.next();
      assert.deepEqual(pub, { channel: 'news', pub: { data: { n: 1 } } });
      c.close();
    });

    test(`connect proxy - a backend that fails (timeout) disconnects a unidirectional client with 3004 (${kind})`, async () => {
      const c = await UniWs.open(uniWsUrl(node), { name: 'slow' });
      assert.deepEqual(await c.next(), { disconnect: { code: 3004, reason: 'internal server error' } });
      assert.deepEqual(await c.closed, { code: 3004, reason: 'internal server error' });
    });

    test(`connect proxy - custom errors map through connect_code_to_unidirectional_disconnect (unmapped → 3004), custom disconnects pass as they are (${kind})`, async () => {
      const mapped = await UniWs.open(uniWsUrl(node), { name: 'error-1403' });
      assert.deepEqual(await mapped.closed, { code: 4403, reason: 'forbidden' });
      const unmapped = await UniWs.open(uniWsUrl(node), { name: 'error-1500' });
      assert.equal((await unmapped.closed).code, 3004);
      const custom = await UniWs.open(uniWsUrl(node), { name: 'disconnect' });
      assert.deepEqual(await custom.closed, { code: 4401, reason: 'who' });
    });

    test(`connect proxy - uni_sse connect_code_to_http_response answers a proxy error or disconnect with an HTTP status (${kind})`, async () => {
      const base = `${node.httpUrl}/connection/uni_sse`;
      const notFound = await fetch(`${base}?${cfConnect({ name: 'error-1404' })}`);
      assert.equal(notFound.status, 404);
      assert.equal(await notFound.text(), 'not found');
      const who = await fetch(`${base}?${cfConnect({ name: 'disconnect' })}`);
      assert.equal(who.status, 401);
      assert.equal(await who.text(), 'who are you');
    });

    test(`connect proxy - uni_http_stream with only a Cookie header: the backend gets the cookie (${kind})`, async () => {
      const ac = new AbortController();
      const res = await fetch(`${node.httpUrl}/connection/uni_http_stream`, {
        method: 'POST',
        headers: { Cookie: 'sid=uni', 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'cookie-check' }),
        signal: ac.signal,
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const { value } = await reader.read();
      const first = JSON.parse(new TextDecoder().decode(value).split('\n')[0]!) as Json;
      assert.ok(first['connect'], `connect push, got ${JSON.stringify(first)}`);
      const call = backend.callsOf('connect').find((x) => x.body['client'] === (first['connect'] as Json)['client'])!;
      assert.equal(call.body['transport'], 'uni_http_stream');
      assert.equal(call.headers['cookie'], 'sid=uni');
      ac.abort();
    });

    test(`connect proxy - uni_grpc: GRPC metadata listed in grpc_metadata reaches the backend as ${kind === 'http' ? 'HTTP headers' : 'GRPC metadata'} (${kind})`, async () => {
      const pushes = await uniGrpcPushes(node.edge!.uniGrpcPort!, { name: 'md-check' }, { 'x-token': 'abc', 'x-other': 'no' }, 1);
      const connect = pushes[0]?.connect;
      assert.ok(connect, 'connect push');
      const call = backend.callsOf('connect').find((x) => x.body['client'] === connect.client)!;
      assert.equal(call.body['transport'], 'uni_grpc');
      assert.equal(call.body['protocol'], 'protobuf');
      assert.equal(call.headers['x-token'], 'abc');
      assert.equal(call.headers['x-other'], undefined);
    });
  });
}
