/**
 * The HTTP side of the emulated and unidirectional transports, frame by frame (client-protocol.md
 * §1, §2, §7, §8; server.md §2.4 allowed_origins, §4.1 endpoints): response headers, the
 * `session` / `node` of the connect reply, JSON and protobuf framing, /emulation in both
 * encodings, CORS and preflight, wrong methods, body limits, malformed input, clients that go
 * away or never read, and that nothing is left behind (sessions, subscriptions, timers).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { InProcessGyre } from '@gyre/gyre';
import { create, encodeCommandsProtobuf, fromBinary, protocol, toBinary } from '@gyre/protocol';
import { API_KEY, closeFetchPool, StreamReader, api, emulate, liveConnections, liveSessions, rawHttpStream, sleep, startNode, token, until, type Json } from './helpers.js';

after(closeFetchPool);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GOOD_ORIGIN = 'https://good.example';
const LIMIT = 2048;

/** Every path that is not a WebSocket, with the methods it serves. */
const HTTP_ENDPOINTS: Array<{ path: string; methods: string; wrong: string }> = [
  { path: '/connection/http_stream', methods: 'POST, OPTIONS', wrong: 'GET' },
  { path: '/connection/sse', methods: 'GET, POST, OPTIONS', wrong: 'PUT' },
  { path: '/emulation', methods: 'POST, OPTIONS', wrong: 'GET' },
  { path: '/connection/uni_http_stream', methods: 'POST, OPTIONS', wrong: 'GET' },
  { path: '/connection/uni_sse', methods: 'GET, POST, OPTIONS', wrong: 'DELETE' },
];

