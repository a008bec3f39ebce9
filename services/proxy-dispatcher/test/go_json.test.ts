// The Go encoding/json behaviour Centrifugo's HTTP proxy has, on the messages of proxy.proto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { proxy as pp } from '@gyre/protocol';
import { GoJsonError, decodeGoJson, encodeGoJson } from '../src/index.js';
import { compactRawJson, goQuote } from '../src/go_json.js';
import { dec, enc } from './helpers.js';

const encode = (schema: Parameters<typeof encodeGoJson>[0], init: Record<string, unknown>) => dec(encodeGoJson(schema, create(schema, init as never)));

test('go json - strings use Go escaping (HTML-safe, U+2028/9, control characters, lone surrogates)', () => {
  assert.equal(goQuote('a<b>&"\\\n\t\u0001\u2028\u2029é'), '"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\t\\u0001\\u2028\\u2029é"');
  assert.equal(goQuote('x\ud800y'), '"x\ufffdy"');
  assert.equal(goQuote('😀'), '"😀"');
});

test('go json - raw values are validated and compacted like a json.Marshaler result', () => {
  assert.equal(compactRawJson(enc(' { "a" : [1, 2.50, -0e1] ,"s":"<x> y" } ')), '{"a":[1,2.50,-0e1],"s":"\\u003cx\\u003e y"}');
  assert.equal(compactRawJson(enc('12345678901234567890123')), '12345678901234567890123', 'big numbers kept as written');
  for (const bad of ['', '{', '{"a":1,}', 'nul', '01', '"\u0001"', '[1] 2', "{'a':1}"]) {
    assert.throws(() => compactRawJson(enc(bad)), GoJsonError, bad);
  }
});

test('go json - requests: proto field names, declaration order, omitempty, int64 as numbers, sorted map keys', () => {
  assert.equal(encode(pp.ConnectRequestSchema, {}), '{}');
  assert.equal(encode(pp.SubscribeRequestSchema, {}), '{"user":""}', 'user is never omitted');
  assert.equal(encode(pp.ConnectRequestSchema, { channels: ['b', 'a'], client: 'c' }), '{"client":"c","channels":["b","a"]}');
  assert.equal(
    encode(pp.ConnectResultSchema, {
      user: 'u',
      expireAt: 9007199254740993n,
      subs: { zeta: { expireAt: 1n }, alpha: { override: { presence: { value: false } } } },
      labels: { b: '2', a: '1' },
    }),
    '{"user":"u","expire_at":9007199254740993,"subs":{"alpha":{"override":{"presence":{}}},"zeta":{"expire_at":1}},"labels":{"a":"1","b":"2"}}',
  );
  assert.throws(() => encode(pp.RPCRequestSchema, { data: new Uint8Array([1, 2]) }), /RPCRequest.data is not valid JSON/);
});

test('go json - decoding: exact or case-insensitive keys, unknown keys skipped, null leaves values unset', () => {
  const r = decodeGoJson<pp.ConnectResponse>(
    pp.ConnectResponseSchema,
    enc('{"RESULT":{"User":"u","user":"exact","Expire_At":5,"unknown":[{"a":[[[]]]}],"channels":null,"subs":{"c":null}},"error":null}'),
  );
  assert.equal(r.result?.user, 'exact', 'the later key wins');
  assert.equal(r.result?.expireAt, 5n);
  assert.deepEqual(r.result?.channels, []);
  assert.ok(r.result?.subs.c, 'a null map value is an empty message');
  assert.equal(r.error, undefined);
});

test('go json - decoding keeps raw values byte for byte, including escapes, big numbers and null', () => {
  const body = '{"result":{"info": {"k" : "\\u00e9\\n"} ,"data":123456789012345678901234567890,"meta":null}}';
  const r = decodeGoJson<pp.ConnectResponse>(pp.ConnectResponseSchema, enc(body));
  assert.equal(dec(r.result!.info), '{"k" : "\\u00e9\\n"}');
  assert.equal(dec(r.result!.data), '123456789012345678901234567890');
  assert.equal(dec(r.result!.meta), 'null');
});

test('go json - decoding repeated message keys merges like Go reuses the pointer', () => {
  const r = decodeGoJson<pp.ConnectResponse>(pp.ConnectResponseSchema, enc('{"result":{"user":"a"},"result":{"expire_at":2}}'));
  assert.equal(r.result?.user, 'a');
  assert.equal(r.result?.expireAt, 2n);
});

test('go json - decoding rejects every type mismatch and out-of-range integer', () => {
  const bad = [
    '{"result":{"user":1}}',
    '{"result":{"user":true}}',
    '{"result":{"expire_at":"1"}}',
    '{"result":{"expire_at":1e3}}',
    '{"result":{"expire_at":9223372036854775808}}',
    '{"result":{"channels":[1]}}',
    '{"result":{"channels":{}}}',
    '{"result":{"subs":[]}}',
    '{"result":{"subs":{"a":1}}}',
    '{"result":"x"}',
    '{"error":{"code":-5}}',
    '{"error":{"temporary":"yes"}}',
    '{"disconnect":{"code":1.5}}',
    '[]',
    '1',
  ];
  for (const body of bad) assert.throws(() => decodeGoJson(pp.ConnectResponseSchema, enc(body)), GoJsonError, body);
});

test('go json - hostile input fails cleanly: deep nesting, truncation, huge tokens', () => {
  const deep = '{"result":{"info":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}}';
  assert.throws(() => decodeGoJson(pp.ConnectResponseSchema, enc(deep)), GoJsonError, 'depth capped like Go (10000)');
  const okDeep = '{"result":{"info":' + '['.repeat(5_000) + ']'.repeat(5_000) + '}}';
  assert.equal(decodeGoJson<pp.ConnectResponse>(pp.ConnectResponseSchema, enc(okDeep)).result!.info.length, 10_000);
  const nestedFilter = '{"result":{"server_tags_filter":' + '{"nodes":['.repeat(2_000) + '{}' + ']}'.repeat(2_000) + '}}';
  assert.throws(() => decodeGoJson(pp.SubscribeResponseSchema, enc(nestedFilter)), GoJsonError, 'recursive messages are capped');
  for (let i = 1; i < 30; i++) {
    const body = '{"result":{"user":"\\u00e9","data":{"a":[1,2]}}}'.slice(0, i);
    assert.throws(() => decodeGoJson(pp.ConnectResponseSchema, enc(body)), GoJsonError, body);
  }
  const bigNumber = `{"result":{"data":${'9'.repeat(1_000_000)}}}`;
  assert.equal(decodeGoJson<pp.ConnectResponse>(pp.ConnectResponseSchema, enc(bigNumber)).result!.data.length, 1_000_000);
});

test('go json - invalid UTF-8 and lone surrogate escapes decode to U+FFFD as in Go', () => {
  const bytes = new Uint8Array([...enc('{"result":{"user":"a'), 0xff, ...enc('\\ud800b"}}')]);
  const r = decodeGoJson<pp.ConnectResponse>(pp.ConnectResponseSchema, bytes);
  assert.equal(r.result?.user, 'a\ufffd\ufffdb');
});
