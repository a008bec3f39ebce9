// The service around the backends: start-up checks, the bus envelope, draining on stop, and the
// cluster shape (several dispatchers in one queue group over a real nats-server).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { callProxy, callProxyEvent, connectNatsBus, createBus, type Bus } from '@gyre/bus';
import { bus as busPb, proxy as pp } from '@gyre/protocol';
import { startNatsServer, type ServerHandle } from '@gyre/testing';
import { ProxyConfigError } from '../src/index.js';
import { json200, makeConfig, startDispatcher, startGrpcBackend, startHttpBackend, type GrpcBackend, type HttpBackend } from './helpers.js';

let http: HttpBackend;
before(async () => {
  http = await startHttpBackend(json200({ result: { user: 'u' } }));
});
after(async () => {
  await http?.close();
});

const base = { client: 'c1', transport: 'websocket', protocol: 'json' };
const connectBytes = () => toBinary(pp.ConnectRequestSchema, create(pp.ConnectRequestSchema, base));

async function rawRequest(bus: Bus, subject: string, data: Uint8Array): Promise<busPb.ProxyReply> {
  return fromBinary(busPb.ProxyReplySchema, await bus.request(subject, data, { timeoutMs: 2000 }));
}

test('service - a proxy endpoint with an unsupported scheme fails the start', async () => {
  const config = makeConfig({});
  config.channel.proxy.subscribe.endpoint = 'ftp://backend/subscribe';
  await assert.rejects(startDispatcher(config), (err: unknown) => err instanceof ProxyConfigError && /must start with http:\/\/, https:\/\/ or grpc:\/\//.test(err.message));
});

test('service - an unreadable TLS file fails the start', async () => {
  const config = makeConfig({ proxies: [{ name: 'tls', endpoint: 'https://127.0.0.1:1/x' }] });
  config.proxies[0]!.http.tls = { ...config.proxies[0]!.http.tls, enabled: true, server_ca_pem: '/nonexistent/ca.pem' };
  await assert.rejects(startDispatcher(config), ProxyConfigError);
});

test('service - malformed envelopes, unknown or stream events and unconfigured proxies get a transport error reply', async () => {
  const h = await startDispatcher(makeConfig({ client: { proxy: { connect: { enabled: true, endpoint: `${http.url}/c` } } } }));
  try {
    const garbage = await rawRequest(h.bus, 'gyre.proxy.connect', new Uint8Array([0xff, 0xff, 0xff]));
    assert.equal(garbage.outcome.case, 'transportError');
    assert.match(garbage.outcome.value!.message as string, /malformed ProxyRequest/);

    const mismatch = await rawRequest(h.bus, 'gyre.proxy.connect', toBinary(busPb.ProxyRequestSchema, create(busPb.ProxyRequestSchema, { event: 'rpc', request: connectBytes() })));
    assert.equal(mismatch.outcome.case, 'transportError');

    const nope = await callProxy(h.bus, h.prefix, 'nope', { request: new Uint8Array(0), timeoutMs: 1000 });
    assert.ok('transportError' in nope);
    assert.match(nope.transportError.message, /not supported/);
    const noStream = await callProxy(h.bus, h.prefix, 'subscribe_stream', { request: new Uint8Array(0), timeoutMs: 1000, streamId: 's1' });
    assert.ok('transportError' in noStream);
    assert.match(noStream.transportError.message, /no subscribe_stream proxy/);

    const badInner = await callProxy(h.bus, h.prefix, 'connect', { request: new Uint8Array([0x0a, 0x05, 0x01]), timeoutMs: 1000 });
    assert.ok('transportError' in badInner);
    assert.match(badInner.transportError.message, /malformed ConnectRequest/);

    const unconfigured = await callProxy(h.bus, h.prefix, 'rpc', { request: new Uint8Array(0), timeoutMs: 1000 });
    assert.ok('transportError' in unconfigured);
    assert.match(unconfigured.transportError.message, /no rpc proxy named "default"/);

    const ok = await callProxy(h.bus, h.prefix, 'connect', { proxy: '', request: connectBytes(), timeoutMs: 1000 });
    assert.ok('response' in ok, '"" means the default proxy');
  } finally {
    await h.stop();
  }
});

test('service - the subject prefix comes from gyre.bus.subject_prefix', async () => {
  const h = await startDispatcher(makeConfig({ gyre: { bus: { subject_prefix: 'custom' } }, client: { proxy: { connect: { enabled: true, endpoint: `${http.url}/c` } } } }));
  try {
    assert.equal(h.prefix, 'custom');
    assert.ok('response' in (await callProxy(h.bus, 'custom', 'connect', { request: connectBytes(), timeoutMs: 1000 })));
    const other = await callProxy(h.bus, 'gyre', 'connect', { request: connectBytes(), timeoutMs: 1000 });
    assert.ok('transportError' in other);
    assert.match(other.transportError.message, /no proxy-dispatcher/);
  } finally {
    await h.stop();
  }
});

test('service - many concurrent calls each get their own answer', async () => {
  const backend = await startHttpBackend((req, res) => {
    const body = JSON.parse(req.body) as { client: string };
    setTimeout(() => json200({ result: { user: body.client } })(req, res), Math.random() * 20);
  });
  const h = await startDispatcher(makeConfig({ client: { proxy: { connect: { enabled: true, endpoint: `${backend.url}/c` } } } }));
  try {
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => callProxyEvent(h.bus, h.prefix, 'connect', { request: { ...base, client: `c${i}` }, timeoutMs: 3000 })),
    );
    results.forEach((r, i) => {
      assert.ok('response' in r);
      assert.equal(r.response.result?.user, `c${i}`);
    });
  } finally {
    await h.stop();
    await backend.close();
  }
});

