// Every unary proxy event over HTTP, driven through the bus with callProxyEvent: the exact JSON
// body Centrifugo sends, and every result field read back from the backend's JSON.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { callProxyEvent } from '@gyre/bus';
import { enc, dec, json200, makeConfig, startDispatcher, startHttpBackend, type Harness, type HttpBackend } from './helpers.js';

let backend: HttpBackend;
let h: Harness;
// Answer per path, set by each test.
const answers = new Map<string, string>();

before(async () => {
  backend = await startHttpBackend((req, res) => json200(answers.get(req.url) ?? '{"result":{}}')(req, res));
  const u = backend.url;
  h = await startDispatcher(
    makeConfig({
      client: {
        proxy: {
          connect: { enabled: true, endpoint: `${u}/connect` },
          refresh: { enabled: true, endpoint: `${u}/refresh`, include_connection_meta: true },
        },
      },
      channel: {
        proxy: {
          subscribe: { endpoint: `${u}/subscribe`, include_connection_meta: true },
          publish: { endpoint: `${u}/publish`, include_connection_meta: true },
          sub_refresh: { endpoint: `${u}/sub_refresh`, include_connection_meta: true },
          map_publish: { endpoint: `${u}/map_publish`, include_connection_meta: true },
          map_remove: { endpoint: `${u}/map_remove` },
          shared_poll_refresh: { endpoint: `${u}/shared_poll_refresh` },
        },
      },
      rpc: { proxy: { endpoint: `${u}/rpc`, include_connection_meta: true } },
    }),
  );
});

after(async () => {
  await h?.stop();
  await backend?.close();
});

const base = { client: 'c1', transport: 'websocket', protocol: 'json' };

function lastBody(path: string): string {
  const r = [...backend.requests].reverse().find((x) => x.url === path);
  assert.ok(r, `backend saw a request on ${path}`);
  assert.equal(r.method, 'POST');
  return r.body;
}

test('http events - connect sends every request field as Centrifugo JSON and reads every result field', async () => {
  answers.set(
    '/connect',
    `{"result":{"user":"56","expire_at":1700000000,"info":{"name": "Alex"},"data":{"hello":"world"},
      "channels":["news"],"meta":{"m":1},
      "subs":{"chat:1":{"expire_at":5,"info":{"x":1},"b64data":"AAEC","override":{"presence":{"value":true},
        "join_leave":{"value":false},"force_recovery":{"value":true},"force_positioning":{"value":false},
        "force_push_join_leave":{"value":true}}}},
      "caps":[{"channels":["a"],"allow":["sub"],"match":"wildcard"}],"labels":{"k":"v"}}}`,
  );
  const out = await callProxyEvent(h.bus, h.prefix, 'connect', {
    request: { ...base, data: enc('{"token": "x"}'), name: 'js', version: '1.0', channels: ['news', 'chat:1'] },
    timeoutMs: 2000,
  });
  assert.ok('response' in out, 'transportError' in out ? out.transportError.message : '');
  assert.equal(
    lastBody('/connect'),
    '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","data":{"token":"x"},"name":"js","version":"1.0","channels":["news","chat:1"]}',
  );
  const r = out.response.result!;
  assert.equal(r.user, '56');
  assert.equal(r.expireAt, 1700000000n);
  assert.equal(dec(r.info), '{"name": "Alex"}', 'raw JSON kept byte for byte');
  assert.equal(dec(r.data), '{"hello":"world"}');
  assert.deepEqual(r.channels, ['news']);
  assert.equal(dec(r.meta), '{"m":1}');
  const sub = r.subs['chat:1']!;
  assert.equal(sub.expireAt, 5n);
  assert.equal(dec(sub.info), '{"x":1}');
  assert.deepEqual([...sub.data], [0, 1, 2], 'b64data decoded into data');
  assert.equal(sub.b64data, '');
  assert.equal(sub.override?.presence?.value, true);
  assert.equal(sub.override?.joinLeave?.value, false);
  assert.equal(sub.override?.forceRecovery?.value, true);
  assert.equal(sub.override?.forcePositioning?.value, false);
  assert.equal(sub.override?.forcePushJoinLeave?.value, true);
  assert.deepEqual(r.caps.map((c) => [c.channels, c.allow, c.match]), [[['a'], ['sub'], 'wildcard']]);
  assert.deepEqual(r.labels, { k: 'v' });
  assert.equal(out.response.error, undefined);
  assert.equal(out.response.disconnect, undefined);
});

