/**
 * Unidirectional transports (client-protocol.md §8; seed 000 `session`; seed 003
 * connect_code_to_unidirectional_disconnect / connect_code_to_http_response), with raw clients:
 * `ws`, fetch streams, the `eventsource` package and grpc-js. Bare Pushes only: `connect` first
 * with a `session`, publications of server-side subscriptions, `{}` pings, disconnect pushes; the
 * server API targets exactly one connection by its session.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { InProcessGyre } from '@gyre/gyre';
import { EventSource, closeFetchPool, StreamReader, UniGrpc, UniWs, api, liveSessions, rawToken, sleep, startNode, token, until, type EventSourceLike, type Json } from './helpers.js';

after(closeFetchPool);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GOOD_ORIGIN = 'https://good.example';
const td = new TextDecoder();

const q = (connect: Json): string => `cf_connect=${encodeURIComponent(JSON.stringify(connect))}`;
const isPing = (m: Json): boolean => Object.keys(m).length === 0;

/** An EventSource on uni_sse collecting parsed messages. */
function uniEventSource(url: string): { es: EventSourceLike; messages: Json[]; opened: Promise<void> } {
  const es = new EventSource(url);
  const messages: Json[] = [];
  const opened = new Promise<void>((resolve) => {
    es.onopen = () => resolve();
  });
  es.onmessage = (e) => messages.push(JSON.parse(e.data) as Json);
  return { es, messages, opened };
}