async function status(url: string, init: RequestInit): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The value of a Prometheus counter line, 0 when absent. */
async function counter(node: InProcessGyre, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${node.internalUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('HTTP transports on the wire', { timeout: 60_000 }, () => {
  let node: InProcessGyre;

  before(async () => {
    node = await startNode({
      client: { allowed_origins: [GOOD_ORIGIN], queue_max_size: 65536 },
      prometheus: { enabled: true },
      http_stream: { max_request_body_size: LIMIT },
      sse: { max_request_body_size: LIMIT },
      emulation: { max_request_body_size: LIMIT },
      uni_sse: { max_request_body_size: LIMIT },
      uni_http_stream: { max_request_body_size: LIMIT },
    });
  });
  after(async () => {
    await node.shutdown();
  });

  test('http_stream - 200 JSON stream with no-cache headers; the connect reply carries session and node', async () => {
    const { reader, session, node: nodeId } = await rawHttpStream(node.httpUrl, { token: token('h1') });
    assert.equal(reader.status, 200);
    assert.equal(reader.headers.get('content-type'), 'application/json');
    assert.equal(reader.headers.get('cache-control'), 'private, no-cache, no-store, must-revalidate, max-age=0');
    assert.equal(reader.headers.get('pragma'), 'no-cache');
    assert.equal(reader.headers.get('x-accel-buffering'), 'no');
    assert.match(session, UUID);
    assert.equal(nodeId, node.id);
    // Each reply is one line.
    assert.match(reader.raw, /^\{"id":1,"connect":\{.*"ping":2,"pong":true,"session":"[^"]+","node":"[^"]+"\}\}\n$/);
    // The connection's client id is not its session: the session is never shown to others.
    const r = reader.raw;
    assert.notEqual(JSON.parse(r)['connect']['client'], session);
    reader.abort();
  });

  test('http_stream - protobuf by Content-Type: varint-delimited Replies; /emulation takes a protobuf EmulationRequest', async () => {
    const first = encodeCommandsProtobuf([create(protocol.CommandSchema, { id: 1, connect: { token: token('h2') } })]);
    const reader = await StreamReader.open(`${node.httpUrl}/connection/http_stream`, 'protobuf', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: first,
    });
    assert.equal(reader.headers.get('content-type'), 'application/octet-stream');
    const connect = fromBinary(protocol.ReplySchema, (await reader.next()) as Uint8Array);
    assert.equal(connect.id, 1);
    const session = connect.connect!.session;
    assert.match(session, UUID);
    assert.equal(connect.connect!.node, node.id);
    const frame = encodeCommandsProtobuf([create(protocol.CommandSchema, { id: 2, subscribe: { channel: 'proto-emu' } })]);
    const body = toBinary(protocol.EmulationRequestSchema, create(protocol.EmulationRequestSchema, { node: node.id, session, data: frame }));
    const res = await fetch(`${node.httpUrl}/emulation`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('content-length'), null);
    const sub = fromBinary(protocol.ReplySchema, (await reader.next()) as Uint8Array);
    assert.equal(sub.id, 2);
    assert.ok(sub.subscribe);
    await api(node, 'publish', { channel: 'proto-emu', data: { p: 1 } });
    const pub = fromBinary(protocol.ReplySchema, (await reader.next()) as Uint8Array);
    assert.equal(pub.push?.channel, 'proto-emu');
    assert.deepEqual(JSON.parse(new TextDecoder().decode(pub.push!.pub!.data)), { p: 1 });
    reader.abort();
  });

  test('sse - GET with cf_connect: event-stream, a lone \\r\\n first, then data: events; POST works the same', async () => {
    const frame = JSON.stringify({ connect: { token: token('s1') }, id: 1 });
    const get = await StreamReader.open(`${node.httpUrl}/connection/sse?cf_connect=${encodeURIComponent(frame)}`, 'sse');
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(get.headers.get('x-accel-buffering'), 'no');
    const reply = await get.nextJson();
    assert.ok(get.raw.startsWith('\r\ndata: {"id":1,"connect":{'), JSON.stringify(get.raw));
    const c = reply['connect'] as Json;
    assert.equal(c['node'], node.id);
    assert.match(c['session'] as string, UUID);
    assert.equal(await emulate(node.httpUrl, { node: node.id, session: c['session'], data: JSON.stringify({ subscribe: { channel: 'sse-raw' }, id: 2 }) }), 204);
    assert.deepEqual(await get.nextJson(), { id: 2, subscribe: {} });
    get.abort();
    const post = await StreamReader.open(`${node.httpUrl}/connection/sse`, 'sse', { method: 'POST', body: frame });
    assert.equal(post.status, 200);
    assert.ok(((await post.nextJson())['connect'] as Json)['session']);
    post.abort();
  });

  test('cors - an allowed Origin gets Allow-Origin, Allow-Credentials and the echoed Allow-Headers; a disallowed or missing one gets none', async () => {
    const allowed = await StreamReader.open(`${node.httpUrl}/connection/http_stream`, 'lines', {
      method: 'POST',
      headers: { Origin: GOOD_ORIGIN, 'Access-Control-Request-Headers': 'content-type,x-custom' },
      body: JSON.stringify({ connect: { token: token('c1') }, id: 1 }),
    });
    assert.equal(allowed.headers.get('access-control-allow-origin'), GOOD_ORIGIN);
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(allowed.headers.get('access-control-allow-headers'), 'content-type,x-custom');
    allowed.abort();
    const denied = await StreamReader.open(`${node.httpUrl}/connection/http_stream`, 'lines', {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
      body: JSON.stringify({ connect: { token: token('c2') }, id: 1 }),
    });
    // Served, without CORS headers: the browser refuses it, the server does not.
    assert.equal(denied.status, 200);
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    assert.equal(denied.headers.get('access-control-allow-credentials'), null);
    denied.abort();
    const emu = await fetch(`${node.httpUrl}/emulation`, { method: 'POST', headers: { Origin: GOOD_ORIGIN }, body: JSON.stringify({ node: node.id, session: 'x', data: '{}' }) });
    assert.equal(emu.status, 204);
    assert.equal(emu.headers.get('access-control-allow-origin'), GOOD_ORIGIN);
  });

  for (const e of HTTP_ENDPOINTS) {
    test(`preflight - OPTIONS ${e.path} is 204 with the CORS headers, Allow-Methods "${e.methods}" and Max-Age 300; ${e.wrong} is 405`, async () => {
      const pre = await status(`${node.httpUrl}${e.path}`, { method: 'OPTIONS', headers: { Origin: GOOD_ORIGIN, 'Access-Control-Request-Headers': 'content-type' } });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-methods'), e.methods);
      assert.equal(pre.headers.get('access-control-max-age'), '300');
      assert.equal(pre.headers.get('access-control-allow-origin'), GOOD_ORIGIN);
      assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type');
      const wrong = await status(`${node.httpUrl}${e.path}`, { method: e.wrong });
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get('allow'), e.methods);
    });
  }

  test('limits - bodies over max_request_body_size get 413 on every HTTP endpoint, nothing is opened', async () => {
    const big = JSON.stringify({ connect: { token: token('big'), data: { pad: 'x'.repeat(LIMIT) } }, id: 1 });
    const bigUni = JSON.stringify({ token: token('big'), data: { pad: 'x'.repeat(LIMIT) } });
    for (const [path, body] of [
      ['/connection/http_stream', big],
      ['/connection/sse', big],
      ['/emulation', JSON.stringify({ node: node.id, session: 's', data: 'x'.repeat(LIMIT) })],
      ['/connection/uni_http_stream', bigUni],
      ['/connection/uni_sse', bigUni],
    ] as const) {
      const r = await status(`${node.httpUrl}${path}`, { method: 'POST', body });
      assert.equal(r.status, 413, path);
    }
    assert.equal(liveSessions(node), 0);
  });

  test('bad input - 400 for a missing cf_connect, broken JSON, a first command that is not connect, an empty uni body, a malformed /emulation body', async () => {
    const cases: Array<[string, RequestInit]> = [
      ['/connection/sse', { method: 'GET' }],
      [`/connection/sse?cf_connect=${encodeURIComponent('{"connect":')}`, { method: 'GET' }],
      ['/connection/sse', { method: 'POST', body: JSON.stringify({ subscribe: { channel: 'x' }, id: 1 }) }],
      ['/connection/http_stream', { method: 'POST', body: '{"connect":{},"id":1' }],
      ['/connection/http_stream', { method: 'POST', body: JSON.stringify({ subscribe: { channel: 'x' }, id: 1 }) }],
      ['/connection/http_stream', { method: 'POST', body: '' }],
      ['/connection/http_stream', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Uint8Array([0xff, 0xff, 0xff]) }],
      ['/connection/uni_http_stream', { method: 'POST', body: '' }],
      ['/connection/uni_http_stream', { method: 'POST', body: '{"token":' }],
      [`/connection/uni_sse?cf_connect=${encodeURIComponent('{"token":1')}`, { method: 'GET' }],
      ['/connection/uni_sse', { method: 'POST', body: 'nope' }],
      ['/emulation', { method: 'POST', body: '{"session":"x"' }],
      ['/emulation', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Uint8Array([0x0a, 0xff]) }],
    ];
    for (const [path, init] of cases) {
      const r = await status(`${node.httpUrl}${path}`, init);
      assert.equal(r.status, 400, `${init.method} ${path}`);
    }
    assert.equal(liveSessions(node), 0);
  });

  test('emulation - a frame the session cannot decode closes that connection with a 3501 disconnect push', async () => {
    const { reader, session } = await rawHttpStream(node.httpUrl, { token: token('bad-frame') });
    assert.equal(await emulate(node.httpUrl, { node: node.id, session, data: '{"subscribe":' }), 204);
    assert.deepEqual(await reader.untilJson((m) => m['push'] !== undefined), { push: { disconnect: { code: 3501, reason: 'bad request' } } });
    await reader.done;
    assert.equal(reader.ended, true);
    await until(() => liveSessions(node) === 0, 3000, 'session released');
  });

  test('emulation - a command for another connection\'s session reaches only that connection', async () => {
    const one = await rawHttpStream(node.httpUrl, { token: token('one') });
    const two = await rawHttpStream(node.httpUrl, { token: token('two') });
    assert.equal(await emulate(node.httpUrl, { node: node.id, session: two.session, data: JSON.stringify({ rpc: { method: 'ping' }, id: 5 }) }), 204);
    assert.deepEqual(await two.reader.untilJson((m) => m['id'] === 5), { id: 5, rpc: {} });
    await sleep(50);
    assert.equal(one.reader.pending(), 0);
    one.reader.abort();
    two.reader.abort();
  });

  test('half-closed - clients that go away mid-stream release sessions, subscriptions, local topics and timers', async () => {
    const readers: StreamReader[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await rawHttpStream(node.httpUrl, { token: token(`gone${i}`) });
      await emulate(node.httpUrl, { node: node.id, session: r.session, data: JSON.stringify({ subscribe: { channel: `gone-${i % 2}` }, id: 2 }) });
      await r.reader.untilJson((m) => m['id'] === 2);
      readers.push(r.reader);
    }
    const ctx = node.edge!.context;
    assert.equal(liveSessions(node), 5);
    assert.ok(ctx.localTopics.members > 0);
    for (const r of readers) r.abort();
    await until(() => liveSessions(node) === 0, 3000, 'sessions released');
    assert.equal(liveConnections(node), 0);
    assert.equal(ctx.localTopics.size, 0);
    assert.equal(ctx.localTopics.members, 0);
    await until(() => ctx.hub.channels.size === 0, 3000, 'channels closed');
    assert.equal(ctx.wheel.scheduled, 0);
  });

  test('half-closed - a client that half-closes after its request is dropped and its session released; one that never finishes its body opens nothing', async () => {
    const fin: Socket = tcpConnect(node.port, '127.0.0.1');
    await new Promise<void>((resolve) => fin.once('connect', () => resolve()));
    const body = JSON.stringify({ connect: { token: token('fin') }, id: 1 });
    fin.write(`POST /connection/http_stream HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await new Promise<void>((resolve) => fin.once('data', () => resolve()));
    assert.equal(liveSessions(node), 1);
    fin.end();
    await until(() => liveSessions(node) === 0, 3000, 'half-closed stream released');
    fin.destroy();
    const partial: Socket = tcpConnect(node.port, '127.0.0.1');
    await new Promise<void>((resolve) => partial.once('connect', () => resolve()));
    partial.write('POST /connection/http_stream HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"connect":');
    await sleep(100);
    assert.equal(liveConnections(node), 0);
    partial.destroy();
  });

  test('emulation - a post for a unidirectional session is ignored (204) and that connection is untouched', async () => {
    const uni = await StreamReader.open(`${node.httpUrl}/connection/uni_http_stream`, 'lines', { method: 'POST', body: JSON.stringify({ token: token('uni-target') }) });
    const session = ((await uni.nextJson())['connect'] as Json)['session'];
    assert.equal(await emulate(node.httpUrl, { node: node.id, session, data: '{"subscribe":' }), 204);
    await sleep(50);
    assert.equal(uni.ended, false);
    assert.equal(liveSessions(node), 1);
    uni.abort();
    await until(() => liveSessions(node) === 0, 3000, 'session released');
  });

  test('slow - a client that never reads is closed with 3008 and its session released', async () => {
    const before = await counter(node, 'centrifugo_client_num_server_disconnects', 'code="3008"');
    const socket: Socket = tcpConnect(node.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const body = JSON.stringify({ connect: { token: token('slow') }, id: 1 });
    socket.write(`POST /connection/http_stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const head = await new Promise<string>((resolve) => {
      let acc = '';
      const onData = (d: Buffer): void => {
        acc += d.toString();
        if (acc.includes('"session"')) {
          socket.off('data', onData);
          resolve(acc);
        }
      };
      socket.on('data', onData);
    });
    // From now on the client reads nothing.
    socket.pause();
    const session = /"session":"([^"]+)"/.exec(head)![1]!;
    assert.equal(await emulate(node.httpUrl, { node: node.id, session, data: JSON.stringify({ subscribe: { channel: 'firehose' }, id: 2 }) }), 204);
    await sleep(50);
    const data = { pad: 'y'.repeat(60_000) };
    for (let i = 0; i < 400 && liveSessions(node) > 0; i++) {
      await fetch(`${node.internalUrl}/api/publish`, { method: 'POST', headers: { 'X-API-Key': API_KEY }, body: JSON.stringify({ channel: 'firehose', data }) });
    }
    await until(() => liveSessions(node) === 0, 5000, 'the slow connection closed');
    assert.equal(await counter(node, 'centrifugo_client_num_server_disconnects', 'code="3008"'), before + 1);
    socket.destroy();
  });

  test('leaks - connects and aborts on every streamed transport leave no session, connection or timer behind', async () => {
    const uni = JSON.stringify({ token: token('leak') });
    const cmd = JSON.stringify({ connect: { token: token('leak') }, id: 1 });
    for (let round = 0; round < 3; round++) {
      const readers = await Promise.all([
        StreamReader.open(`${node.httpUrl}/connection/http_stream`, 'lines', { method: 'POST', body: cmd }),
        StreamReader.open(`${node.httpUrl}/connection/sse?cf_connect=${encodeURIComponent(cmd)}`, 'sse'),
        StreamReader.open(`${node.httpUrl}/connection/uni_http_stream`, 'lines', { method: 'POST', body: uni }),
        StreamReader.open(`${node.httpUrl}/connection/uni_sse?cf_connect=${encodeURIComponent(uni)}`, 'sse'),
      ]);
      for (const r of readers) await r.next();
      assert.equal(liveSessions(node), 4);
      for (const r of readers) r.abort();
      await until(() => liveSessions(node) === 0, 3000, 'sessions released');
    }
    assert.equal(liveConnections(node), 0);
    assert.equal(node.edge!.context.wheel.scheduled, 0);
  });
});

describe('HTTP transports when disabled', () => {
  test('disabled - http_stream, sse, /emulation and the uni endpoints answer 404 when their transport is off', async () => {
    const off = await startNode({
      http_stream: { enabled: false },
      sse: { enabled: false },
      uni_websocket: { enabled: false },
      uni_sse: { enabled: false },
      uni_http_stream: { enabled: false },
      uni_grpc: { enabled: false },
    });
    try {
      for (const path of ['/connection/http_stream', '/connection/sse', '/emulation', '/connection/uni_http_stream', '/connection/uni_sse', '/connection/uni_websocket']) {
        const r = await status(`${off.httpUrl}${path}`, { method: 'POST', body: '{}' });
        assert.equal(r.status, 404, path);
      }
      assert.equal(off.edge!.uniGrpcPort, null);
    } finally {
      await off.shutdown();
    }
  });
});
