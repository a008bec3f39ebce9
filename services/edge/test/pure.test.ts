/**
 * The edge's pure pieces: globs (allowed_origins, channel surveys), tags filters, fossil deltas,
 * encoding selection, permission order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { create, protocol } from '@gyre/protocol';
import { defaultConfig } from '@gyre/config';
import { compileGlob, originChecker, GlobSyntaxError } from '@gyre/config';
import { InvalidFilterError, compileTagsFilter } from '../src/tags_filter.js';
import { createFossilDelta, fossilChecksum } from '../src/delta_fossil.js';
import { selectEncoding } from '../src/frames.js';
import { allowed, checkChannel, dataFormatOk, subscribeAllowed } from '../src/permissions.js';

// ---- fossil delta: the decoder below is the one centrifuge-js 5.8 bundles (build/index.mjs). ----

function getInt(d: Uint8Array, pos: { p: number }): number {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~';
  let v = 0;
  for (;;) {
    const c = digits.indexOf(String.fromCharCode(d[pos.p]!));
    if (c < 0) return v;
    v = v * 64 + c;
    pos.p++;
  }
}

function applyDelta(source: Uint8Array, delta: Uint8Array): Uint8Array {
  const pos = { p: 0 };
  const limit = getInt(delta, pos);
  assert.equal(String.fromCharCode(delta[pos.p++]!), '\n');
  const out: number[] = [];
  let total = 0;
  while (pos.p < delta.length) {
    const cnt = getInt(delta, pos);
    const op = String.fromCharCode(delta[pos.p++]!);
    if (op === '@') {
      const ofst = getInt(delta, pos);
      assert.equal(String.fromCharCode(delta[pos.p++]!), ',');
      total += cnt;
      assert.ok(ofst + cnt <= source.length, 'copy past end of source');
      for (let i = 0; i < cnt; i++) out.push(source[ofst + i]!);
    } else if (op === ':') {
      total += cnt;
      for (let i = 0; i < cnt; i++) out.push(delta[pos.p + i]!);
      pos.p += cnt;
    } else if (op === ';') {
      const result = new Uint8Array(out);
      assert.equal(cnt, fossilChecksum(result), 'checksum');
      assert.equal(total, limit, 'size');
      return result;
    } else {
      assert.fail(`unknown op ${op}`);
    }
  }
  assert.fail('unterminated delta');
}

const te = new TextEncoder();

test('fossil delta - similar JSON documents give a patch smaller than the target that applies exactly', () => {
  const a = te.encode(JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item-${i}` })), v: 1 }));
  const b = te.encode(JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item-${i}` })), v: 2 }));
  const d = createFossilDelta(a, b);
  assert.ok(d.length < b.length / 4, `patch ${d.length} vs ${b.length}`);
  assert.deepEqual(applyDelta(a, d), b);
});

test('fossil delta - property: apply(source, create(source, target)) = target for any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }), fc.nat(600), (src, tail, cut) => {
      // Targets that share material with the source exercise copies, random ones inserts.
      const target = new Uint8Array([...src.subarray(0, Math.min(cut, src.length)), ...tail, ...src.subarray(Math.min(cut, src.length))]);
      assert.deepEqual(applyDelta(src, createFossilDelta(src, target)), target);
      assert.deepEqual(applyDelta(src, createFossilDelta(src, tail)), tail);
    }),
    { numRuns: 300 },
  );
});

// ---- tags filter ------------------------------------------------------------------------------

const leaf = (key: string, cmp: string, val = '', vals: string[] = []) => create(protocol.FilterNodeSchema, { key, cmp, val, vals });
const node = (op: string, ...nodes: protocol.FilterNode[]) => create(protocol.FilterNodeSchema, { op, nodes });

test('tags filter - comparisons and logic follow §3.8', () => {
  const t = { kind: 'goal', team: 'red', score: '7' };
  const m = (f: protocol.FilterNode) => compileTagsFilter(f)(t);
  assert.equal(m(leaf('kind', 'eq', 'goal')), true);
  assert.equal(m(leaf('kind', 'neq', 'goal')), false);
  assert.equal(m(leaf('missing', 'neq', 'x')), true);
  assert.equal(m(leaf('team', 'in', '', ['red', 'blue'])), true);
  assert.equal(m(leaf('team', 'nin', '', ['red'])), false);
  assert.equal(m(leaf('team', 'ex')), true);
  assert.equal(m(leaf('nope', 'nex')), true);
  assert.equal(m(leaf('kind', 'sw', 'go')), true);
  assert.equal(m(leaf('kind', 'ew', 'al')), true);
  assert.equal(m(leaf('kind', 'ct', 'oa')), true);
  assert.equal(m(leaf('score', 'gt', '5')), true);
  assert.equal(m(leaf('score', 'lte', '6')), false);
  assert.equal(m(leaf('team', 'gt', '1')), false, 'non-numeric value never matches');
  assert.equal(m(node('and', leaf('kind', 'eq', 'goal'), leaf('team', 'eq', 'blue'))), false);
  assert.equal(m(node('or', leaf('kind', 'eq', 'goal'), leaf('team', 'eq', 'blue'))), true);
  assert.equal(m(node('not', leaf('kind', 'eq', 'goal'))), false);
});

test('tags filter - malformed trees are rejected', () => {
  for (const bad of [leaf('', 'eq', 'x'), leaf('k', 'zz'), leaf('k', 'in'), leaf('k', 'gt', 'abc'), node('and'), node('not', leaf('a', 'ex'), leaf('b', 'ex')), node('xor', leaf('a', 'ex'))]) {
    assert.throws(() => compileTagsFilter(bad), InvalidFilterError);
  }
  let deep = leaf('a', 'ex');
  for (let i = 0; i < 40; i++) deep = node('not', deep);
  assert.throws(() => compileTagsFilter(deep), InvalidFilterError);
});

// ---- globs and origins -------------------------------------------------------------------------

test('glob - gobwas semantics: *, ?, classes, alternatives, escapes', () => {
  assert.ok(compileGlob('news:*').test('news:sport.football'));
  assert.ok(!compileGlob('news:*').test('chat:x'));
  assert.ok(compileGlob('a?c').test('abc'));
  assert.ok(compileGlob('[a-c]x').test('bx') && !compileGlob('[!a-c]x').test('bx'));
  assert.ok(compileGlob('{chat,news}:1').test('news:1') && !compileGlob('{chat,news}:1').test('x:1'));
  assert.ok(compileGlob('\\*').test('*') && !compileGlob('\\*').test('a'));
  assert.throws(() => compileGlob('[unclosed'), GlobSyntaxError, 'malformed patterns are rejected (config validation refuses them at load)');
});

test('glob - allowed_origins: no Origin passes, empty list refuses any Origin, * allows all, matching is case-insensitive', () => {
  assert.equal(originChecker([])(''), true);
  assert.equal(originChecker([])('https://a.com'), false);
  assert.equal(originChecker(['*'])('https://anything'), true);
  const check = originChecker(['https://*.Example.com']);
  assert.equal(check('https://APP.example.com'), true);
  assert.equal(check('http://app.example.com'), false);
});

// ---- encoding selection -------------------------------------------------------------------------

test('frames - protobuf by subprotocol or query, JSON otherwise', () => {
  assert.equal(selectEncoding('', '').encoding.name, 'json');
  assert.deepEqual(
    { n: selectEncoding('centrifuge-json, centrifuge-protobuf', '').encoding.name, p: selectEncoding('centrifuge-json, centrifuge-protobuf', '').subprotocol },
    { n: 'protobuf', p: 'centrifuge-protobuf' },
  );
  assert.equal(selectEncoding('centrifuge-json', '').subprotocol, 'centrifuge-json');
  assert.equal(selectEncoding('', 'format=protobuf').encoding.name, 'protobuf');
  assert.equal(selectEncoding('', 'a=1&cf_protocol=protobuf').encoding.name, 'protobuf');
  assert.equal(selectEncoding('other', 'format=json').encoding.name, 'json');
});

// ---- permissions --------------------------------------------------------------------------------

test('permissions - channel checks in order: length 107, namespace 102, regex / ASCII 107', () => {
  const config = defaultConfig();
  config.channel.max_length = 10;
  config.channel.namespaces = [{ ...config.channel.without_namespace, name: 'ns', channel_regex: '^[a-z]+$' } as never];
  assert.equal((checkChannel(config, 'x'.repeat(11)) as { error: { code: number } }).error.code, 107);
  assert.equal((checkChannel(config, 'nope:abc') as { error: { code: number } }).error.code, 102);
  assert.equal((checkChannel(config, 'ns:ABC') as { error: { code: number } }).error.code, 107);
  assert.equal(checkChannel(config, 'ns:abc').ok, true);
  assert.equal((checkChannel(config, 'café') as { error: { code: number } }).error.code, 107);
});

test('permissions - publish / history / presence grants follow client, subscriber, anonymous, insecure', () => {
  const o = { ...defaultConfig().channel.without_namespace };
  assert.equal(allowed('publish', o, 'u', true, false), false);
  assert.equal(allowed('publish', o, 'u', true, true), true, 'insecure allows everything');
  assert.equal(allowed('publish', { ...o, allow_publish_for_client: true }, 'u', false, false), true);
  assert.equal(allowed('publish', { ...o, allow_publish_for_client: true }, '', false, false), false, 'anonymous needs _for_anonymous');
  assert.equal(allowed('publish', { ...o, allow_publish_for_client: true, allow_publish_for_anonymous: true }, '', false, false), true);
  assert.equal(allowed('history', { ...o, allow_history_for_subscriber: true }, 'u', false, false), false);
  assert.equal(allowed('history', { ...o, allow_history_for_subscriber: true }, 'u', true, false), true);
  assert.equal(allowed('presence', { ...o, allow_presence_for_client: true }, 'u', false, false), true);
});

test('permissions - subscribe without token: user-limited list, allow_subscribe_for_client (+anonymous), insecure', () => {
  const o = { ...defaultConfig().channel.without_namespace };
  const limited = { ...o, allow_user_limited_channels: true };
  assert.equal(subscribeAllowed(limited, '42', ['42', '43'], false), true);
  assert.equal(subscribeAllowed(limited, '44', ['42', '43'], false), false);
  assert.equal(subscribeAllowed({ ...limited, allow_subscribe_for_client: true }, '44', ['42'], false), false, 'allow_subscribe_for_client does not open user-limited channels');
  assert.equal(subscribeAllowed({ ...o, allow_subscribe_for_client: true }, 'u', null, false), true);
  assert.equal(subscribeAllowed({ ...o, allow_subscribe_for_client: true }, '', null, false), false);
  assert.equal(subscribeAllowed({ ...o, allow_subscribe_for_client: true, allow_subscribe_for_anonymous: true }, '', null, false), true);
  assert.equal(subscribeAllowed(o, '', null, true), true);
});

test('permissions - publication_data_format', () => {
  assert.equal(dataFormatOk('', new Uint8Array()), false);
  assert.equal(dataFormatOk('', te.encode('x')), true);
  assert.equal(dataFormatOk('json', te.encode('[1]')), true);
  assert.equal(dataFormatOk('json', te.encode('{')), false);
  assert.equal(dataFormatOk('json_object', te.encode('[1]')), false);
  assert.equal(dataFormatOk('json_object', te.encode('{"a":1}')), true);
  assert.equal(dataFormatOk('binary', new Uint8Array([0xff])), true);
});