describe('unidirectional transports', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  let ws = '';
  let http = '';
  let grpcPort = 0;

  before(async () => {
    node = await startNode({
      client: {
        allowed_origins: [GOOD_ORIGIN],
        disallow_anonymous_connection_tokens: true,
        connect_code_to_unidirectional_disconnect: { enabled: true, transforms: [{ code: 109, to: { code: 4109, reason: 'token expired, renew' } }] },
      },
      channel: { namespaces: [{ name: 'rec', history_size: 20, history_ttl: '300s', force_recovery: true }] },
      uni_websocket: { join_push_messages: true },
      uni_http_stream: {
        connect_code_to_http_response: {
          enabled: true,
          transforms: [
            { code: 109, to: { status_code: 401 } },
            { code: 3500, to: { status_code: 403, body: 'forbidden here' } },
          ],
        },
      },
    });
    ws = `ws://127.0.0.1:${node.port}/connection/uni_websocket`;
    http = node.httpUrl;
    grpcPort = node.edge!.uniGrpcPort!;
  });
  after(async () => {
    await node.shutdown();
  });

  test('uni_websocket - cf_connect: the connect push comes first (session, ping, no pong, no node), then publications of token channels and {} pings', async () => {
    const c = await UniWs.open(`${ws}?${q({ token: token('w1', { channels: ['uni-w1'] }) })}`);
    const first = await c.nextJson();
    const connect = first['connect'] as Json;
    assert.deepEqual(Object.keys(first), ['connect']);
    assert.match(connect['client'] as string, UUID);
    assert.match(connect['session'] as string, UUID);
    assert.notEqual(connect['session'], connect['client']);
    assert.equal(connect['ping'], 2);
    assert.equal(connect['pong'], undefined);
    assert.equal(connect['node'], undefined);
    assert.deepEqual(connect['subs'], { 'uni-w1': {} });
    await api(node, 'publish', { channel: 'uni-w1', data: { n: 1 } });
    assert.deepEqual(await c.nextJson(), { channel: 'uni-w1', pub: { data: { n: 1 }, offset: 1 } });
    // ping_interval 2 s: a ping within 2.5 s.
    assert.deepEqual(await c.nextJson(2500), {});
    c.close();
    await until(() => liveSessions(node) === 0, 3000, 'session released');
  });

  test('uni_websocket - the ConnectRequest may be the first message; later messages are ignored', async () => {
    const c = await UniWs.open(ws);
    c.ws.send(JSON.stringify({ token: token('w2', { channels: ['uni-w2'] }) }));
    const first = await c.nextJson();
    assert.ok(first['connect']);
    c.ws.send('this is not JSON and is ignored');
    c.ws.send(JSON.stringify({ subscribe: { channel: 'x' }, id: 1 }));
    await api(node, 'publish', { channel: 'uni-w2', data: { still: 'here' } });
    assert.deepEqual(await c.untilJson((m) => !isPing(m)), { channel: 'uni-w2', pub: { data: { still: 'here' }, offset: 1 } });
    assert.equal(c.closed, null);
    c.close();
  });

  test('uni_websocket - a ConnectRequest that does not parse gets a 3501 disconnect push and close frame', async () => {
    const c = await UniWs.open(`${ws}?cf_connect=${encodeURIComponent('{"token":')}`);
    assert.deepEqual(await c.nextJson(), { disconnect: { code: 3501, reason: 'bad request' } });
    assert.deepEqual(await c.closedP, { code: 3501, reason: 'bad request' });
    const d = await UniWs.open(ws);
    d.ws.send('[1,2');
    assert.deepEqual(await d.nextJson(), { disconnect: { code: 3501, reason: 'bad request' } });
    assert.equal((await d.closedP).code, 3501);
  });

  test('uni_websocket - join_push_messages: pushes written together leave as one newline-joined frame', async () => {
    const c = await UniWs.open(`${ws}?${q({ token: token('w3', { channels: ['join-a', 'join-b'] }) })}`);
    const connect = await c.nextJson();
    const session = (connect['connect'] as Json)['session'];
    await api(node, 'unsubscribe', { user: 'w3', session, channel: '' });
    const frame = await c.next();
    assert.deepEqual(
      frame.split('\n').map((l) => JSON.parse(l) as Json),
      [
        { channel: 'join-a', unsubscribe: { code: 2000, reason: 'server unsubscribe' } },
        { channel: 'join-b', unsubscribe: { code: 2000, reason: 'server unsubscribe' } },
      ],
    );
    c.close();
  });

  test('uni_websocket - a disallowed Origin is refused at the upgrade with 403; an allowed one connects', async () => {
    await assert.rejects(UniWs.open(ws, { origin: 'https://evil.example' }), /HTTP 403/);
    const ok = await UniWs.open(`${ws}?${q({ token: token('w4') })}`, { origin: GOOD_ORIGIN });
    assert.ok((await ok.nextJson())['connect']);
    ok.close();
  });

  test('uni_http_stream - connect push, publications and pings as JSON lines; a server API disconnect sends its push and ends the stream', async () => {
    const r = await StreamReader.open(`${http}/connection/uni_http_stream`, 'lines', { method: 'POST', body: JSON.stringify({ token: token('h1', { channels: ['uni-h1'] }) }) });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('x-accel-buffering'), 'no');
    const connect = (await r.nextJson())['connect'] as Json;
    assert.match(connect['session'] as string, UUID);
    assert.match(r.raw, /^\{"connect":\{[^\n]*\}\}\n$/);
    await api(node, 'publish', { channel: 'uni-h1', data: { h: 1 } });
    assert.deepEqual(await r.nextJson(), { channel: 'uni-h1', pub: { data: { h: 1 }, offset: 1 } });
    assert.deepEqual(await r.nextJson(2500), {});
    await api(node, 'disconnect', { user: 'h1', disconnect: { code: 4500, reason: 'go away' } });
    assert.deepEqual(await r.untilJson((m) => !isPing(m)), { disconnect: { code: 4500, reason: 'go away' } });
    await r.done;
    assert.equal(r.ended, true);
  });

  test('uni_sse - EventSource with cf_connect gets the connect push, publications and pings; POST with a body works too', async () => {
    const { es, messages, opened } = uniEventSource(`${http}/connection/uni_sse?${q({ token: token('s1', { channels: ['uni-s1'] }) })}`);
    await opened;
    await until(() => messages.length >= 1);
    assert.match((messages[0]!['connect'] as Json)['session'] as string, UUID);
    await api(node, 'publish', { channel: 'uni-s1', data: { s: 1 } });
    await until(() => messages.some((m) => m['pub'] !== undefined));
    assert.deepEqual(messages.find((m) => m['pub'] !== undefined), { channel: 'uni-s1', pub: { data: { s: 1 }, offset: 1 } });
    await until(() => messages.some(isPing), 3000, 'a ping');
    es.close();
    const post = await StreamReader.open(`${http}/connection/uni_sse`, 'sse', { method: 'POST', body: JSON.stringify({ token: token('s2') }) });
    assert.equal(post.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.ok((await post.nextJson())['connect']);
    assert.ok(post.raw.startsWith('\r\ndata: {"connect":'));
    post.abort();
    await until(() => liveSessions(node) === 0, 3000, 'sessions released');
  });

  test('uni_grpc - connect push, publications, empty-Push pings and a disconnect push before the stream ends OK', async () => {
    const g = UniGrpc.open(grpcPort, { token: token('g1', { channels: ['uni-g1'] }) });
    const connect = await g.next();
    assert.match(connect.connect!.session, UUID);
    assert.equal(connect.connect!.pong, false);
    assert.deepEqual(Object.keys(connect.connect!.subs), ['uni-g1']);
    await api(node, 'publish', { channel: 'uni-g1', data: { g: 1 } });
    const pub = await g.next();
    assert.equal(pub.channel, 'uni-g1');
    assert.equal(pub.pub!.offset, 1n);
    assert.deepEqual(JSON.parse(td.decode(pub.pub!.data)), { g: 1 });
    const ping = await g.next(2500);
    assert.equal(ping.channel, '');
    assert.equal(ping.pub ?? ping.connect ?? ping.disconnect, undefined);
    await api(node, 'disconnect', { user: 'g1' });
    const d = await g.until((p) => p.disconnect !== undefined);
    assert.deepEqual({ code: d.disconnect!.code, reason: d.disconnect!.reason }, { code: 3503, reason: 'force disconnect' });
    await g.finished;
    assert.equal(g.error, null);
    g.close();
  });

  test('uni_grpc - a request that is not a ConnectRequest ends with INTERNAL and opens nothing', async () => {
    const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const g = new UniGrpc(client, Buffer.from([0x0a, 0xff, 0xff, 0x01]));
    await g.finished;
    assert.equal(g.error?.code, grpc.status.INTERNAL);
    assert.match(g.error?.details ?? '', /unmarshal/);
    assert.equal(liveSessions(node), 0);
    client.close();
  });

  test('session - server API subscribe / unsubscribe / refresh / disconnect with a session affect only that connection', async () => {
    const user = 'same-user';
    const t = token(user, { channels: ['sess-base'] });
    const w = await UniWs.open(`${ws}?${q({ token: t })}`);
    const h = await StreamReader.open(`${http}/connection/uni_http_stream`, 'lines', { method: 'POST', body: JSON.stringify({ token: t }) });
    const s = await StreamReader.open(`${http}/connection/uni_sse?${q({ token: t })}`, 'sse');
    const g = UniGrpc.open(grpcPort, { token: t });
    const sessions = {
      w: ((await w.nextJson())['connect'] as Json)['session'] as string,
      h: ((await h.nextJson())['connect'] as Json)['session'] as string,
      s: ((await s.nextJson())['connect'] as Json)['session'] as string,
      g: (await g.next()).connect!.session,
    };
    assert.equal(new Set(Object.values(sessions)).size, 4);
    const notPing = (m: Json): boolean => !isPing(m);

    await api(node, 'subscribe', { user, session: sessions.h, channel: 'sess-extra' });
    assert.deepEqual(await h.untilJson(notPing), { channel: 'sess-extra', subscribe: {} });
    await api(node, 'publish', { channel: 'sess-extra', data: { only: 'h' } });
    assert.deepEqual(await h.untilJson(notPing), { channel: 'sess-extra', pub: { data: { only: 'h' }, offset: 1 } });

    await api(node, 'unsubscribe', { user, session: sessions.s, channel: 'sess-base' });
    assert.deepEqual(await s.untilJson(notPing), { channel: 'sess-base', unsubscribe: { code: 2000, reason: 'server unsubscribe' } });

    const expireAt = Math.floor(Date.now() / 1000) + 3600;
    await api(node, 'refresh', { user, session: sessions.g, expire_at: expireAt });
    const refresh = await g.until((p) => p.refresh !== undefined);
    assert.equal(refresh.refresh!.expires, true);
    assert.ok(refresh.refresh!.ttl > 3500 && refresh.refresh!.ttl <= 3600);

    await api(node, 'disconnect', { user, session: sessions.w });
    assert.deepEqual(await w.untilJson(notPing), { disconnect: { code: 3503, reason: 'force disconnect' } });
    assert.equal((await w.closedP).code, 3503);

    // The others are untouched: the base channel still reaches h and g (s left it), nothing else came.
    await api(node, 'publish', { channel: 'sess-base', data: { all: true } });
    const base = { channel: 'sess-base', pub: { data: { all: true }, offset: 1 } };
    assert.deepEqual(await h.untilJson(notPing), base);
    const gp = await g.until((p) => p.pub !== undefined);
    assert.equal(gp.channel, 'sess-base');
    await sleep(100);
    for (const m of [...Array(s.pending())].map(() => s.next())) assert.ok(isPing(JSON.parse((await m) as string) as Json));
    assert.equal(liveSessions(node), 3);
    h.abort();
    s.abort();
    g.close();
    await until(() => liveSessions(node) === 0, 3000, 'sessions released');
  });

  test('connect errors - become disconnects: an expired token remapped to 4109, an unknown channel 3004, an invalid token 3500, an anonymous token 3507', async () => {
    const expired = rawToken({ sub: 'e1', exp: Math.floor(Date.now() / 1000) - 60 });
    const cases: Array<[string, Json]> = [
      [expired, { disconnect: { code: 4109, reason: 'token expired, renew' } }],
      [token('e2', { channels: ['nosuchns:x'] }), { disconnect: { code: 3004, reason: 'internal server error' } }],
      ['not.a.token', { disconnect: { code: 3500, reason: 'invalid token' } }],
      [token(''), { disconnect: { code: 3507, reason: 'permission denied' } }],
    ];
    for (const [t, want] of cases) {
      const c = await UniWs.open(`${ws}?${q({ token: t })}`);
      assert.deepEqual(await c.nextJson(), want);
      assert.equal((await c.closedP).code, (want['disconnect'] as Json)['code']);
      const sse = await StreamReader.open(`${http}/connection/uni_sse?${q({ token: t })}`, 'sse');
      assert.equal(sse.status, 200);
      assert.deepEqual(await sse.nextJson(), want);
      await sse.done;
    }
    const g = UniGrpc.open(grpcPort, { token: 'not.a.token' });
    const d = await g.next();
    assert.deepEqual({ code: d.disconnect!.code, reason: d.disconnect!.reason }, { code: 3500, reason: 'invalid token' });
    await g.finished;
    g.close();
    assert.equal(liveSessions(node), 0);
  });

  test('connect errors - uni_http_stream connect_code_to_http_response: 401 for an expired token, 403 with the configured body for an invalid one; unmapped codes get the disconnect push', async () => {
    const post = (t: string): Promise<Response> => fetch(`${http}/connection/uni_http_stream`, { method: 'POST', body: JSON.stringify({ token: t }) });
    const expired = await post(rawToken({ sub: 'x1', exp: Math.floor(Date.now() / 1000) - 60 }));
    assert.equal(expired.status, 401);
    assert.equal(await expired.text(), 'token expired');
    const invalid = await post('not.a.token');
    assert.equal(invalid.status, 403);
    assert.equal(await invalid.text(), 'forbidden here');
    const anonymous = await post(token(''));
    assert.equal(anonymous.status, 200);
    assert.equal(await anonymous.text(), '{"disconnect":{"code":3507,"reason":"permission denied"}}\n');
    assert.equal(liveSessions(node), 0);
  });

  test('server-side subscriptions - token channels recover from the position in ConnectRequest.subs; requested public channels are subscribed, private ones skipped', async () => {
    for (let i = 1; i <= 3; i++) await api(node, 'publish', { channel: 'rec:feed', data: { i } });
    const top = (await api(node, 'history', { channel: 'rec:feed', limit: 0 }))['result'] as Json;
    const c = await UniWs.open(`${ws}?${q({
      token: token('r1', { channels: ['rec:feed'] }),
      subs: { 'rec:feed': { recover: true, offset: 1, epoch: top['epoch'] }, 'open-req': {}, '$private': {} },
    })}`);
    const connect = (await c.nextJson())['connect'] as Json;
    const subs = connect['subs'] as Record<string, Json>;
    assert.deepEqual(Object.keys(subs).sort(), ['open-req', 'rec:feed']);
    const rec = subs['rec:feed']!;
    assert.equal(rec['recovered'], true);
    assert.equal(rec['was_recovering'], true);
    assert.deepEqual((rec['publications'] as Json[]).map((p) => p['data']), [{ i: 2 }, { i: 3 }]);
    await api(node, 'publish', { channel: 'open-req', data: { req: 1 } });
    assert.deepEqual(await c.untilJson((m) => !isPing(m)), { channel: 'open-req', pub: { data: { req: 1 }, offset: 1 } });
    c.close();
  });
});

