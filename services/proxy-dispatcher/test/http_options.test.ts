// Proxy object options and failure handling for HTTP backends, through the bus with callProxy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { callProxy, callProxyEvent, type ProxyEvent } from '@gyre/bus';
import { bus as busPb, proxy as pp } from '@gyre/protocol';
import { freePort } from '@gyre/testing';
import { dec, enc, json200, makeConfig, metricValue, startDispatcher, startHttpBackend, type Harness, type HttpBackend } from './helpers.js';

let backend: HttpBackend;
let h: Harness;
let deadPort: number;

before(async () => {
  backend = await startHttpBackend();
  deadPort = await freePort();
  const u = backend.url;
  h = await startDispatcher(
    makeConfig({
      client: {
        proxy: {
          connect: {
            enabled: true,
            endpoint: `${u}/connect?x=1`,
            timeout: '300ms',
            http_headers: ['Cookie', 'Authorization', 'X-Real-Ip', 'Connection'],
            emulated_headers: ['X-Emulated'],
            http: {
              static_headers: { 'X-Static': 'static', Authorization: 'static-auth', 'Content-Type': 'text/plain' },
              status_to_code_transforms: [
                { status_code: 404, to_error: { code: 404, message: 'not found', temporary: false } },
                { status_code: 403, to_disconnect: { code: 4903, reason: 'permission denied' } },
                { status_code: 429, to_error: { code: 429, message: 'too many requests', temporary: true } },
              ],
            },
          },
          refresh: {
            enabled: true,
            endpoint: `${u}/refresh`,
            http: { status_to_code_transforms: [{ status_code: 410, to_disconnect: { code: 4410, reason: 'gone' } }] },
          },
        },
      },
      channel: {
        proxy: {
          publish: { endpoint: `${u}/publish`, binary_encoding: true, include_connection_meta: true },
          subscribe: { endpoint: `http://127.0.0.1:${deadPort}/subscribe`, timeout: '500ms' },
        },
      },
      rpc: { proxy: { endpoint: `${u}/rpc`, binary_encoding: true } },
      proxies: [
        { name: 'rpc-slow', endpoint: `${u}/slow`, timeout: '200ms' },
        { name: 'rpc-named', endpoint: `${u}/named` },
      ],
    }),
    { maxResponseBytes: 64 * 1024 },
  );
});

after(async () => {
  await h?.stop();
  await backend?.close();
});

const base = { client: 'c1', transport: 'websocket', protocol: 'json' };

function connectBytes(): Uint8Array {
  return toBinary(pp.ConnectRequestSchema, create(pp.ConnectRequestSchema, base));
}

async function transportError(event: ProxyEvent, request: Uint8Array, proxy = 'default', timeoutMs = 2000) {
  const out = await callProxy(h.bus, h.prefix, event, { proxy, request, timeoutMs });
  assert.ok('transportError' in out, 'expected a transport error');
  return out.transportError;
}

test('http options - only allow-listed client headers are forwarded; they override static headers; Content-Type is forced', async () => {
  backend.handler = json200({ result: { user: 'u' } });
  const out = await callProxy(h.bus, h.prefix, 'connect', {
    request: connectBytes(),
    timeoutMs: 2000,
    headers: {
      cookie: 'session=abc',
      authorization: 'Bearer client',
      'x-real-ip': '10.0.0.1',
      'x-not-allowed': 'secret',
      'x-emulated': 'from-emulation',
      connection: 'close',
    },
  });
  assert.ok('response' in out);
  const seen = backend.requests.at(-1)!;
  assert.equal(seen.url, '/connect?x=1', 'path and query of the endpoint are kept');
  assert.equal(seen.headers.cookie, 'session=abc');
  assert.equal(seen.headers.authorization, 'Bearer client', 'client header overrides the static one');
  assert.equal(seen.headers['x-real-ip'], '10.0.0.1');
  assert.equal(seen.headers['x-static'], 'static');
  assert.equal(seen.headers['x-emulated'], 'from-emulation', 'emulated_headers are allowed too');
  assert.equal(seen.headers['x-not-allowed'], undefined, 'headers outside the allow-lists never reach the backend');
  assert.equal(seen.headers['content-type'], 'application/json', 'Content-Type forced even over a static header');
  assert.notEqual(seen.headers.connection, 'close', 'hop-by-hop headers are not forwarded');
});

