// GRPC backends: a grpc-js server implementing CentrifugoProxy from proto/ (loaded with
// @grpc/proto-loader, independently of the protobuf-es code the dispatcher uses), driven through
// the bus with callProxyEvent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createH2Server, constants as h2c, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { callProxy, callProxyEvent } from '@gyre/bus';
import { proxy as pp } from '@gyre/protocol';
import { freePort } from '@gyre/testing';
import { dec, enc, grpcStatus, makeConfig, metricValue, startDispatcher, startGrpcBackend, type GrpcBackend, type Harness } from './helpers.js';

let backend: GrpcBackend;
let raw: { server: Http2Server; port: number; seen: Array<{ headers: Record<string, unknown>; compressedFlag: number; request: pp.RPCRequest }> };
let h: Harness;
let deadPort: number;

/** A bare HTTP/2 GRPC peer that records the compressed flag and grpc-encoding of each request. */
async function startRawGrpc(): Promise<typeof raw> {
  const seen: (typeof raw)['seen'] = [];
  const server = createH2Server();
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const frame = Buffer.concat(chunks);
      const flag = frame[0]!;
      const len = frame.readUInt32BE(1);
      let payload = frame.subarray(5, 5 + len);
      if (flag === 1) payload = gunzipSync(payload);
      seen.push({ headers: { ...headers }, compressedFlag: flag, request: fromBinary(pp.RPCRequestSchema, payload) });
      const out = toBinary(pp.RPCResponseSchema, create(pp.RPCResponseSchema, { result: { data: enc('{"raw":true}') } }));
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(out.length, 1);
      stream.respond({ [h2c.HTTP2_HEADER_STATUS]: 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat([prefix, out]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

before(async () => {
  backend = await startGrpcBackend();
  raw = await startRawGrpc();
  deadPort = await freePort();
  const e = backend.endpoint;
  h = await startDispatcher(
    makeConfig({
      client: {
        proxy: {
          connect: {
            enabled: true,
            endpoint: e,
            http_headers: ['Cookie', 'Authorization'],
            grpc_metadata: ['x-grpc-md'],
            http: { static_headers: { 'X-Static-Http': 'not for grpc' } },
            grpc: { credentials_key: 'x-api-key', credentials_value: 'secret', static_metadata: { 'x-static-md': 'static', authorization: 'static-auth' } },
          },
          refresh: { enabled: true, endpoint: e, include_connection_meta: true },
        },
      },
      channel: {
        proxy: {
          subscribe: { endpoint: e, include_connection_meta: true },
          publish: { endpoint: e, binary_encoding: true },
          sub_refresh: { endpoint: e, include_connection_meta: true },
          map_publish: { endpoint: e },
          map_remove: { endpoint: e },
          shared_poll_refresh: { endpoint: e },
        },
      },
      rpc: { proxy: { endpoint: e, include_connection_meta: true, timeout: '300ms' } },
      proxies: [
        { name: 'gzip', endpoint: `grpc://127.0.0.1:${raw.port}`, grpc: { compression: true } },
        { name: 'plain', endpoint: `grpc://127.0.0.1:${raw.port}` },
        { name: 'dead', endpoint: `grpc://127.0.0.1:${deadPort}` },
      ],
    }),
  );
});

after(async () => {
  await h?.stop();
  await backend?.close();
  await new Promise<void>((resolve) => raw.server.close(() => resolve()));
});

const base = { client: 'c1', transport: 'websocket', protocol: 'json' };
const lastCall = () => backend.calls.at(-1)!;
const str = (b: unknown) => (Buffer.isBuffer(b) ? b.toString('utf8') : undefined);

test('grpc events - connect sends every request field and reads every result field', async () => {
  backend.handler = () => ({
    result: {
      user: '56',
      expire_at: '1700000000',
      info: Buffer.from('{"name":"Alex"}'),
      data: Buffer.from('{"hello":"world"}'),
      channels: ['news'],
      subs: { 'chat:1': { expire_at: '5', b64info: Buffer.from('ci').toString('base64'), data: Buffer.from('{}'), override: { presence: { value: true }, force_push_join_leave: { value: false } } } },
      meta: Buffer.from('{"m":1}'),
      caps: [{ channels: ['a'], allow: ['sub'], match: 'wildcard' }],
      labels: { k: 'v' },
    },
  });
  const out = await callProxyEvent(h.bus, h.prefix, 'connect', {
    request: { ...base, data: enc('{"token":"x"}'), name: 'js', version: '1.0', channels: ['news', 'chat:1'] },
    timeoutMs: 2000,
  });
  assert.ok('response' in out, 'transportError' in out ? out.transportError.message : '');
  const c = lastCall();
  assert.equal(c.method, 'Connect');
  assert.deepEqual(
    { ...c.request, data: str(c.request.data) },
    { client: 'c1', transport: 'websocket', protocol: 'json', encoding: 'json', data: '{"token":"x"}', name: 'js', version: '1.0', channels: ['news', 'chat:1'] },
  );
  const r = out.response.result!;
  assert.equal(r.user, '56');
  assert.equal(r.expireAt, 1700000000n);
  assert.equal(dec(r.info), '{"name":"Alex"}');
  assert.equal(dec(r.data), '{"hello":"world"}');
  assert.deepEqual(r.channels, ['news']);
  assert.equal(dec(r.subs['chat:1']!.info), 'ci', 'b64info decoded for GRPC results too');
  assert.equal(r.subs['chat:1']!.override?.presence?.value, true);
  assert.equal(r.subs['chat:1']!.override?.forcePushJoinLeave?.value, false);
  assert.equal(dec(r.meta), '{"m":1}');
  assert.equal(r.caps[0]?.match, 'wildcard');
  assert.deepEqual(r.labels, { k: 'v' });
});

test('grpc events - refresh, subscribe, sub_refresh and rpc carry user/channel/meta/data and read their results', async () => {
  backend.handler = (method) => {
    switch (method) {
      case 'Refresh':
        return { result: { expired: false, expire_at: '100', info: Buffer.from('{"i":1}'), meta: Buffer.from('{"n":1}') } };
      case 'Subscribe':
        return { result: { expire_at: '7', info: Buffer.from('{"ci":1}'), b64data: Buffer.from([1, 2]).toString('base64'), override: { join_leave: { value: true } }, allow: ['pub'] } };
      case 'SubRefresh':
        return { result: { expired: true, expire_at: '9', info: Buffer.from('{}') } };
      case 'RPC':
        return { result: { data: Buffer.from('{"answer":"2019"}') } };
      default:
        return {};
    }
  };
  const meta = enc('{"m":1}');

  const refresh = await callProxyEvent(h.bus, h.prefix, 'refresh', { request: { ...base, user: 'u1', meta }, timeoutMs: 2000 });
  assert.ok('response' in refresh);
  assert.equal(lastCall().method, 'Refresh');
  assert.equal(lastCall().request.user, 'u1');
  assert.equal(str(lastCall().request.meta), '{"m":1}');
  assert.deepEqual([refresh.response.result?.expireAt, dec(refresh.response.result!.info), dec(refresh.response.result!.meta)], [100n, '{"i":1}', '{"n":1}']);

  const sub = await callProxyEvent(h.bus, h.prefix, 'subscribe', {
    request: { ...base, user: 'u1', channel: 'chat:1', token: 't', meta, data: enc('{"d":1}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in sub);
  assert.deepEqual(
    [lastCall().method, lastCall().request.channel, lastCall().request.token, str(lastCall().request.data), str(lastCall().request.meta)],
    ['Subscribe', 'chat:1', 't', '{"d":1}', '{"m":1}'],
  );
  const sr = sub.response.result!;
  assert.deepEqual([sr.expireAt, dec(sr.info), [...sr.data], sr.override?.joinLeave?.value, sr.allow], [7n, '{"ci":1}', [1, 2], true, ['pub']]);

  const subRefresh = await callProxyEvent(h.bus, h.prefix, 'sub_refresh', { request: { ...base, user: 'u1', channel: 'chat:1', meta }, timeoutMs: 2000 });
  assert.ok('response' in subRefresh);
  assert.equal(lastCall().method, 'SubRefresh');
  assert.deepEqual([subRefresh.response.result?.expired, subRefresh.response.result?.expireAt], [true, 9n]);

  const rpc = await callProxyEvent(h.bus, h.prefix, 'rpc', { request: { ...base, user: 'u1', method: 'getPrice', data: enc('{"p":1}'), meta }, timeoutMs: 2000 });
  assert.ok('response' in rpc);
  assert.deepEqual([lastCall().method, lastCall().request.method, str(lastCall().request.data)], ['RPC', 'getPrice', '{"p":1}']);
  assert.equal(dec(rpc.response.result!.data), '{"answer":"2019"}');
});

test('grpc events - publish with binary_encoding sends b64data and encoding "binary"; map and shared poll events round-trip', async () => {
  backend.handler = (method) => {
    if (method === 'Publish') return { result: { b64data: Buffer.from([9, 8]).toString('base64'), skip_history: true, version: '3', version_epoch: 'e' } };
    if (method === 'MapPublish') return { result: { key: 'k2', data: Buffer.from('{"v":2}') } };
    if (method === 'MapRemove') return { result: {} };
    if (method === 'SharedPollRefresh') return { result: { items: [{ key: 'a', data: Buffer.from('{"x":1}'), version: '4' }] } };
    return {};
  };
  const pub = await callProxyEvent(h.bus, h.prefix, 'publish', { request: { ...base, user: 'u', channel: 'c', data: new Uint8Array([0xde, 0xad]) }, timeoutMs: 2000 });
  assert.ok('response' in pub);
  assert.deepEqual([lastCall().request.encoding, lastCall().request.b64data, lastCall().request.data], ['binary', '3q0=', undefined]);
  assert.deepEqual([[...pub.response.result!.data], pub.response.result?.skipHistory, pub.response.result?.version, pub.response.result?.versionEpoch], [[9, 8], true, 3n, 'e']);

  const mp = await callProxyEvent(h.bus, h.prefix, 'map_publish', { request: { ...base, user: 'u', channel: 'm', key: 'k', data: enc('{"v":1}') }, timeoutMs: 2000 });
  assert.ok('response' in mp);
  assert.deepEqual([lastCall().method, lastCall().request.key], ['MapPublish', 'k']);
  assert.deepEqual([mp.response.result?.key, dec(mp.response.result!.data)], ['k2', '{"v":2}']);

  const mr = await callProxyEvent(h.bus, h.prefix, 'map_remove', { request: { ...base, user: 'u', channel: 'm', key: 'k' }, timeoutMs: 2000 });
  assert.ok('response' in mr);
  assert.equal(lastCall().method, 'MapRemove');

  const sp = await callProxyEvent(h.bus, h.prefix, 'shared_poll_refresh', { request: { channel: 'p', items: [{ key: 'a', version: 1n }] }, timeoutMs: 2000 });
  assert.ok('response' in sp);
  assert.equal(lastCall().method, 'SharedPollRefresh');
  assert.deepEqual(lastCall().request, { channel: 'p', items: [{ key: 'a', version: '1' }] });
  assert.deepEqual(sp.response.result?.items.map((i) => [i.key, dec(i.data), i.version]), [['a', '{"x":1}', 4n]]);
});

test('grpc options - allow-listed client headers become metadata with static_metadata below them and credentials added; static HTTP headers are not sent', async () => {
  backend.handler = () => ({ result: { user: 'u' } });
  const out = await callProxy(h.bus, h.prefix, 'connect', {
    request: toBinary(pp.ConnectRequestSchema, create(pp.ConnectRequestSchema, base)),
    headers: { cookie: 'sid=1', authorization: 'Bearer c', 'x-grpc-md': 'md-value', 'x-other': 'no' },
    timeoutMs: 2000,
  });
  assert.ok('response' in out);
  const md = lastCall().metadata;
  assert.equal(md.cookie, 'sid=1');
  assert.equal(md.authorization, 'Bearer c', 'client header overrides static_metadata');
  assert.equal(md['x-grpc-md'], 'md-value');
  assert.equal(md['x-static-md'], 'static');
  assert.equal(md['x-api-key'], 'secret', 'credentials_key / credentials_value');
  assert.equal(md['x-other'], undefined);
  assert.equal(md['x-static-http'], undefined, 'http.static_headers are HTTP only');
});

test('grpc options - GRPC status errors become transport errors with the status code', async () => {
  backend.handler = () => grpcStatus(grpc.status.PERMISSION_DENIED, 'nope');
  const out = await callProxy(h.bus, h.prefix, 'connect', { request: toBinary(pp.ConnectRequestSchema, create(pp.ConnectRequestSchema, base)), timeoutMs: 2000 });
  assert.ok('transportError' in out);
  assert.equal(out.transportError.grpcCode, grpc.status.PERMISSION_DENIED);
  assert.equal(out.transportError.timeout, false);
  assert.match(out.transportError.message, /nope/);

  backend.handler = () => {
    throw new Error('handler crashed');
  };
  const internal = await callProxy(h.bus, h.prefix, 'connect', { request: toBinary(pp.ConnectRequestSchema, create(pp.ConnectRequestSchema, base)), timeoutMs: 2000 });
  assert.ok('transportError' in internal);
  assert.equal(internal.transportError.grpcCode, grpc.status.INTERNAL);
});

test('grpc options - a slow backend hits the deadline (DEADLINE_EXCEEDED → timeout)', async () => {
  backend.handler = () => new Promise((resolve) => setTimeout(() => resolve({ result: {} }), 1500));
  const started = Date.now();
  const out = await callProxy(h.bus, h.prefix, 'rpc', { request: toBinary(pp.RPCRequestSchema, create(pp.RPCRequestSchema, base)), timeoutMs: 2000 });
  assert.ok('transportError' in out);
  assert.equal(out.transportError.timeout, true);
  assert.equal(out.transportError.grpcCode, grpc.status.DEADLINE_EXCEEDED);
  assert.ok(Date.now() - started < 1200, 'answered at the 300ms proxy timeout');
});

test('grpc options - an unreachable endpoint is UNAVAILABLE, not a hang', async () => {
  const out = await callProxy(h.bus, h.prefix, 'rpc', { proxy: 'dead', request: toBinary(pp.RPCRequestSchema, create(pp.RPCRequestSchema, base)), timeoutMs: 2000 });
  assert.ok('transportError' in out);
  assert.equal(out.transportError.grpcCode, grpc.status.UNAVAILABLE);
});

test('grpc options - compression gzips requests when on and not when off', async () => {
  const big = enc(JSON.stringify({ text: 'a'.repeat(2000) }));
  const gz = await callProxyEvent(h.bus, h.prefix, 'rpc', { proxy: 'gzip', request: { ...base, method: 'z', data: big }, timeoutMs: 2000 });
  assert.ok('response' in gz, 'transportError' in gz ? gz.transportError.message : '');
  assert.equal(dec(gz.response.result!.data), '{"raw":true}');
  const seenGz = raw.seen.at(-1)!;
  assert.equal(seenGz.headers['grpc-encoding'], 'gzip');
  assert.equal(seenGz.compressedFlag, 1);
  assert.equal(seenGz.headers[':path'], '/centrifugal.centrifugo.proxy.CentrifugoProxy/RPC');
  assert.equal(dec(seenGz.request.data), dec(big));

  const plain = await callProxyEvent(h.bus, h.prefix, 'rpc', { proxy: 'plain', request: { ...base, method: 'z', data: big }, timeoutMs: 2000 });
  assert.ok('response' in plain);
  assert.equal(raw.seen.at(-1)!.compressedFlag, 0);
});

test('grpc options - metrics use protocol "grpc"', async () => {
  backend.handler = () => ({ result: {} });
  const labels = { protocol: 'grpc', type: 'connect', name: 'default' };
  const before = await metricValue(h.metrics, 'centrifugo_proxy_duration_seconds_histogram', labels, '_count');
  await callProxy(h.bus, h.prefix, 'connect', { request: toBinary(pp.ConnectRequestSchema, create(pp.ConnectRequestSchema, base)), timeoutMs: 2000 });
  assert.equal(await metricValue(h.metrics, 'centrifugo_proxy_duration_seconds_histogram', labels, '_count'), before + 1);
  const errs = await metricValue(h.metrics, 'centrifugo_proxy_errors', { protocol: 'grpc', type: 'rpc', name: 'dead' });
  assert.equal(errs, 1, 'the unreachable call was counted under its proxy name');
});
