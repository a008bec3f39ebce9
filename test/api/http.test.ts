/**
 * The HTTP server API of an embedded node, called over real HTTP: auth forms, status codes, every
 * request field, error codes, batch, the legacy endpoint, control commands and metrics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { API_KEY, apiCall, apiResult, post, recordControls, startNode } from './helpers.js';

let node: InProcessGyre;
let url: string;

before(async () => {
  node = await startNode({ prometheus: { enabled: true } });
  url = `${node.internalUrl}/api`;
});

after(async () => {
  await node.shutdown();
});

let seq = 0;
const fresh = (prefix = ''): string => `${prefix}ch-${process.pid}-${++seq}`;

test('http api - X-API-Key, Authorization: apikey and ?api_key= are each accepted', async () => {
  const body = JSON.stringify({ channel: fresh(), data: { a: 1 } });
  for (const [path, headers] of [
    ['/publish', { 'X-API-Key': API_KEY }],
    ['/publish', { Authorization: `apikey ${API_KEY}` }],
    ['/publish', { Authorization: `APIKEY ${API_KEY}` }],
    [`/publish?api_key=${API_KEY}`, {}],
  ] as const) {
    const r = await post(url + path, body, headers);
    assert.equal(r.status, 200, `${path} ${JSON.stringify(headers)}`);
    assert.ok(r.json().result, r.text);
    assert.equal(r.headers.get('content-type'), 'application/json');
  }
});

test('http api - a wrong or missing key is 401 with an empty body', async () => {
  const body = JSON.stringify({ channel: fresh(), data: 1 });
  const forms: Record<string, string>[] = [{}, { 'X-API-Key': 'wrong' }, { Authorization: 'apikey wrong' }, { Authorization: `Bearer ${API_KEY}` }, { 'X-API-Key': 'wrong', Authorization: `apikey ${API_KEY}` }];
  for (const headers of forms) {
    const r = await post(`${url}/publish`, body, headers);
    assert.equal(r.status, 401, JSON.stringify(headers));
    assert.equal(r.text, '');
  }
  const legacy = await post(url, '{"method":"info"}', {});
  assert.equal(legacy.status, 401);
  assert.equal((await post(`${url}/publish?api_key=wrong`, body, {})).status, 401);
});

test('http api - methods other than POST are 405 with an empty body', async () => {
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const r = await post(`${url}/publish`, '{}', { 'X-API-Key': API_KEY }, method);
    assert.equal(r.status, 405, method);
    assert.equal(r.text, '');
  }
  assert.equal((await post(url, '{}', { 'X-API-Key': API_KEY }, 'GET')).status, 405);
});

test('http api - an unknown or PRO method path is a plain 404', async () => {
  for (const m of ['nope', 'connections', 'publish/extra', '']) {
    const r = await post(`${url}/${m}`, '{}');
    assert.equal(r.status, 404, m);
    assert.equal(r.text, '404 page not found\n');
  }
});

test('http api - undecodable bodies are 400 Bad Request in plain text', async () => {
  for (const body of ['', 'not json', '{"channel":', '{"channel":1,"data":{}}', '{"channel":"a","data":1} trailing', '[]', '{"channel":"a","tags":{"k":1},"data":1}', '{"channel":"a","data":1,"version":-1}', '{"channel":"a","data":1,"skip_history":"yes"}']) {
    const r = await apiCall(node, 'publish', body);
    assert.equal(r.status, 400, body);
    assert.equal(r.text, 'Bad Request\n');
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  }
  const h = await apiCall(node, 'history', '{"channel":"a","limit":1.5}');
  assert.equal(h.status, 400);
});

test('http api - a body over gyre.http.max_request_body_size (1 MiB by default) is 413', async () => {
  const r = await apiCall(node, 'publish', JSON.stringify({ channel: fresh(), data: 'x'.repeat(1_100_000) }));
  assert.equal(r.status, 413);
  assert.equal(r.text, 'Request Entity Too Large\n');
  const ok = await apiCall(node, 'publish', JSON.stringify({ channel: fresh(), data: 'x'.repeat(900_000) }));
  assert.equal(ok.status, 200, 'just under the limit still works');
});

test('http api - publish: offset and epoch with history, an empty result without', async () => {
  const ch = fresh();
  const a = await apiCall(node, 'publish', { channel: ch, data: { n: 1 } });
  assert.match(a.text, /^\{"result":\{"offset":1,"epoch":"[A-Za-z]{8}"\}\}$/);
  const b = await apiResult(node, 'publish', { channel: ch, data: { n: 2 } });
  assert.equal(b.offset, 2);
  assert.equal(b.epoch, a.json().result.epoch);
  const c = await apiCall(node, 'publish', { channel: fresh('nohist:'), data: { n: 1 } });
  assert.equal(c.text, '{"result":{}}');
});

test('http api - data, b64data and tags arrive in history as published', async () => {
  const ch = fresh();
  await apiResult(node, 'publish', { channel: ch, data: { text: '<b>hi</b>', list: [1, 2] }, tags: { kind: 'news', lang: 'en' } });
  await apiCall(node, 'publish', `{"channel":"${ch}","data":  "spaced"  }`);
  await apiResult(node, 'publish', { channel: ch, b64data: Buffer.from('{"from":"b64"}').toString('base64'), data: 'ignored' });
  const h = await apiCall(node, 'history', { channel: ch, limit: -1 });
  const pubs = h.json().result.publications;
  assert.deepEqual(pubs.map((p: { data: unknown }) => p.data), [{ text: '<b>hi</b>', list: [1, 2] }, 'spaced', { from: 'b64' }]);
  assert.deepEqual(pubs[0].tags, { kind: 'news', lang: 'en' });
  assert.equal(pubs[1].tags, undefined, 'no tags: no tags field');
  assert.ok(h.text.includes('"\\u003cb\\u003ehi\\u003c/b\\u003e"'), 'data is written as Go writes it (HTML-safe escapes)');
});

test('http api - binary data in a binary namespace; history then cannot be written as JSON (500, as Centrifugo)', async () => {
  const ch = fresh('bin:');
  const r = await apiResult(node, 'publish', { channel: ch, b64data: Buffer.from([0, 1, 2, 255]).toString('base64') });
  assert.equal(r.offset, 1);
  const empty = await apiResult(node, 'publish', { channel: ch });
  assert.equal(empty.offset, 2, 'binary format accepts empty data');
  const h = await apiCall(node, 'history', { channel: ch, limit: -1 });
  assert.equal(h.status, 500);
  assert.equal(h.text, 'Internal Server Error\n');
});

test('http api - API errors are 200 with {"error":{code,message}} and the documented codes', async () => {
  const cases: [string, unknown, number][] = [
    ['publish', { data: 1 }, 107],
    ['publish', { channel: 'a' }, 107],
    ['publish', { channel: 'missing:a', data: 1 }, 102],
    ['publish', { channel: 'a', b64data: 'not base64!' }, 107],
    ['publish', { channel: fresh('json:'), b64data: Buffer.from('{bad').toString('base64') }, 107],
    ['publish', { channel: fresh('obj:'), data: [1] }, 107],
    ['broadcast', { channels: [], data: 1 }, 107],
    ['broadcast', { data: 1 }, 107],
    ['broadcast', { channels: ['a'], b64data: '@@' }, 107],
    ['subscribe', { user: 'u' }, 107],
    ['subscribe', { user: 'u', channel: 'missing:x' }, 102],
    ['unsubscribe', { user: 'u', channel: 'missing:x' }, 102],
    ['presence', {}, 107],
    ['presence', { channel: 'nohist:a' }, 108],
    ['presence_stats', { channel: 'missing:a' }, 102],
    ['history', { channel: 'nohist:a' }, 108],
    ['history_remove', { channel: '' }, 107],
    ['rpc', { method: 'anything', params: {} }, 104],
    ['rpc', {}, 107],
  ];
  for (const [method, params, code] of cases) {
    const r = await apiCall(node, method, params);
    assert.equal(r.status, 200, `${method} ${JSON.stringify(params)}`);
    const messages: Record<number, string> = { 102: 'unknown channel', 104: 'not found', 107: 'bad request', 108: 'not available' };
    assert.equal(r.text, `{"error":{"code":${code},"message":"${messages[code]}"}}`, `${method} ${JSON.stringify(params)}`);
  }
});

test('http api - X-Centrifugo-Error-Mode: transport maps API errors to HTTP statuses', async () => {
  const transport = { 'X-Centrifugo-Error-Mode': 'transport' };
  const cases: [string, unknown, number, number][] = [
    ['publish', { channel: '' }, 400, 107],
    ['publish', { channel: 'missing:x', data: 1 }, 404, 102],
    ['rpc', { method: 'm' }, 404, 104],
    ['presence', { channel: 'nohist:x' }, 400, 108],
  ];
  for (const [method, params, status, code] of cases) {
    const r = await apiCall(node, method, params, transport);
    assert.equal(r.status, status, method);
    assert.deepEqual(r.json(), { code, message: r.json().message });
    assert.ok(!('error' in r.json()));
  }
  const ch = fresh();
  await apiResult(node, 'publish', { channel: ch, data: 1 });
  const r = await apiCall(node, 'history', { channel: ch, limit: 1, since: { offset: 0, epoch: 'notepoch' } }, transport);
  assert.equal(r.status, 416);
  assert.deepEqual(r.json(), { code: 112, message: 'unrecoverable position' });
  const okr = await apiCall(node, 'publish', { channel: ch, data: 1 }, transport);
  assert.equal(okr.status, 200, 'successes are unchanged');
  const other = await apiCall(node, 'publish', { channel: '' }, { 'X-Centrifugo-Error-Mode': 'Transport' });
  assert.equal(other.status, 200, 'only the exact value "transport" switches the mode');
});

test('http api - idempotency_key: the same result within the window and nothing re-published', async () => {
  const ch = fresh();
  const first = await apiCall(node, 'publish', { channel: ch, data: { v: 1 }, idempotency_key: 'k1' });
  const again = await apiCall(node, 'publish', { channel: ch, data: { v: 2 }, idempotency_key: 'k1' });
  assert.equal(again.text, first.text);
  const other = await apiResult(node, 'publish', { channel: ch, data: { v: 3 }, idempotency_key: 'k2' });
  assert.equal(other.offset, 2);
  const h = await apiResult(node, 'history', { channel: ch, limit: -1 });
  assert.deepEqual(h.publications.map((p: { data: unknown }) => p.data), [{ v: 1 }, { v: 3 }]);
  const nh = fresh('nohist:');
  assert.equal((await apiCall(node, 'publish', { channel: nh, data: 1, idempotency_key: 'x' })).text, '{"result":{}}');
  const b1 = await apiResult(node, 'broadcast', { channels: [fresh(), fresh()], data: 1, idempotency_key: 'bk' });
  assert.equal(b1.responses.length, 2);
});

test('http api - version / version_epoch: stale versions are dropped silently, a new epoch is accepted', async () => {
  const ch = fresh();
  const a = await apiResult(node, 'publish', { channel: ch, data: 'v5', version: 5, version_epoch: 'e1' });
  const stale = await apiResult(node, 'publish', { channel: ch, data: 'v4', version: 4, version_epoch: 'e1' });
  assert.equal(stale.offset, a.offset, 'suppressed: the current top, no error');
  const newer = await apiResult(node, 'publish', { channel: ch, data: 'v6', version: 6, version_epoch: 'e1' });
  assert.equal(newer.offset, a.offset + 1);
  const otherEpoch = await apiResult(node, 'publish', { channel: ch, data: 'v1', version: 1, version_epoch: 'e2' });
  assert.equal(otherEpoch.offset, a.offset + 2);
  const h = await apiResult(node, 'history', { channel: ch, limit: -1 });
  assert.deepEqual(h.publications.map((p: { data: unknown }) => p.data), ['v5', 'v6', 'v1']);
});

test('http api - skip_history publishes without storing and without a position', async () => {
  const ch = fresh();
  await apiResult(node, 'publish', { channel: ch, data: 1 });
  const r = await apiCall(node, 'publish', { channel: ch, data: 2, skip_history: true });
  assert.equal(r.text, '{"result":{}}');
  const h = await apiResult(node, 'history', { channel: ch, limit: -1 });
  assert.equal(h.publications.length, 1);
  assert.equal(h.offset, 1);
});

test('http api - delta flag and delta_publish namespaces publish normally', async () => {
  const a = await apiResult(node, 'publish', { channel: fresh(), data: { a: 1 }, delta: true });
  assert.equal(a.offset, 1);
  const b = await apiResult(node, 'publish', { channel: fresh('delta:'), data: { a: 1 } });
  assert.equal(b.offset, 1);
});

test('http api - history: limit 0 is the position, -1 everything, since / reverse iterate, 112 on a foreign epoch', async () => {
  const ch = fresh();
  for (let i = 1; i <= 6; i++) await apiResult(node, 'publish', { channel: ch, data: i });
  const top = await apiCall(node, 'history', { channel: ch });
  assert.match(top.text, /^\{"result":\{"publications":\[\],"epoch":"[A-Za-z]{8}","offset":6\}\}$/);
  const epoch = top.json().result.epoch;
  const data = (r: { publications: { data: number; offset: number }[] }): number[] => r.publications.map((p) => p.data);
  assert.deepEqual(data(await apiResult(node, 'history', { channel: ch, limit: -1 })), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(data(await apiResult(node, 'history', { channel: ch, limit: 2 })), [1, 2]);
  assert.deepEqual(data(await apiResult(node, 'history', { channel: ch, limit: 2, reverse: true })), [6, 5]);
  assert.deepEqual(data(await apiResult(node, 'history', { channel: ch, limit: 2, since: { offset: 2, epoch } })), [3, 4]);
  assert.deepEqual(data(await apiResult(node, 'history', { channel: ch, limit: 2, since: { offset: 5, epoch }, reverse: true })), [4, 3]);
  assert.deepEqual(data(await apiResult(node, 'history', { channel: ch, limit: -1, since: { offset: 4 } })), [5, 6], 'an empty epoch skips the check');
  const withOffsets = await apiResult(node, 'history', { channel: ch, limit: 1 });
  assert.equal(withOffsets.publications[0].offset, 1);
  const bad = await apiCall(node, 'history', { channel: ch, limit: 1, since: { offset: 1, epoch: 'xxxxxxxx' } });
  assert.equal(bad.text, '{"error":{"code":112,"message":"unrecoverable position"}}');
  const rev0 = await apiCall(node, 'history', { channel: ch, limit: 1, reverse: true, since: { offset: 0, epoch } });
  assert.equal(rev0.json().error.code, 100, 'reverse from offset 0: 100, as in Centrifugo');
});

test('http api - history_remove drops publications but keeps the position', async () => {
  const ch = fresh();
  for (let i = 0; i < 3; i++) await apiResult(node, 'publish', { channel: ch, data: i });
  const before = await apiResult(node, 'history', { channel: ch });
  assert.equal((await apiCall(node, 'history_remove', { channel: ch })).text, '{"result":{}}');
  const after = await apiResult(node, 'history', { channel: ch, limit: -1 });
  assert.deepEqual(after.publications, []);
  assert.equal(after.offset, 3);
  assert.equal(after.epoch, before.epoch);
  const next = await apiResult(node, 'publish', { channel: ch, data: 'next' });
  assert.equal(next.offset, 4);
});

test('http api - presence and presence_stats of a channel nobody is in', async () => {
  const ch = fresh();
  assert.equal((await apiCall(node, 'presence', { channel: ch })).text, '{"result":{"presence":{}}}');
  assert.equal((await apiCall(node, 'presence_stats', { channel: ch })).text, '{"result":{"num_clients":0,"num_users":0}}');
});

test('http api - broadcast answers per channel, in order, with per-channel errors', async () => {
  const a = fresh();
  const r = await apiCall(node, 'broadcast', { channels: [a, '', 'missing:x', fresh('nohist:'), fresh('obj:')], data: 'text' });
  const res = r.json().result.responses;
  assert.equal(res.length, 5);
  assert.deepEqual(res[0].result.offset, 1);
  assert.deepEqual(res[1], { error: { code: 107, message: 'bad request' } });
  assert.deepEqual(res[2], { error: { code: 102, message: 'unknown channel' } });
  assert.deepEqual(res[3], { result: {} });
  assert.deepEqual(res[4], { error: { code: 107, message: 'bad request' } }, 'json_object namespace rejects a string');
  const h = await apiResult(node, 'history', { channel: a, limit: -1 });
  assert.deepEqual(h.publications.map((p: { data: unknown }) => p.data), ['text']);
});

test('http api - batch runs commands in order; a bad command gets its code while good ones succeed', async () => {
  const ch = fresh();
  const body = {
    commands: [
      { publish: { channel: ch, data: 1 } },
      { publish: { channel: '', data: 2 } },
      { publish: { channel: ch, b64data: '!!' } },
      null,
      {},
      { block_user: { user: 'u' } },
      { history: { channel: ch, limit: -1 } },
      { presence_stats: { channel: 'nohist:x' } },
      { info: {} },
    ],
  };
  const r = await apiCall(node, 'batch', body);
  assert.equal(r.status, 200);
  const replies = r.json().replies;
  assert.equal(replies.length, 9);
  assert.equal(replies[0].publish.offset, 1);
  assert.deepEqual(replies[1], { error: { code: 107, message: 'bad request' } });
  assert.deepEqual(replies[2], { error: { code: 107, message: 'bad request' } });
  assert.deepEqual(replies[3], { error: { code: 107, message: 'bad request' } }, 'null command');
  assert.deepEqual(replies[4], { error: { code: 104, message: 'not found' } }, 'empty command');
  assert.deepEqual(replies[5], { error: { code: 104, message: 'not found' } }, 'PRO command');
  assert.deepEqual(replies[6].history.publications.map((p: { data: number }) => p.data), [1]);
  assert.equal(replies[7].error.code, 108);
  assert.ok(replies[8].info.nodes.length >= 1);
  assert.ok(!r.text.includes('"result"'), 'replies carry the method key, not result');
});

test('http api - parallel batch answers in command order', async () => {
  const channels = Array.from({ length: 40 }, () => fresh());
  const r = await apiCall(node, 'batch', { parallel: true, commands: channels.map((channel, i) => ({ publish: { channel, data: i } })) });
  const replies = r.json().replies;
  assert.equal(replies.length, 40);
  assert.ok(replies.every((x: { publish?: { offset: number } }) => x.publish?.offset === 1));
  for (let i = 0; i < 40; i += 13) {
    const h = await apiResult(node, 'history', { channel: channels[i], limit: -1 });
    assert.deepEqual(h.publications.map((p: { data: number }) => p.data), [i]);
  }
});

test('http api - batch is not affected by transport error mode; an empty batch is {}', async () => {
  const r = await apiCall(node, 'batch', { commands: [{ publish: { channel: '' } }] }, { 'X-Centrifugo-Error-Mode': 'transport' });
  assert.equal(r.status, 200);
  assert.equal(r.json().replies[0].error.code, 107);
  assert.equal((await apiCall(node, 'batch', { commands: [] })).text, '{}');
  assert.equal((await apiCall(node, 'batch', '{"commands":{}}')).status, 400);
});

test('http api - legacy /api runs a stream of commands and answers one line each', async () => {
  const ch = fresh();
  const body = [
    JSON.stringify({ id: 1, method: 'publish', params: { channel: ch, data: { n: 1 } } }),
    JSON.stringify({ id: 2, method: 'PUBLISH', params: { channel: ch, data: { n: 2 } } }),
    JSON.stringify({ method: 6, params: { channel: ch, limit: -1 } }),
    JSON.stringify({ id: 4, method: 'info' }),
  ].join('\n') + JSON.stringify({ id: 5, method: 'presence_stats', params: { channel: ch } });
  const r = await post(url, body);
  assert.equal(r.status, 200);
  const lines = r.text.split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 5);
  assert.equal(lines[0].id, 1);
  assert.equal(lines[0].result.offset, 1);
  assert.equal(lines[1].result.offset, 2);
  assert.equal(lines[2].id, undefined);
  assert.deepEqual(lines[2].result.publications.map((p: { data: { n: number } }) => p.data.n), [1, 2]);
  assert.ok(lines[3].result.nodes.length >= 1);
  assert.deepEqual(lines[4], { id: 5, result: { num_clients: 0, num_users: 0 } });
});

test('http api - legacy /api errors: per-command codes, 400 for undecodable streams', async () => {
  const r = await post(url, [
    '{"id":1,"method":"publish","params":{"channel":""}}',
    '{"id":2,"method":"connections","params":{}}',
    '{"id":3,"method":99,"params":{}}',
    '{"id":4,"method":"channels"}',
    '{"id":5,"method":"publish","params":{"channel":5}}',
    '{"id":6,"method":"rpc","params":{"method":"x"}}',
  ].join('\n'));
  assert.equal(r.status, 200);
  const codes = r.text.split('\n').map((l) => JSON.parse(l).error?.code);
  assert.deepEqual(codes, [107, 104, 104, 107, 107, 104]);
  assert.equal((await post(url, '')).status, 400);
  const unknownName = await post(url, '{"method":"explode","params":{}}');
  assert.equal(unknownName.status, 400);
  assert.equal(unknownName.text, 'Bad Request\n');
  assert.equal((await post(url, '{"method":"info"} [1]')).status, 400);
});

test('http api - subscribe / unsubscribe / disconnect / refresh reach every edge as Control messages', async () => {
  const controls = recordControls(node.bus);
  const ok = async (method: string, params: unknown): Promise<void> => {
    assert.equal((await apiCall(node, method, params)).text, '{"result":{}}', method);
  };
  await ok('subscribe', { user: 'u1', channel: 'news', client: 'c1', session: 's1', info: { role: 'x' }, data: { welcome: true }, expire_at: 1900000000, recover_since: { offset: 3, epoch: 'ep' }, override: { presence: { value: false } } });
  await ok('subscribe', { user: '', channel: 'news' });
  await ok('unsubscribe', { user: 'u1', channel: 'news', client: 'c1' });
  await ok('unsubscribe', { user: 'u1' });
  await ok('disconnect', { user: 'u1' });
  await ok('disconnect', { user: 'u1', client: 'c2', session: 's2', whitelist: ['c3'], disconnect: { code: 4001, reason: 'custom' } });
  await ok('refresh', { user: 'u1', expire_at: 1900000000, info: { v: 2 } });
  await ok('refresh', { user: 'u1', client: 'c1', expired: true });
  for (let i = 0; i < 50 && controls.length < 8; i++) await new Promise((r) => setTimeout(r, 10));
  const ours = controls.filter((c) => c.command.case !== 'shutdown');
  assert.deepEqual(ours.map((c) => c.command.case), ['subscribe', 'subscribe', 'unsubscribe', 'unsubscribe', 'disconnect', 'disconnect', 'refresh', 'refresh']);
  assert.ok(ours.every((c) => c.originNode === node.id));
  const s = ours[0]!.command;
  assert.ok(s.case === 'subscribe');
  assert.deepEqual([s.value.target?.user, s.value.target?.client, s.value.target?.session], ['u1', 'c1', 's1']);
  assert.equal(new TextDecoder().decode(s.value.info), '{"role":"x"}');
  assert.equal(new TextDecoder().decode(s.value.data), '{"welcome":true}');
  assert.equal(s.value.expireAt, 1900000000n);
  assert.equal(s.value.recoverSince?.offset, 3n);
  assert.equal(s.value.override?.presence, false);
  const d1 = ours[4]!.command;
  assert.ok(d1.case === 'disconnect' && d1.value.code === 3503 && d1.value.reason === 'force disconnect');
  const d2 = ours[5]!.command;
  assert.ok(d2.case === 'disconnect' && d2.value.code === 4001 && d2.value.target?.session === 's2' && d2.value.whitelist[0] === 'c3');
  const r2 = ours[7]!.command;
  assert.ok(r2.case === 'refresh' && r2.value.expired && r2.value.target?.client === 'c1');
});

test('http api - metrics count commands and errors with Centrifugo names and bounded labels', async () => {
  await apiCall(node, 'publish', { channel: '' });
  await apiCall(node, 'publish', 'garbage');
  await apiCall(node, 'info', {});
  const text = (await post(`${node.internalUrl}/metrics`, '', { connection: 'close' }, 'GET')).text;
  assert.match(text, /centrifugo_api_command_duration_seconds_histogram_count\{protocol="http",method="info"\} \d+/);
  assert.match(text, /centrifugo_api_command_errors_total\{protocol="http",method="publish",error="107"\} \d+/);
  assert.match(text, /centrifugo_api_command_errors_total\{protocol="http",method="publish",error="unmarshal"\} \d+/);
  assert.match(text, /gyre_api_request_size_bytes_count\{protocol="http",method="info"\} \d+/);
  assert.ok(!/method="ch-/.test(text), 'no channel names in labels');
});