test('http options - without client headers the static headers are sent as configured', async () => {
  backend.handler = json200({ result: { user: 'u' } });
  const out = await callProxy(h.bus, h.prefix, 'connect', { request: connectBytes(), timeoutMs: 2000 });
  assert.ok('response' in out);
  const seen = backend.requests.at(-1)!;
  assert.equal(seen.headers.authorization, 'static-auth');
  assert.equal(seen.headers['x-static'], 'static');
});

test('http options - binary_encoding sends data as b64data with encoding "binary" and decodes b64 result fields', async () => {
  backend.handler = json200({ result: { b64data: Buffer.from([0xff, 0x00, 0x10]).toString('base64') } });
  const out = await callProxyEvent(h.bus, h.prefix, 'publish', {
    request: { ...base, protocol: 'protobuf', user: 'u', channel: 'ch', data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]), meta: enc('{"m":1}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in out);
  assert.equal(
    backend.requests.at(-1)!.body,
    '{"client":"c1","transport":"websocket","protocol":"protobuf","encoding":"binary","user":"u","channel":"ch","b64data":"3q2+7w==","meta":{"m":1}}',
  );
  assert.deepEqual([...out.response.result!.data], [0xff, 0x00, 0x10]);
  assert.equal(out.response.result!.b64data, '');
});

test('http options - binary payloads that are not JSON fail without binary_encoding and pass with it', async () => {
  backend.handler = json200({ result: { data: { ok: true } } });
  const bin = new Uint8Array([0x00, 0x01, 0x02]);
  const rpcOk = await callProxyEvent(h.bus, h.prefix, 'rpc', { request: { ...base, method: 'm', data: bin }, timeoutMs: 2000 });
  assert.ok('response' in rpcOk, 'rpc proxy has binary_encoding');
  assert.match(backend.requests.at(-1)!.body, /"b64data":"AAEC"/);
  assert.equal(dec(rpcOk.response.result!.data), '{"ok":true}');

  const before = backend.requests.length;
  const err = await callProxyEvent(h.bus, h.prefix, 'rpc', { proxy: 'rpc-named', request: { ...base, method: 'm', data: bin }, timeoutMs: 2000 });
  assert.ok('transportError' in err);
  assert.match(err.transportError.message, /not valid JSON/);
  assert.equal(backend.requests.length, before, 'nothing was sent');
});

test('http options - status_to_code_transforms turn statuses into errors or disconnects; other statuses are transport errors with the status', async () => {
  const statusOf = new Map([['/connect?x=1', 404]]);
  backend.handler = (req, res) => {
    res.statusCode = statusOf.get(req.url) ?? 200;
    res.end('nope');
  };
  const e404 = await callProxyEvent(h.bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
  assert.ok('response' in e404);
  assert.deepEqual([e404.response.error?.code, e404.response.error?.message, e404.response.error?.temporary], [404, 'not found', false]);
  assert.equal(e404.response.result, undefined);

  statusOf.set('/connect?x=1', 429);
  const e429 = await callProxyEvent(h.bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
  assert.ok('response' in e429);
  assert.deepEqual([e429.response.error?.code, e429.response.error?.temporary], [429, true]);

  statusOf.set('/connect?x=1', 403);
  const d403 = await callProxyEvent(h.bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
  assert.ok('response' in d403);
  assert.deepEqual([d403.response.disconnect?.code, d403.response.disconnect?.reason], [4903, 'permission denied']);

  statusOf.set('/connect?x=1', 500);
  const t500 = await transportError('connect', connectBytes());
  assert.equal(t500.httpStatus, 500);
  assert.equal(t500.timeout, false);

  statusOf.set('/connect?x=1', 201);
  assert.equal((await transportError('connect', connectBytes())).httpStatus, 201, 'only 200 is success, as in Centrifugo');

  statusOf.set('/refresh', 410);
  const r410 = await callProxyEvent(h.bus, h.prefix, 'refresh', { request: { ...base, user: 'u' }, timeoutMs: 2000 });
  assert.ok('response' in r410);
  assert.equal(r410.response.disconnect?.code, 4410);
  assert.equal(r410.response.result, undefined, 'no result: the edge expires the connection, as Centrifugo does');
});

test('http options - a backend slower than the proxy timeout yields a timeout transport error in time', async () => {
  backend.handler = (_req, res) => {
    setTimeout(() => json200({ result: {} })(_req, res), 1500);
  };
  const started = Date.now();
  const err = await transportError('rpc', toBinary(pp.RPCRequestSchema, create(pp.RPCRequestSchema, { ...base, method: 'm' })), 'rpc-slow');
  const took = Date.now() - started;
  assert.equal(err.timeout, true);
  assert.ok(took >= 180 && took < 1000, `answered after the 200ms proxy timeout, not the backend's 1.5s (took ${took} ms)`);
});

test('http options - a body that stalls after the headers also times out', async () => {
  backend.handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"result":');
    setTimeout(() => res.end('{}}'), 1500);
  };
  const err = await transportError('connect', connectBytes());
  assert.equal(err.timeout, true);
});

test('http options - the edge deadline wins over a longer proxy timeout', async () => {
  backend.handler = (_req, res) => {
    setTimeout(() => json200({ result: {} })(_req, res), 1500);
  };
  const started = Date.now();
  const out = await callProxy(h.bus, h.prefix, 'rpc', {
    proxy: 'rpc-named',
    request: toBinary(pp.RPCRequestSchema, create(pp.RPCRequestSchema, { ...base, method: 'm' })),
    timeoutMs: 150,
  });
  assert.ok('transportError' in out);
  assert.equal(out.transportError.timeout, true);
  assert.ok(Date.now() - started < 1000);
});

test('http options - an unreachable endpoint is a transport error, not a hang', async () => {
  const err = await transportError('subscribe', toBinary(pp.SubscribeRequestSchema, create(pp.SubscribeRequestSchema, { ...base, channel: 'c' })));
  assert.equal(err.timeout, false);
  assert.match(err.message, /ECONNREFUSED|connect/i);
});

test('http options - non-JSON bodies, wrong types and trailing garbage are transport errors', async () => {
  const bodies = [
    'not json',
    '',
    '{"result":{"user":56}}',
    '{"result":{"expire_at":"123"}}',
    '{"result":{"expire_at":1.5}}',
    '{"result":{"channels":"news"}}',
    '{"result":[]}',
    '{"error":{"code":-1}}',
    '{"error":{"code":4294967296}}',
    '{"result":{}} x',
    '[1,2]',
    '"str"',
    '{"result":{"b64info":"***"}}',
    '{"result":{"subs":{"ch":{"b64data":"A"}}}}',
  ];
  for (const body of bodies) {
    backend.handler = json200(body);
    const out = await callProxy(h.bus, h.prefix, 'connect', { request: connectBytes(), timeoutMs: 2000 });
    assert.ok('transportError' in out, `body ${JSON.stringify(body)} must be rejected`);
    assert.equal(out.transportError.httpStatus, 0);
  }
});

test('http options - lenient Go decoding: unknown keys ignored, keys case-insensitive, null means unset, top-level null is an empty response', async () => {
  backend.handler = json200('{"Result":{"USER":"56","unknown":{"deep":[1,2,{"x":null}]},"expire_at":null,"info":null},"extra":true}');
  const out = await callProxyEvent(h.bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
  assert.ok('response' in out);
  assert.equal(out.response.result?.user, '56');
  assert.equal(out.response.result?.expireAt, 0n);
  assert.equal(dec(out.response.result!.info), 'null', 'raw fields keep JSON null as Go Raw does');

  backend.handler = json200('null');
  const empty = await callProxyEvent(h.bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
  assert.ok('response' in empty);
  assert.equal(empty.response.result, undefined);
});

test('http options - a response with both result and error is passed on with both (the edge checks disconnect, error, result)', async () => {
  backend.handler = json200('{"result":{"user":"1"},"error":{"code":1000,"message":"custom"},"disconnect":{"code":4500,"reason":"bye"}}');
  const out = await callProxyEvent(h.bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
  assert.ok('response' in out);
  assert.equal(out.response.result?.user, '1');
  assert.equal(out.response.error?.code, 1000);
  assert.equal(out.response.disconnect?.code, 4500);
});

test('http options - bodies over the size cap are refused, with or without Content-Length', async () => {
  const huge = `{"result":{"data":"${'x'.repeat(100 * 1024)}"}}`;
  backend.handler = json200(huge);
  const declared = await transportError('connect', connectBytes());
  assert.match(declared.message, /exceeds the limit/);

  backend.handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (let i = 0; i < 10; i++) res.write('x'.repeat(16 * 1024));
    res.end();
  };
  const chunked = await transportError('connect', connectBytes());
  assert.match(chunked.message, /exceeds the limit/);

  backend.handler = json200({ result: { user: 'after' } });
  const ok = await callProxyEvent(h.bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
  assert.ok('response' in ok, 'the dispatcher keeps working afterwards');
});

test('http options - a request whose deadline already passed is answered without calling the backend', async () => {
  backend.handler = json200({ result: {} });
  const before = backend.requests.length;
  const envelope = create(busPb.ProxyRequestSchema, {
    event: 'connect',
    request: connectBytes(),
    deadlineMs: BigInt(Date.now() - 10),
  });
  const replyBytes = await h.bus.request(`${h.prefix}.proxy.connect`, toBinary(busPb.ProxyRequestSchema, envelope), { timeoutMs: 2000 });
  const { fromBinary } = await import('@bufbuild/protobuf');
  const reply = fromBinary(busPb.ProxyReplySchema, replyBytes);
  assert.equal(reply.outcome.case, 'transportError');
  assert.equal(reply.outcome.value?.timeout, true);
  assert.equal(backend.requests.length, before, 'backend not called');
});

test('http options - sequential calls reuse one keep-alive connection', async () => {
  backend.handler = json200({ result: {} });
  const before = backend.sockets;
  for (let i = 0; i < 5; i++) {
    const out = await callProxy(h.bus, h.prefix, 'connect', { request: connectBytes(), timeoutMs: 2000 });
    assert.ok('response' in out);
  }
  assert.ok(backend.sockets - before <= 1, `opened ${backend.sockets - before} connections for 5 calls`);
});

test('http options - a named proxy is resolved from proxies[], an unknown name is a transport error', async () => {
  backend.handler = json200({ result: { data: { named: true } } });
  const out = await callProxyEvent(h.bus, h.prefix, 'rpc', { proxy: 'rpc-named', request: { ...base, method: 'x' }, timeoutMs: 2000 });
  assert.ok('response' in out);
  assert.equal(backend.requests.at(-1)!.url, '/named');
  const err = await transportError('rpc', toBinary(pp.RPCRequestSchema, create(pp.RPCRequestSchema, base)), 'nope');
  assert.match(err.message, /no rpc proxy named "nope"/);
});

test('http options - metrics count calls, errors and in-flight requests with bounded labels', async () => {
  backend.handler = json200({ result: {} });
  const labels = { protocol: 'http', type: 'connect', name: 'default' };
  const calls0 = await metricValue(h.metrics, 'centrifugo_proxy_duration_seconds_histogram', labels, '_count');
  const errors0 = await metricValue(h.metrics, 'centrifugo_proxy_errors', labels);
  await callProxy(h.bus, h.prefix, 'connect', { request: connectBytes(), timeoutMs: 2000 });
  backend.handler = json200('not json');
  await callProxy(h.bus, h.prefix, 'connect', { request: connectBytes(), timeoutMs: 2000 });
  assert.equal(await metricValue(h.metrics, 'centrifugo_proxy_duration_seconds_histogram', labels, '_count'), calls0 + 2);
  assert.equal(await metricValue(h.metrics, 'centrifugo_proxy_errors', labels), errors0 + 1);
  assert.equal(await metricValue(h.metrics, 'centrifugo_proxy_inflight_requests', labels), 0);

  // In flight while the backend holds the answer.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  backend.handler = async (req, res) => {
    await held;
    json200({ result: {} })(req, res);
  };
  const pending = callProxy(h.bus, h.prefix, 'connect', { request: connectBytes(), timeoutMs: 2000 });
  const deadline = Date.now() + 1000;
  while ((await metricValue(h.metrics, 'centrifugo_proxy_inflight_requests', labels)) !== 1 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(await metricValue(h.metrics, 'centrifugo_proxy_inflight_requests', labels), 1);
  release();
  assert.ok('response' in (await pending));
  assert.equal(await metricValue(h.metrics, 'centrifugo_proxy_inflight_requests', labels), 0);

  const named = await metricValue(h.metrics, 'centrifugo_proxy_errors', { protocol: 'http', type: 'rpc', name: 'nope' });
  assert.equal(named, 0, 'unknown proxy names never become label values');
});