describe('unidirectional transports at shutdown', () => {
  test('shutdown - every unidirectional stream gets disconnect 3001 and ends', async () => {
    const node = await startNode();
    const t = token('bye', { channels: ['bye'] });
    const w = await UniWs.open(`ws://127.0.0.1:${node.port}/connection/uni_websocket?${q({ token: t })}`);
    const h = await StreamReader.open(`${node.httpUrl}/connection/uni_http_stream`, 'lines', { method: 'POST', body: JSON.stringify({ token: t }) });
    const s = await StreamReader.open(`${node.httpUrl}/connection/uni_sse?${q({ token: t })}`, 'sse');
    const g = UniGrpc.open(node.edge!.uniGrpcPort!, { token: t });
    await w.nextJson();
    await h.nextJson();
    await s.nextJson();
    await g.next();
    assert.equal(liveSessions(node), 4);
    const stopping = node.shutdown();
    const bye = { disconnect: { code: 3001, reason: 'shutdown' } };
    assert.deepEqual(await w.untilJson((m) => !isPing(m)), bye);
    assert.deepEqual(await h.untilJson((m) => !isPing(m)), bye);
    assert.deepEqual(await s.untilJson((m) => !isPing(m)), bye);
    const d = await g.until((p) => p.disconnect !== undefined);
    assert.equal(d.disconnect!.code, 3001);
    await stopping;
    assert.equal((await w.closedP).code, 3001);
    await h.done;
    await s.done;
    await g.finished;
    g.close();
    assert.equal(liveSessions(node), 0);
  });
});
