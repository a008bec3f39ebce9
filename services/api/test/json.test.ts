import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonEncodeError, JsonScanner, JsonSyntaxError, compactRaw, goFloat, goQuote, isJsonObject, isValidJson } from '../src/json.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

test('json - numbers keep every digit above 2^53', () => {
  const sc = new JsonScanner(bytes(' 18446744073709551615 '));
  assert.equal(sc.readNumber(), '18446744073709551615');
  assert.ok(sc.atEnd());
});

test('json - number grammar is Go grammar (no leading zeros, no plus, digits after the point)', () => {
  for (const bad of ['01', '+1', '1.', '.5', '1e', '-', '1e+']) {
    assert.throws(() => {
      const sc = new JsonScanner(bytes(bad));
      sc.readNumber();
      if (!sc.atEnd()) throw new JsonSyntaxError('trailing');
    }, JsonSyntaxError, bad);
  }
  for (const good of ['0', '-0', '1.5', '1e9', '1E-9', '-12.25e+3']) assert.equal(new JsonScanner(bytes(good)).readNumber(), good);
});

test('json - strings decode escapes, surrogate pairs and replace lone surrogates', () => {
  const sc = new JsonScanner(bytes('"a\\n\\u00e9\\ud83d\\ude00\\ud800x\\"\\/"'));
  assert.equal(sc.readString(), 'a\né😀\ufffdx"/');
  assert.equal(new JsonScanner(bytes('"é"')).readString(), 'é');
  assert.throws(() => new JsonScanner(bytes('"a\u0001"')).readString(), JsonSyntaxError);
  assert.throws(() => new JsonScanner(bytes('"\\x"')).readString(), JsonSyntaxError);
  assert.throws(() => new JsonScanner(bytes('"abc')).readString(), JsonSyntaxError);
});

test('json - skipValue validates and returns the exact span of nested values', () => {
  const src = '  {"a":[1,{"b":null}],"c":"}"}  , 5';
  const sc = new JsonScanner(bytes(src));
  const [start, end] = sc.skipValue();
  assert.equal(src.slice(start, end), '{"a":[1,{"b":null}],"c":"}"}');
  for (const bad of ['{"a" 1}', '[1,]', '{"a":1,}', '[1 2]', '{a:1}', 'tru', '[']) {
    assert.throws(() => new JsonScanner(bytes(bad)).skipValue(), JsonSyntaxError, bad);
  }
});

test('json - deep nesting is bounded without overflowing the stack', () => {
  const deep = '['.repeat(20000) + ']'.repeat(20000);
  assert.throws(() => new JsonScanner(bytes(deep)).skipValue(), /max depth/);
  const ok = '['.repeat(9000) + ']'.repeat(9000);
  assert.ok(isValidJson(bytes(ok)));
});

test('json - isValidJson / isJsonObject', () => {
  assert.ok(isValidJson(bytes(' {"a":1} ')));
  assert.ok(isValidJson(bytes('"x"')));
  assert.ok(!isValidJson(bytes('')));
  assert.ok(!isValidJson(bytes('{"a":1} x')));
  assert.ok(isJsonObject(bytes(' {} ')));
  assert.ok(!isJsonObject(bytes('[1]')));
});

test('json - goQuote escapes like Go json.Marshal (HTML-safe, U+2028, short control escapes)', () => {
  assert.equal(goQuote('plain'), '"plain"');
  assert.equal(goQuote('<a href="x">&</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
  assert.equal(goQuote('a\nb\tc\u0001\b\f\r'), '"a\\nb\\tc\\u0001\\b\\f\\r"');
  assert.equal(goQuote('\u2028\u2029'), '"\\u2028\\u2029"');
  assert.equal(goQuote('é😀'), '"é😀"');
  assert.equal(goQuote('x\ud800'), '"x\ufffd"');
  assert.equal(goQuote('back\\slash'), '"back\\\\slash"');
});

test('json - compactRaw drops insignificant whitespace and escapes HTML characters like Go', () => {
  assert.equal(text(compactRaw(bytes('{ "a" : [ 1 , 2 ] , "s" : "x y<z>&" }'))), '{"a":[1,2],"s":"x y\\u003cz\\u003e\\u0026"}');
  assert.equal(text(compactRaw(bytes('"\u2028"'))), '"\\u2028"');
  assert.equal(text(compactRaw(bytes('"a\\"b c"'))), '"a\\"b c"');
  const already = bytes('{"a":1}');
  assert.equal(compactRaw(already), already, 'compact input is passed through without copying');
  assert.throws(() => compactRaw(bytes('{"a":')), JsonEncodeError);
  assert.throws(() => compactRaw(Uint8Array.of(0xff, 0x00)), JsonEncodeError);
});

test('json - goFloat matches Go float formatting', () => {
  assert.equal(goFloat(1), '1');
  assert.equal(goFloat(0.5), '0.5');
  assert.equal(goFloat(1e21), '1e+21');
  assert.equal(goFloat(1e-7), '1e-7');
  assert.equal(goFloat(123456789.125), '123456789.125');
  assert.throws(() => goFloat(NaN), JsonEncodeError);
});
