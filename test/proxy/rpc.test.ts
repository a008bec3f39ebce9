/**
 * RPC proxy (seed 003 "Client RPC proxy", "Per-namespace RPC proxies", "Include connection meta")
 * over HTTP and GRPC with the `centrifuge` SDK: rpc.without_namespace and rpc.namespaces with
 * proxy_name, the `:` boundary, the built-in rpc.ping, custom errors and disconnects, failures.
 * The connection is made through the connect proxy, so the connection meta of its result and the
 * headers of the connection (upgrade Cookie, emulated Authorization) show up in later RPC calls.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { waitForEvent } from '@gyre/testing';
import type { Centrifuge } from 'centrifuge';
import { Clients, KINDS, RawWs, decoded, ok, payload, proxyOf, startBackend, startNode, websocketWithHeaders, type Answer, type Backend, type SeenCall } from './helpers.js';

for (const kind of KINDS) {
  const sdkProtocol = kind === 'http' ? 'json' : 'protobuf';
  describe(`rpc proxy over ${kind}`, { timeout: 60_000 }, () => {
    let node: InProcessGyre;
    let backend: Backend;
    let named: Backend;
    let c: Centrifuge;
    let clientId = '';
    const clients = new Clients(() => node.wsUrl);

    function rpcAnswer(call: SeenCall): Answer {
      switch (call.body['method']) {
        case 'getCurrentPrice':
          return ok({ data: { answer: '2019', echo: call.body['data'] } });
        case 'fail':
          return { body: { error: { code: 1500, message: 'rpc failed' } } };
        case 'kick':
          return { body: { disconnect: { code: 4002, reason: 'bye' } } };
        case 'slow':
          return { ...ok({ data: { late: true } }), delayMs: 1500 };
        case 'down':
          return kind === 'http' ? { status: 503 } : { grpcCode: 14 };
        default:
          return ok();
      }
    }

    before(async () => {
      backend = await startBackend(kind);
      named = await startBackend(kind);
      backend.handlers['connect'] = () => ok({ user: 'rpc-user', meta: { tenant: 't9' } });
      backend.handlers['rpc'] = rpcAnswer;
      named.handlers['rpc'] = (call) => ok({ data: { from: 'named', method: call.body['method'] } });
      node = await startNode({
        client: { proxy: { connect: proxyOf(backend, 'connect', { enabled: true }) } },
        proxies: [
          {
            name: 'rpc-named',
            endpoint: named.endpoint('rpc'),
            timeout: '1s',
            // Backend credentials: per-RPC credentials for GRPC, a static header for HTTP.
            ...(kind === 'grpc' ? { grpc: { credentials_key: 'x-api-key', credentials_value: 'secret' } } : { http: { static_headers: { 'X-Api-Key': 'secret' } } }),
          },
        ],
        rpc: {
          proxy: proxyOf(backend, 'rpc', { timeout: '400ms', include_connection_meta: true, http_headers: ['Cookie', 'Authorization'] }),
          without_namespace: { proxy_enabled: true },
          namespaces: [
            { name: 'ns1', proxy_enabled: true, proxy_name: 'rpc-named' },
            { name: 'off', proxy_enabled: false },
          ],
          ping: { enabled: true, method: 'ping' },
        },
      });
      c = clients.make({ protocol: sdkProtocol, websocket: websocketWithHeaders({ Cookie: 'sid=rpc' }), headers: { Authorization: 'Bearer rpc' } });
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

    test(`rpc proxy - method and data go to the backend, the result data comes back; meta and headers of the connection come along (${kind}, ${sdkProtocol} SDK)`, async () => {
      const res = await c.rpc('getCurrentPrice', payload(sdkProtocol, { params: { object_id: 12 } }));
      assert.deepEqual(decoded(res.data), { answer: '2019', echo: { params: { object_id: 12 } } });
      const call = backend.callsOf('rpc').find((x) => x.body['method'] === 'getCurrentPrice')!;
      assert.equal(call.body['client'], clientId);
      assert.equal(call.body['user'], 'rpc-user');
      assert.equal(call.body['transport'], 'websocket');
      assert.equal(call.body['protocol'], sdkProtocol);
      assert.equal(call.body['encoding'], 'json');
      assert.deepEqual(call.body['meta'], { tenant: 't9' }, 'meta of the connect result (include_connection_meta)');
      assert.equal(call.headers['cookie'], 'sid=rpc', 'the upgrade request Cookie');
      assert.equal(call.headers['authorization'], 'Bearer rpc', 'emulated headers sent at connect');
    });

    test(`rpc proxy - rpc namespaces route by ':' to their named proxy with its own options (no meta without include_connection_meta, ${kind === 'grpc' ? 'grpc.credentials_key' : 'http.static_headers'}) (${kind})`, async () => {
      const res = await c.rpc('ns1:hello', payload(sdkProtocol, { a: 1 }));
      assert.deepEqual(decoded(res.data), { from: 'named', method: 'ns1:hello' });
      const call = named.callsOf('rpc').find((x) => x.body['method'] === 'ns1:hello')!;
      assert.equal(call.body['meta'], undefined);
      assert.equal(call.headers['x-api-key'], 'secret');
      assert.equal(call.headers['cookie'], undefined, 'this proxy lists no http_headers');
      assert.equal(backend.callsOf('rpc').filter((x) => x.body['method'] === 'ns1:hello').length, 0);
    });

    test(`rpc proxy - unknown rpc namespace → 104, a namespace with its proxy off → 108, rpc.ping stays built-in (${kind})`, async () => {
      const before = backend.calls.length + named.calls.length;
      await assert.rejects(c.rpc('nope:x', payload(sdkProtocol, {})), (e: { code: number }) => e.code === 104);
      await assert.rejects(c.rpc('off:x', payload(sdkProtocol, {})), (e: { code: number }) => e.code === 108);
      const pong = await c.rpc('ping', payload(sdkProtocol, {}));
      const empty = pong.data as Uint8Array | undefined;
      assert.ok(empty === undefined || empty.length === 0, 'rpc.ping answers an empty result');
      assert.equal(backend.calls.length + named.calls.length, before, 'none of these reached a backend');
    });

    test(`rpc proxy - an empty result is an empty reply (${kind})`, async () => {
      const raw = await RawWs.open(node.wsUrl);
      raw.sendJson({ connect: {}, id: 1 });
      await raw.next();
      raw.sendJson({ rpc: { method: 'empty', data: {} }, id: 2 });
      assert.deepEqual(await raw.next(), { id: 2, rpc: {} });
      raw.close();
    });

    test(`rpc proxy - a custom error reaches the caller; a failed or timed-out call → 100 (${kind})`, async () => {
      await assert.rejects(c.rpc('fail', payload(sdkProtocol, {})), (e: { code: number; message: string }) => e.code === 1500 && e.message === 'rpc failed');
      const started = Date.now();
      await assert.rejects(c.rpc('slow', payload(sdkProtocol, {})), (e: { code: number }) => e.code === 100);
      assert.ok(Date.now() - started < 1300, 'answered at the 400 ms proxy timeout, not when the backend did');
      await assert.rejects(c.rpc('down', payload(sdkProtocol, {})), (e: { code: number }) => e.code === 100);
      assert.equal(c.state, 'connected');
    });

    test(`rpc proxy - a custom disconnect closes the connection (${kind})`, async () => {
      const raw = await RawWs.open(node.wsUrl);
      raw.sendJson({ connect: {}, id: 1 });
      await raw.next();
      raw.sendJson({ rpc: { method: 'kick', data: {} }, id: 2 });
      assert.deepEqual(await raw.closed, { code: 4002, reason: 'bye' });
    });
  });
}
