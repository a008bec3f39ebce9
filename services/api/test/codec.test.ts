import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { api } from '@gyre/protocol';
import { decodeJson, encodeJson, isNullElement } from '../src/codec.js';
import { JsonEncodeError, JsonSyntaxError, JsonTypeError } from '../src/json.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

test('codec - decodes a publish request with raw data kept byte for byte', () => {
  const req = decodeJson<api.PublishRequest>(api.PublishRequestSchema, bytes('{"channel":"ch","data": { "a" : 1 },"tags":{"k":"v"},"skip_history":true,"idempotency_key":"x","delta":true,"version":18446744073709551615,"version_epoch":"e"}'));
  assert.equal(req.channel, 'ch');
  assert.equal(text(req.data), '{ "a" : 1 }');
  assert.deepEqual(req.tags, { k: 'v' });
  assert.equal(req.skipHistory, true);
  assert.equal(req.idempotencyKey, 'x');
  assert.equal(req.delta, true);
  assert.equal(req.version, 18446744073709551615n);
  assert.equal(req.versionEpoch, 'e');
});

test('codec - raw fields take any JSON value, null included (Go Raw semantics)', () => {
  for (const v of ['"str"', '42', '[1,2]', 'true', 'null']) {
    const req = decodeJson<api.PublishRequest>(api.PublishRequestSchema, bytes(`{"channel":"c","data":${v}}`));
    assert.equal(text(req.data), v);
  }
});

test('codec - keys match exactly, else case-insensitively; unknown keys are ignored; the last duplicate wins', () => {
  const req = decodeJson<api.PublishRequest>(api.PublishRequestSchema, bytes('{"CHANNEL":"a","Skip_History":true,"unknown":{"deep":[1,2,{}]},"channel":"b"}'));
  assert.equal(req.channel, 'b');
  assert.equal(req.skipHistory, true);
});

test('codec - null leaves scalars at zero and clears lists and messages', () => {
  const req = decodeJson<api.HistoryRequest>(api.HistoryRequestSchema, bytes('{"channel":null,"limit":null,"since":{"offset":5},"since":null}'));
  assert.equal(req.channel, '');
  assert.equal(req.limit, 0);
  assert.equal(req.since, undefined);
  const b = decodeJson<api.BroadcastRequest>(api.BroadcastRequestSchema, bytes('{"channels":["a"],"channels":null}'));
  assert.deepEqual(b.channels, []);
});

test('codec - a null document decodes to an empty request, as json.Unmarshal into a struct does', () => {
  const req = decodeJson<api.PublishRequest>(api.PublishRequestSchema, bytes(' null '));
  assert.equal(req.channel, '');
});

test('codec - wrong types are type errors; malformed JSON and empty bodies are syntax errors', () => {
  const cases: [string, typeof JsonTypeError | typeof JsonSyntaxError][] = [
    ['{"channel":1}', JsonTypeError],
    ['{"channel":"a","skip_history":"true"}', JsonTypeError],
    ['{"channels":"a"}', JsonTypeError],
    ['{"tags":{"a":1}}', JsonTypeError],
    ['[]', JsonTypeError],
    ['"x"', JsonTypeError],
    ['', JsonSyntaxError],
    ['{', JsonSyntaxError],
    ['{"channel":"a"} {}', JsonSyntaxError],
    ['{"channel":"a",}', JsonSyntaxError],
  ];
  for (const [body, kind] of cases) {
    const schema = body.includes('channels') ? api.BroadcastRequestSchema : api.PublishRequestSchema;
    assert.throws(() => decodeJson(schema, bytes(body)), kind, body);
  }
});

