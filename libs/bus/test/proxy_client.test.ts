// The edge side of the event proxy: header selection (seed 003 rules table) and how bus outcomes
// map to ProxyCallResult, against a stand-in dispatcher on the memory bus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { bus as busPb, proxy as pp } from '@gyre/protocol';
import { PROXY_QUEUE_GROUP, callProxy, callProxyEvent, createBus, proxySubject, selectProxyHeaders } from '../src/index.js';

const rules = { http_headers: ['Cookie', 'Authorization'], grpc_metadata: ['x-md'], emulated_headers: ['X-Token'] };

test('proxy client - HTTP client: only http_headers from the request, case-insensitive, keys lower-cased', () => {
  const out = selectProxyHeaders(rules, {
    http: { Cookie: 'a=1', authorization: 'Bearer x', 'x-md': 'not from http', 'user-agent': 'ua' },
    grpcMetadata: { 'x-md': 'ignored when http is present' },
  });
  assert.deepEqual(out, { cookie: 'a=1', authorization: 'Bearer x' });
});

test('proxy client - GRPC client: only grpc_metadata from the metadata', () => {
  assert.deepEqual(selectProxyHeaders(rules, { grpcMetadata: { 'x-md': 'v', cookie: 'no' } }), { 'x-md': 'v' });
});

test('proxy client - emulated headers pass when listed in http_headers or emulated_headers, and real headers win', () => {
  const out = selectProxyHeaders(rules, {
    http: { authorization: 'real' },
    emulated: { Authorization: 'emulated', 'X-Token': 't', 'X-Other': 'no' },
  });
  assert.deepEqual(out, { authorization: 'real', 'x-token': 't' });
  assert.deepEqual(selectProxyHeaders(rules, { http: {}, emulated: { Cookie: 'c' } }), { cookie: 'c' });
});

test('proxy client - multi-valued and iterable header inputs', () => {
  assert.deepEqual(selectProxyHeaders(rules, { http: { cookie: ['a=1', 'b=2'], authorization: undefined } }), { cookie: 'a=1; b=2' });
  assert.deepEqual(selectProxyHeaders(rules, { http: [['Cookie', 'z=1']] }), { cookie: 'z=1' });
  assert.deepEqual(selectProxyHeaders({}, { http: { cookie: 'x' } }), {}, 'nothing is forwarded by default');
});

test('proxy client - callProxy sends the envelope and returns the response or the transport error', async () => {
  const bus = await createBus({ type: 'memory' });
  try {
    const seen: busPb.ProxyRequest[] = [];
    bus.queueSubscribe(proxySubject('gyre', '*'), PROXY_QUEUE_GROUP, (msg) => {
      const req = fromBinary(busPb.ProxyRequestSchema, msg.data);
      seen.push(req);
      const outcome: busPb.ProxyReply['outcome'] =
        req.proxy === 'fail'
          ? { case: 'transportError', value: create(busPb.ProxyTransportErrorSchema, { message: 'boom', httpStatus: 502 }) }
          : req.proxy === 'garbage'
            ? { case: 'response', value: new Uint8Array([0xff]) }
            : {
                case: 'response',
                value: toBinary(pp.ConnectResponseSchema, create(pp.ConnectResponseSchema, { result: { user: 'u1' } })),
              };
      msg.respond(toBinary(busPb.ProxyReplySchema, create(busPb.ProxyReplySchema, { outcome })));
    });
    await bus.flush();

    const before = Date.now();
    const ok = await callProxyEvent(bus, 'gyre', 'connect', { request: { client: 'c' }, headers: { cookie: 'x' }, timeoutMs: 500 });
    assert.ok('response' in ok);
    assert.equal(ok.response.result?.user, 'u1');
    const env = seen.at(-1)!;
    assert.deepEqual([env.event, env.proxy, env.headers], ['connect', '', { cookie: 'x' }]);
    assert.equal(fromBinary(pp.ConnectRequestSchema, env.request).client, 'c');
    const deadline = Number(env.deadlineMs);
    assert.ok(deadline >= before + 500 && deadline <= Date.now() + 500, 'deadline_ms = now + timeoutMs');

    const failed = await callProxy(bus, 'gyre', 'connect', { proxy: 'fail', request: new Uint8Array(0), timeoutMs: 500 });
    assert.deepEqual(failed, { transportError: { message: 'boom', httpStatus: 502, grpcCode: 0, timeout: false } });

    const garbage = await callProxyEvent(bus, 'gyre', 'connect', { proxy: 'garbage', request: {}, timeoutMs: 500 });
    assert.ok('transportError' in garbage);
    assert.match(garbage.transportError.message, /malformed ConnectResponse/);
  } finally {
    await bus.close();
  }
});

test('proxy client - no dispatcher, a silent dispatcher and a closed bus are transport errors, never rejections', async () => {
  const bus = await createBus({ type: 'memory' });
  const none = await callProxy(bus, 'gyre', 'rpc', { request: new Uint8Array(0), timeoutMs: 200 });
  assert.ok('transportError' in none);
  assert.match(none.transportError.message, /no proxy-dispatcher/);

  bus.queueSubscribe('gyre.proxy.rpc', PROXY_QUEUE_GROUP, () => {});
  await bus.flush();
  const silent = await callProxy(bus, 'gyre', 'rpc', { request: new Uint8Array(0), timeoutMs: 50, replyGraceMs: 10 });
  assert.ok('transportError' in silent);
  assert.equal(silent.transportError.timeout, true);

  await bus.close();
  const closed = await callProxy(bus, 'gyre', 'rpc', { request: new Uint8Array(0), timeoutMs: 50 });
  assert.ok('transportError' in closed);
});