test('http events - connect without optional fields omits them (omitempty), and a bare result is accepted', async () => {
  answers.set('/connect', '{"result":{"user":""}}');
  const out = await callProxyEvent(h.bus, h.prefix, 'connect', { request: { client: 'c2', transport: 'sse', protocol: 'json' }, timeoutMs: 2000 });
  assert.ok('response' in out);
  assert.equal(lastBody('/connect'), '{"client":"c2","transport":"sse","protocol":"json","encoding":"json"}');
  assert.equal(out.response.result?.user, '');
});

test('http events - refresh always sends user, includes meta when include_connection_meta, reads expired/expire_at/info/meta', async () => {
  answers.set('/refresh', '{"result":{"expired":false,"expire_at":123,"b64info":"aGk=","meta":{"n":2}}}');
  const out = await callProxyEvent(h.bus, h.prefix, 'refresh', {
    request: { ...base, user: '', meta: enc('{"m": 1}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in out);
  assert.equal(lastBody('/refresh'), '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","user":"","meta":{"m":1}}');
  const r = out.response.result!;
  assert.equal(r.expired, false);
  assert.equal(r.expireAt, 123n);
  assert.equal(dec(r.info), 'hi', 'b64info decoded');
  assert.equal(dec(r.meta), '{"n":2}');

  answers.set('/refresh', '{"result":{"expired":true}}');
  const expired = await callProxyEvent(h.bus, h.prefix, 'refresh', { request: { ...base, user: 'u1' }, timeoutMs: 2000 });
  assert.ok('response' in expired);
  assert.equal(expired.response.result?.expired, true);
});

test('http events - subscribe sends user/channel/token/meta/data and reads expire_at/info/data/override/allow', async () => {
  answers.set(
    '/subscribe',
    '{"result":{"expire_at":10,"info":{"ci":1},"data":"str","override":{"presence":{"value":false},"force_recovery":{"value":true}},"allow":["pub"]}}',
  );
  const out = await callProxyEvent(h.bus, h.prefix, 'subscribe', {
    request: { ...base, user: 'u1', channel: 'chat:index', token: 'tok', meta: enc('{"m":1}'), data: enc('{"d":1}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in out);
  assert.equal(
    lastBody('/subscribe'),
    '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","user":"u1","channel":"chat:index","token":"tok","meta":{"m":1},"data":{"d":1}}',
  );
  const r = out.response.result!;
  assert.equal(r.expireAt, 10n);
  assert.equal(dec(r.info), '{"ci":1}');
  assert.equal(dec(r.data), '"str"', 'a JSON string is raw JSON too');
  assert.equal(r.override?.presence?.value, false);
  assert.equal(r.override?.forceRecovery?.value, true);
  assert.equal(r.override?.joinLeave, undefined, 'absent overrides stay unset');
  assert.deepEqual(r.allow, ['pub']);
});

test('http events - publish sends data and reads the data override, skip_history and the v6.8 fields', async () => {
  answers.set(
    '/publish',
    '{"result":{"data":{"new":1},"skip_history":true,"tags":{"t":"1"},"idempotency_key":"ik","delta":true,"version":7,"version_epoch":"ep"}}',
  );
  const out = await callProxyEvent(h.bus, h.prefix, 'publish', {
    request: { ...base, user: 'u1', channel: 'chat:index', data: enc('{"input":"hello"}'), meta: enc('{"m":1}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in out);
  assert.equal(
    lastBody('/publish'),
    '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","user":"u1","channel":"chat:index","data":{"input":"hello"},"meta":{"m":1}}',
  );
  const r = out.response.result!;
  assert.equal(dec(r.data), '{"new":1}');
  assert.equal(r.skipHistory, true);
  assert.deepEqual(r.tags, { t: '1' });
  assert.equal(r.idempotencyKey, 'ik');
  assert.equal(r.delta, true);
  assert.equal(r.version, 7n);
  assert.equal(r.versionEpoch, 'ep');
});

test('http events - sub_refresh sends user/channel/meta and reads expired/expire_at/info', async () => {
  answers.set('/sub_refresh', '{"result":{"expired":true,"expire_at":9,"info":{"i":1}}}');
  const out = await callProxyEvent(h.bus, h.prefix, 'sub_refresh', {
    request: { ...base, user: 'u1', channel: 'ch', meta: enc('{"m":1}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in out);
  assert.equal(
    lastBody('/sub_refresh'),
    '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","user":"u1","channel":"ch","meta":{"m":1}}',
  );
  const r = out.response.result!;
  assert.equal(r.expired, true);
  assert.equal(r.expireAt, 9n);
  assert.equal(dec(r.info), '{"i":1}');
});

test('http events - rpc sends method/data/meta and reads result data', async () => {
  answers.set('/rpc', '{"result":{"data":{"answer":"2019"}}}');
  const out = await callProxyEvent(h.bus, h.prefix, 'rpc', {
    request: { ...base, user: '56', method: 'getCurrentPrice', data: enc('{"params": {"object_id": 12}}'), meta: enc('{"m":1}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in out);
  assert.equal(
    lastBody('/rpc'),
    '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","user":"56","method":"getCurrentPrice","data":{"params":{"object_id":12}},"meta":{"m":1}}',
  );
  assert.equal(dec(out.response.result!.data), '{"answer":"2019"}');
});

test('http events - rpc with an empty user still sends "user":"" (Centrifugo strips omitempty from user)', async () => {
  answers.set('/rpc', '{"result":{}}');
  const out = await callProxyEvent(h.bus, h.prefix, 'rpc', { request: { ...base, method: 'm' }, timeoutMs: 2000 });
  assert.ok('response' in out);
  assert.equal(lastBody('/rpc'), '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","user":"","method":"m"}');
});

test('http events - custom error and custom disconnect from the backend are passed on unchanged', async () => {
  answers.set('/subscribe', '{"error":{"code":403,"message":"permission denied","temporary":true}}');
  const e = await callProxyEvent(h.bus, h.prefix, 'subscribe', { request: { ...base, user: 'u', channel: 'x' }, timeoutMs: 2000 });
  assert.ok('response' in e);
  assert.deepEqual([e.response.error?.code, e.response.error?.message, e.response.error?.temporary], [403, 'permission denied', true]);
  assert.equal(e.response.result, undefined);

  answers.set('/connect', '{"disconnect":{"code":4501,"reason":"unauthorized"}}');
  const d = await callProxyEvent(h.bus, h.prefix, 'connect', { request: base, timeoutMs: 2000 });
  assert.ok('response' in d);
  assert.deepEqual([d.response.disconnect?.code, d.response.disconnect?.reason], [4501, 'unauthorized']);
});

test('http events - map_publish, map_remove and shared_poll_refresh round-trip', async () => {
  answers.set('/map_publish', '{"result":{"key":"k2","b64data":"AQI="}}');
  const mp = await callProxyEvent(h.bus, h.prefix, 'map_publish', {
    request: { ...base, user: 'u', channel: 'm', key: 'k', data: enc('{"v":1}'), meta: enc('{}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in mp);
  assert.equal(
    lastBody('/map_publish'),
    '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","user":"u","channel":"m","key":"k","data":{"v":1},"meta":{}}',
  );
  assert.equal(mp.response.result?.key, 'k2');
  assert.deepEqual([...mp.response.result!.data], [1, 2]);

  answers.set('/map_remove', '{"result":{}}');
  const mr = await callProxyEvent(h.bus, h.prefix, 'map_remove', {
    request: { ...base, user: 'u', channel: 'm', key: 'k', meta: enc('{"m":1}') },
    timeoutMs: 2000,
  });
  assert.ok('response' in mr);
  assert.equal(
    lastBody('/map_remove'),
    '{"client":"c1","transport":"websocket","protocol":"json","encoding":"json","user":"u","channel":"m","key":"k"}',
    'meta dropped: include_connection_meta is off for this proxy',
  );
  assert.ok(mr.response.result);

  answers.set('/shared_poll_refresh', '{"result":{"items":[{"key":"a","data":{"x":1},"version":3},{"key":"b","removed":true}]}}');
  const sp = await callProxyEvent(h.bus, h.prefix, 'shared_poll_refresh', {
    request: { channel: 'poll', items: [{ key: 'a', version: 2n }, { key: 'b', version: 0n }] },
    timeoutMs: 2000,
  });
  assert.ok('response' in sp);
  assert.equal(lastBody('/shared_poll_refresh'), '{"channel":"poll","items":[{"key":"a","version":2},{"key":"b"}]}');
  const items = sp.response.result!.items;
  assert.deepEqual(
    items.map((i) => [i.key, dec(i.data), i.version, i.removed]),
    [
      ['a', '{"x":1}', 3n, false],
      ['b', '', 0n, true],
    ],
  );
});