test('service - stop lets in-flight calls finish before the deadline, then no longer answers', async () => {
  const backend = await startHttpBackend((req, res) => void setTimeout(() => json200({ result: { user: 'late' } })(req, res), 300));
  const bus = await createBus({ type: 'memory' });
  const h = await startDispatcher(makeConfig({ client: { proxy: { connect: { enabled: true, endpoint: `${backend.url}/c` } } } }), {}, bus);
  try {
    const pending = callProxyEvent(bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 50));
    await h.handle.stop(Date.now() + 2000);
    const out = await pending;
    assert.ok('response' in out, 'the in-flight call was answered');
    assert.equal(out.response.result?.user, 'late');
    const after = await callProxy(bus, h.prefix, 'connect', { request: connectBytes(), timeoutMs: 500 });
    assert.ok('transportError' in after);
    assert.match(after.transportError.message, /no proxy-dispatcher/);
  } finally {
    await bus.close();
    await backend.close();
  }
});

test('service - stop past its deadline aborts what is left and still answers it', async () => {
  const backend = await startHttpBackend((req, res) => void setTimeout(() => json200({ result: {} })(req, res), 5000).unref());
  const grpcBackend: GrpcBackend = await startGrpcBackend(() => new Promise((r) => void setTimeout(() => r({ result: {} }), 5000).unref()));
  const bus = await createBus({ type: 'memory' });
  const h = await startDispatcher(
    makeConfig({
      client: { proxy: { connect: { enabled: true, endpoint: `${backend.url}/c`, timeout: '10s' } } },
      rpc: { proxy: { endpoint: grpcBackend.endpoint, timeout: '10s' } },
    }),
    {},
    bus,
  );
  try {
    const httpCall = callProxy(bus, h.prefix, 'connect', { request: connectBytes(), timeoutMs: 10_000 });
    const grpcCall = callProxy(bus, h.prefix, 'rpc', { request: toBinary(pp.RPCRequestSchema, create(pp.RPCRequestSchema, base)), timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await h.handle.stop(Date.now() + 150);
    assert.ok(Date.now() - started < 1500, `stop returned in ${Date.now() - started} ms`);
    for (const out of [await httpCall, await grpcCall]) {
      assert.ok('transportError' in out);
      assert.match(out.transportError.message, /stopping/);
    }
  } finally {
    await bus.close();
    await backend.close();
    await grpcBackend.close();
  }
});

test('service - over a real nats-server, dispatchers in one queue group answer each request exactly once', async () => {
  let nats: ServerHandle | undefined;
  const buses: Bus[] = [];
  const grpcBackend = await startGrpcBackend(() => ({ result: { data: Buffer.from('{"via":"grpc"}') } }));
  const counting = await startHttpBackend(json200({ result: { user: 'nats' } }));
  const handles: Array<{ stop(deadline: number): Promise<void> }> = [];
  try {
    nats = await startNatsServer();
    const config = makeConfig({
      gyre: { bus: { type: 'nats', nats: { url: nats.url } } },
      client: { proxy: { connect: { enabled: true, endpoint: `${counting.url}/c`, http_headers: ['Cookie'] } } },
      rpc: { proxy: { endpoint: grpcBackend.endpoint } },
    });
    for (let i = 0; i < 2; i++) {
      const b = await connectNatsBus({ servers: nats.url, name: `dispatcher-${i}` });
      buses.push(b);
      handles.push((await startDispatcher(config, {}, b)).handle);
      await b.flush();
    }
    const edge = await connectNatsBus({ servers: nats.url, name: 'edge' });
    buses.push(edge);
    const outs = await Promise.all(
      Array.from({ length: 20 }, () =>
        callProxyEvent(edge, 'gyre', 'connect', { request: base, headers: { cookie: 'sid=nats' }, timeoutMs: 3000 }),
      ),
    );
    for (const o of outs) {
      assert.ok('response' in o);
      assert.equal(o.response.result?.user, 'nats');
    }
    assert.equal(counting.requests.length, 20, 'each request reached the backend exactly once');
    assert.ok(counting.requests.every((r) => r.headers.cookie === 'sid=nats'));

    const rpc = await callProxyEvent(edge, 'gyre', 'rpc', { request: { ...base, method: 'm' }, timeoutMs: 3000 });
    assert.ok('response' in rpc);
    assert.equal(new TextDecoder().decode(rpc.response.result!.data), '{"via":"grpc"}');
  } finally {
    for (const hd of handles) await hd.stop(Date.now() + 1000);
    for (const b of buses) await b.close();
    await nats?.stop();
    await grpcBackend.close();
    await counting.close();
  }
});

test('service - a backend answer larger than the NATS max_payload becomes a transport error instead of a lost reply', async () => {
  const nats = await startNatsServer({ maxPayload: 64 * 1024 });
  const big = await startHttpBackend(json200({ result: { data: 'x'.repeat(100 * 1024) } }));
  const buses: Bus[] = [];
  try {
    const config = makeConfig({ gyre: { bus: { type: 'nats', nats: { url: nats.url } } }, rpc: { proxy: { endpoint: `${big.url}/rpc` } } });
    const db = await connectNatsBus({ servers: nats.url, name: 'dispatcher' });
    buses.push(db);
    const h = await startDispatcher(config, {}, db);
    await db.flush();
    const edge = await connectNatsBus({ servers: nats.url, name: 'edge' });
    buses.push(edge);
    const started = Date.now();
    const out = await callProxy(edge, 'gyre', 'rpc', { request: new Uint8Array(0), timeoutMs: 3000 });
    assert.ok('transportError' in out);
    assert.match(out.transportError.message, /could not be sent over the bus/);
    assert.ok(Date.now() - started < 2000, 'no wait for the timeout');
    await h.handle.stop(Date.now() + 1000);
  } finally {
    for (const b of buses) await b.close();
    await nats.stop();
    await big.close();
  }
});