test('codec - integer fields reject fractions, exponents and out-of-range values', () => {
  assert.throws(() => decodeJson(api.HistoryRequestSchema, bytes('{"limit":1.5}')), JsonTypeError);
  assert.throws(() => decodeJson(api.HistoryRequestSchema, bytes('{"limit":1e2}')), JsonTypeError);
  assert.throws(() => decodeJson(api.HistoryRequestSchema, bytes('{"limit":2147483648}')), JsonTypeError);
  assert.equal(decodeJson<api.HistoryRequest>(api.HistoryRequestSchema, bytes('{"limit":-1}')).limit, -1);
  assert.throws(() => decodeJson(api.PublishRequestSchema, bytes('{"version":-1}')), JsonTypeError);
  assert.throws(() => decodeJson(api.PublishRequestSchema, bytes('{"version":18446744073709551616}')), JsonTypeError);
  assert.throws(() => decodeJson(api.DisconnectRequestSchema, bytes('{"disconnect":{"code":-1}}')), JsonTypeError);
  const h = decodeJson<api.HistoryRequest>(api.HistoryRequestSchema, bytes('{"since":{"offset":9007199254740993,"epoch":"e"}}'));
  assert.equal(h.since?.offset, 9007199254740993n);
});

test('codec - null batch commands stay distinguishable from empty ones', () => {
  const b = decodeJson<api.BatchRequest>(api.BatchRequestSchema, bytes('{"commands":[null,{},{"publish":{"channel":"a"}}],"parallel":true}'));
  assert.equal(b.commands.length, 3);
  assert.ok(isNullElement(b.commands[0]!));
  assert.ok(!isNullElement(b.commands[1]!));
  assert.equal(b.commands[2]!.publish?.channel, 'a');
  assert.equal(b.parallel, true);
});

test('codec - results omit empty fields except the ones Centrifugo always writes', () => {
  assert.equal(text(encodeJson(api.PublishResponseSchema, create(api.PublishResponseSchema, { result: create(api.PublishResultSchema) }))), '{"result":{}}');
  assert.equal(
    text(encodeJson(api.HistoryResultSchema, create(api.HistoryResultSchema))),
    '{"publications":[],"epoch":"","offset":0}',
  );
  assert.equal(text(encodeJson(api.PresenceResultSchema, create(api.PresenceResultSchema))), '{"presence":{}}');
  assert.equal(text(encodeJson(api.PresenceStatsResultSchema, create(api.PresenceStatsResultSchema))), '{"num_clients":0,"num_users":0}');
  assert.equal(text(encodeJson(api.ChannelsResultSchema, create(api.ChannelsResultSchema))), '{"channels":{}}');
  assert.equal(
    text(encodeJson(api.NodeResultSchema, create(api.NodeResultSchema, { uid: 'u' }))),
    '{"uid":"u","name":"","version":"","num_clients":0,"num_users":0,"num_channels":0,"num_subs":0}',
  );
  assert.equal(text(encodeJson(api.ClientInfoSchema, create(api.ClientInfoSchema))), '{"user":"","client":""}');
  assert.equal(text(encodeJson(api.BatchResponseSchema, create(api.BatchResponseSchema))), '{}');
});

test('codec - results embed raw data compacted, 64-bit offsets exact, map keys sorted', () => {
  const pub = create(api.PublicationSchema, { data: bytes('{ "x" : "<y>" }'), offset: 18446744073709551615n, tags: { b: '2', a: '1' } });
  pub.info = create(api.ClientInfoSchema, { user: 'u', client: 'c', connInfo: bytes('{"n":1}') });
  const result = create(api.HistoryResultSchema, { publications: [pub], offset: 9223372036854775809n, epoch: 'ep' });
  assert.equal(
    text(encodeJson(api.HistoryResultSchema, result)),
    '{"publications":[{"data":{"x":"\\u003cy\\u003e"},"info":{"user":"u","client":"c","conn_info":{"n":1}},"offset":18446744073709551615,"tags":{"a":"1","b":"2"}}],"epoch":"ep","offset":9223372036854775809}',
  );
});

test('codec - data that is not JSON cannot be encoded (Centrifugo answers 500 for it over HTTP)', () => {
  const result = create(api.HistoryResultSchema, { publications: [create(api.PublicationSchema, { data: Uint8Array.of(1, 2, 3), offset: 1n })] });
  assert.throws(() => encodeJson(api.HistoryResultSchema, result), JsonEncodeError);
});

test('codec - error envelopes', () => {
  const e = create(api.PublishResponseSchema, { error: create(api.ErrorSchema, { code: 107, message: 'bad request' }) });
  assert.equal(text(encodeJson(api.PublishResponseSchema, e)), '{"error":{"code":107,"message":"bad request"}}');
});
