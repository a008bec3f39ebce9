/**
 * The shared method layer with in-process stores and a recording control channel: validation
 * order and codes, publish options, the Control messages the edges get, batch semantics, metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { parseConfigText } from '@gyre/config';
import { createMetrics, silentLogger } from '@gyre/observability';
import { api, bus as busPb } from '@gyre/protocol';
import { MemoryHistoryStore, MemoryPresenceStore, type PublicationInput, type PublishOptions } from '@gyre/store';
import { decodeJson } from '../src/codec.js';
import type { ControlCommand } from '../src/control.js';
import { Executor, METHODS, type Outcome } from '../src/executor.js';
import { apiMetrics } from '../src/metrics.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function setup(nodes: busPb.NodeInfo[] = []) {
  const { config } = parseConfigText(JSON.stringify({
    channel: {
      without_namespace: { presence: true, history_size: 10, history_ttl: '60s' },
      namespaces: [
        { name: 'nohist' },
        { name: 'json', publication_data_format: 'json' },
        { name: 'obj', publication_data_format: 'json_object' },
        { name: 'bin', publication_data_format: 'binary', history_size: 5, history_ttl: '60s' },
        { name: 'delta', delta_publish: true },
        { name: 'map', subscription_type: 'map', map: { mode: 'ephemeral', key_ttl: '60s' } },
      ],
    },
  }), 'config.json', { overrides: {} });
  const history = new MemoryHistoryStore();
  const presence = new MemoryPresenceStore();
  const published: { channel: string; pub: PublicationInput; opts: PublishOptions }[] = [];
  const controls: ControlCommand[] = [];
  const metrics = createMetrics({ version: 'test', defaultMetrics: false });
  const surveys: string[] = [];
  const ex = new Executor({
    config,
    publisher: {
      async publish(channel, pub, opts) {
        published.push({ channel, pub, opts });
        if ((opts.historySize > 0 && opts.historyTtlMs > 0) || opts.idempotencyKey) {
          const r = await history.addPublication(channel, pub, opts);
          return { position: r.position, suppressed: r.suppressed };
        }
        return { position: { offset: 0n, epoch: '' }, suppressed: false };
      },
    },
    history,
    presence,
    control: { send: (c) => void controls.push(c) },
    nodes: { list: () => nodes },
    channels: {
      async survey(pattern) {
        surveys.push(pattern);
        return new Map([['a', 2], ['b', 1]]);
      },
    },
    logger: silentLogger(),
    metrics: apiMetrics(metrics),
  });
  const run = async (method: string, body: string): Promise<Outcome> => {
    const m = METHODS.get(method)!;
    return ex.call(m, decodeJson(m.request, enc(body)), 'http');
  };
  return { ex, run, history, presence, published, controls, metrics, surveys };
}

const code = (o: Outcome): number | undefined => o.error?.code;

test('executor - publish validation order: channel, base64, namespace, subscription type, data format', async () => {
  const { run } = setup();
  assert.equal(code(await run('publish', '{"data":1}')), 107);
  assert.equal(code(await run('publish', '{"channel":"x:y","b64data":"%%%"}')), 107, 'bad base64 before the namespace');
  assert.equal(code(await run('publish', '{"channel":"x:y","data":1}')), 102);
  assert.equal(code(await run('publish', '{"channel":"map:y","data":1}')), 107);
  assert.equal(code(await run('publish', '{"channel":"a"}')), 107, 'empty data');
  assert.equal(code(await run('publish', '{"channel":"json:a","b64data":"eyJh"}')), 107, 'not JSON');
  assert.equal(code(await run('publish', '{"channel":"obj:a","data":[1]}')), 107, 'not an object');
  assert.equal(code(await run('publish', '{"channel":"obj:a","data":{"a":1}}')), undefined);
  assert.equal(code(await run('publish', '{"channel":"bin:a"}')), undefined, 'binary allows empty data');
});

test('executor - publish passes history, tags, delta, version and idempotency options through', async () => {
  const { run, published } = setup();
  const out = await run('publish', '{"channel":"a","data":{"x":1},"tags":{"t":"1"},"idempotency_key":"k","version":7,"version_epoch":"v1"}');
  assert.equal(out.result && (out.result as api.PublishResult).offset, 1n);
  const p = published[0]!;
  assert.equal(new TextDecoder().decode(p.pub.data), '{"x":1}');
  assert.deepEqual(p.pub.tags, { t: '1' });
  assert.equal(p.opts.historySize, 10);
  assert.equal(p.opts.historyTtlMs, 60_000);
  assert.equal(p.opts.idempotencyKey, 'k');
  assert.equal(p.opts.idempotentResultTtlMs, 300_000);
  assert.equal(p.opts.version, 7n);
  assert.equal(p.opts.versionEpoch, 'v1');
  assert.equal(p.opts.useDelta, false);

  await run('publish', '{"channel":"a","data":1,"skip_history":true}');
  assert.equal(published[1]!.opts.historySize, 0);
  assert.equal(published[1]!.opts.historyTtlMs, 0);
  await run('publish', '{"channel":"delta:a","data":1}');
  assert.equal(published[2]!.opts.useDelta, true, 'delta_publish forces delta');
  await run('publish', '{"channel":"nohist:a","b64data":"AAE="}');
  assert.deepEqual([...published[3]!.pub.data], [0, 1], 'b64data wins and is binary');
});

test('executor - idempotent publish returns the first result and stores once', async () => {
  const { run, history } = setup();
  const a = await run('publish', '{"channel":"a","data":1,"idempotency_key":"same"}');
  const b = await run('publish', '{"channel":"a","data":2,"idempotency_key":"same"}');
  assert.deepEqual(a.result, b.result);
  const h = await history.history('a', { limit: -1, reverse: false }, { metaTtlMs: 0 });
  assert.equal(h.publications.length, 1);
});

test('executor - broadcast: top-level 107 for no channels or bad base64, per-channel errors in order', async () => {
  const { run, metrics } = setup();
  assert.equal(code(await run('broadcast', '{"channels":[],"data":1}')), 107);
  assert.equal(code(await run('broadcast', '{"channels":["a"],"b64data":"x"}')), 107);
  const out = await run('broadcast', '{"channels":["a","","x:y","json:a","nohist:b"],"data":"not json"}');
  const res = out.result as api.BroadcastResult;
  // "not json" is a JSON string, so the json namespace accepts it.
  assert.deepEqual(res.responses.map((r) => r.error?.code ?? 0), [0, 107, 102, 0, 0]);
  assert.equal(res.responses[0]!.result?.offset, 1n);
  assert.equal(res.responses[4]!.result?.offset, 0n);
  const errors = await metrics.apiCommandErrors.get();
  const bp = errors.values.filter((v) => v.labels['method'] === 'broadcast_publish');
  assert.equal(bp.reduce((n, v) => n + v.value, 0), 2);
});

test('executor - broadcast validates the data format per channel', async () => {
  const { run } = setup();
  const out = await run('broadcast', '{"channels":["json:a","obj:b","a"],"b64data":"bm90IGpzb24="}');
  assert.deepEqual((out.result as api.BroadcastResult).responses.map((r) => r.error?.code ?? 0), [107, 107, 0]);
});

test('executor - subscribe / unsubscribe / disconnect / refresh become Control commands', async () => {
  const { run, controls } = setup();
  assert.equal(code(await run('subscribe', '{"user":"u"}')), 107);
  assert.equal(code(await run('subscribe', '{"channel":"x:y","user":"u"}')), 102);
  assert.equal(code(await run('subscribe', '{"channel":"a","b64info":"?"}')), 107);
  assert.equal(controls.length, 0);
  await run('subscribe', '{"channel":"a","user":"u","client":"c","session":"s","info":{"i":1},"b64data":"AA==","expire_at":99,"recover_since":{"offset":18446744073709551615,"epoch":"e"},"override":{"presence":{"value":false},"join_leave":{"value":true}}}');
  const s = controls[0]!;
  assert.equal(s.case, 'subscribe');
  if (s.case === 'subscribe') {
    assert.deepEqual({ ...s.value.target, $typeName: undefined }, { $typeName: undefined, user: 'u', client: 'c', session: 's', allUsers: false });
    assert.equal(s.value.channel, 'a');
    assert.equal(new TextDecoder().decode(s.value.info), '{"i":1}');
    assert.deepEqual([...s.value.data], [0]);
    assert.equal(s.value.expireAt, 99n);
    assert.equal(s.value.recoverSince?.offset, 18446744073709551615n);
    assert.equal(s.value.override?.presence, false);
    assert.equal(s.value.override?.joinLeave, true);
    assert.equal(s.value.override?.forceRecovery, undefined);
  }
  assert.equal(code(await run('unsubscribe', '{"user":"u","channel":"x:y"}')), 102);
  await run('unsubscribe', '{"user":"u"}');
  assert.equal(controls[1]!.case, 'unsubscribe');
  await run('disconnect', '{"user":"u","whitelist":["keep"]}');
  const d = controls[2]!;
  assert.ok(d.case === 'disconnect' && d.value.code === 3503 && d.value.reason === 'force disconnect' && d.value.whitelist[0] === 'keep');
  await run('disconnect', '{"user":"u","disconnect":{"code":4500,"reason":"bye"}}');
  const d2 = controls[3]!;
  assert.ok(d2.case === 'disconnect' && d2.value.code === 4500 && d2.value.reason === 'bye');
  await run('refresh', '{"user":"u","expired":true}');
  const r = controls[4]!;
  assert.ok(r.case === 'refresh' && r.value.expired && r.value.info === undefined);
  await run('refresh', '{"user":"u","info":{"n":2},"expire_at":5}');
  const r2 = controls[5]!;
  assert.ok(r2.case === 'refresh' && r2.value.expireAt === 5n && new TextDecoder().decode(r2.value.info) === '{"n":2}');
});

test('executor - a control channel failure is 100', async () => {
  const { config } = parseConfigText('{}', 'c.json', { overrides: {} });
  const ex = new Executor({
    config,
    publisher: { publish: async () => ({ position: { offset: 0n, epoch: '' }, suppressed: false }) },
    history: new MemoryHistoryStore(),
    presence: new MemoryPresenceStore(),
    control: { send: () => { throw new Error('bus closed'); } },
    nodes: { list: () => [] },
    channels: { survey: async () => new Map() },
    logger: silentLogger(),
    metrics: apiMetrics(undefined),
  });
  const out = await ex.disconnect(create(api.DisconnectRequestSchema, { user: 'u' }));
  assert.equal(out.error?.code, 100);
});

test('executor - presence and history need the namespace features (108) and a channel (107)', async () => {
  const { run, presence } = setup();
  assert.equal(code(await run('presence', '{}')), 107);
  assert.equal(code(await run('presence', '{"channel":"x:a"}')), 102);
  assert.equal(code(await run('presence', '{"channel":"nohist:a"}')), 108);
  assert.equal(code(await run('presence_stats', '{"channel":"nohist:a"}')), 108);
  assert.equal(code(await run('history', '{"channel":"nohist:a"}')), 108);
  assert.equal(code(await run('history_remove', '{"channel":"nohist:a"}')), 108);
  await presence.addPresence('a', 'c1', { user: 'u1', client: 'c1', connInfo: enc('{"n":1}') });
  await presence.addPresence('a', 'c2', { user: 'u1', client: 'c2' });
  const p = (await run('presence', '{"channel":"a"}')).result as api.PresenceResult;
  assert.deepEqual(Object.keys(p.presence).sort(), ['c1', 'c2']);
  assert.equal(new TextDecoder().decode(p.presence['c1']!.connInfo), '{"n":1}');
  const s = (await run('presence_stats', '{"channel":"a"}')).result as api.PresenceStatsResult;
  assert.equal(s.numClients, 2);
  assert.equal(s.numUsers, 1);
});

test('executor - history since / limit / reverse, 112 on a foreign epoch, 100 for reverse from 0', async () => {
  const { run } = setup();
  for (let i = 1; i <= 5; i++) await run('publish', `{"channel":"a","data":${i},"tags":{"i":"${i}"}}`);
  const top = (await run('history', '{"channel":"a"}')).result as api.HistoryResult;
  assert.equal(top.publications.length, 0);
  assert.equal(top.offset, 5n);
  const epoch = top.epoch;
  const all = (await run('history', '{"channel":"a","limit":-1}')).result as api.HistoryResult;
  assert.deepEqual(all.publications.map((p) => p.offset), [1n, 2n, 3n, 4n, 5n]);
  assert.deepEqual(all.publications[0]!.tags, { i: '1' });
  const last2 = (await run('history', '{"channel":"a","limit":2,"reverse":true}')).result as api.HistoryResult;
  assert.deepEqual(last2.publications.map((p) => p.offset), [5n, 4n]);
  const after2 = (await run('history', `{"channel":"a","limit":2,"since":{"offset":2,"epoch":"${epoch}"}}`)).result as api.HistoryResult;
  assert.deepEqual(after2.publications.map((p) => p.offset), [3n, 4n]);
  assert.equal(code(await run('history', '{"channel":"a","limit":1,"since":{"offset":2,"epoch":"other"}}')), 112);
  assert.equal(code(await run('history', '{"channel":"a","limit":1,"reverse":true,"since":{"offset":0}}')), 100);
  assert.equal(code(await run('history_remove', '{"channel":"a"}')), undefined);
  const after = (await run('history', '{"channel":"a","limit":-1}')).result as api.HistoryResult;
  assert.equal(after.publications.length, 0);
  assert.equal(after.offset, 5n, 'the stream position survives history_remove');
  assert.equal(after.epoch, epoch);
});

test('executor - info lists the registry nodes; channels surveys with the pattern; rpc is 104 / 107', async () => {
  const node = create(busPb.NodeInfoSchema, { uid: 'n1', name: 'one', version: '1', numClients: 3, numUsers: 2, numSubs: 4, numChannels: 1, uptime: 9 });
  node.metrics = create(busPb.NodeMetricsSchema, { interval: 60, items: { a: 1.5 } });
  const { run, surveys } = setup([node]);
  const info = (await run('info', '{}')).result as api.InfoResult;
  assert.equal(info.nodes.length, 1);
  assert.equal(info.nodes[0]!.version, '1 OSS', 'heartbeats carry the plain version; info says "<version> OSS"');
  assert.equal(info.nodes[0]!.numClients, 3);
  assert.equal(info.nodes[0]!.metrics?.items['a'], 1.5);
  const ch = (await run('channels', '{"pattern":"a*"}')).result as api.ChannelsResult;
  assert.equal(surveys[0], 'a*');
  assert.equal(ch.channels['a']!.numClients, 2);
  assert.equal(code(await run('rpc', '{}')), 107);
  assert.equal(code(await run('rpc', '{"method":"x","params":{}}')), 104);
});

test('executor - map and shared poll methods validate like Centrifugo, then answer 108', async () => {
  const { run } = setup();
  assert.equal(code(await run('map_publish', '{"channel":"map:a"}')), 107, 'key required');
  assert.equal(code(await run('map_publish', '{"channel":"a","key":"k"}')), 107, 'not a map namespace');
  assert.equal(code(await run('map_publish', '{"channel":"x:a","key":"k"}')), 102);
  assert.equal(code(await run('map_publish', '{"channel":"map:a","key":"k","data":1}')), 108);
  assert.equal(code(await run('map_stats', '{"channel":"map:a"}')), 108);
  assert.equal(code(await run('shared_poll_publish', '{"channel":"a","key":"k","version":1}')), 107);
});

test('executor - batch: sequential order, a bad command among good ones, null and unknown commands', async () => {
  const { run, metrics } = setup();
  const out = await run('batch', '{"commands":[{"publish":{"channel":"a","data":1}},{"publish":{"channel":""}},null,{},{"connections":{}},{"publish":{"channel":"a","data":2}},{"history":{"channel":"a","limit":-1}}]}');
  const replies = (out.result as api.BatchResponse).replies;
  assert.equal(replies.length, 7);
  assert.equal(replies[0]!.publish?.offset, 1n);
  assert.equal(replies[1]!.error?.code, 107);
  assert.equal(replies[2]!.error?.code, 107);
  assert.equal(replies[3]!.error?.code, 104);
  assert.equal(replies[4]!.error?.code, 104, 'PRO command');
  assert.equal(replies[5]!.publish?.offset, 2n);
  assert.deepEqual(replies[6]!.history?.publications.map((p) => p.offset), [1n, 2n], 'sequential: the history sees both publishes');
  const errs = await metrics.apiCommandErrors.get();
  assert.ok(errs.values.some((v) => v.labels['method'] === 'publish' && v.labels['error'] === '107'));
  assert.ok(errs.values.some((v) => v.labels['method'] === 'unknown' && v.labels['error'] === '104'));
});

test('executor - parallel batch answers in command order', async () => {
  const { run } = setup();
  const commands = Array.from({ length: 50 }, (_, i) => `{"publish":{"channel":"nohist:c${i}","data":${i}}}`);
  commands.push('{"rpc":{}}');
  const out = await run('batch', `{"parallel":true,"commands":[${commands.join(',')}]}`);
  const replies = (out.result as api.BatchResponse).replies;
  assert.equal(replies.length, 51);
  assert.ok(replies.slice(0, 50).every((r) => r.publish !== undefined && r.error === undefined));
  assert.equal(replies[50]!.error?.code, 107);
});

test('executor - durations are observed per protocol and method', async () => {
  const { ex, metrics } = setup();
  await ex.call(METHODS.get('info')!, create(api.InfoRequestSchema), 'grpc');
  const h = await metrics.apiCommandDuration.get();
  assert.ok(h.values.some((v) => v.labels['protocol'] === 'grpc' && v.labels['method'] === 'info' && v.metricName?.endsWith('_count') && v.value === 1));
});
