import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoRegex } from '../src/index.js';

function rx(pattern: string): RegExp {
  const r = compileGoRegex(pattern);
  assert.ok(r.ok, `${pattern}: ${r.ok ? '' : r.reason}`);
  return r.regex;
}

test('regex - patterns both engines share compile unchanged', () => {
  assert.equal(rx('^[a-z0-9_-]+$').test('room_1-a'), true);
  assert.equal(rx('^[a-z0-9_-]+$').test('Room'), false);
  assert.equal(rx('^\\d{1,5}$').test('12345'), true);
  assert.equal(rx('^(?:foo|bar)\\.baz$').test('bar.baz'), true);
});

test('regex - RE2 spellings are translated', () => {
  assert.equal(rx('(?i)^room$').test('ROOM'), true);
  assert.equal(rx('(?s)^a.b$').test('a\nb'), true);
  assert.equal(rx('^(?P<id>\\d+)$').exec('42')?.groups?.id, '42');
  assert.equal(rx('\\Aab\\z').test('ab'), true);
  assert.equal(rx('\\Aab\\z').test('abc'), false);
  assert.equal(rx('^[[:alpha:]][[:alnum:]_]*$').test('a1_'), true);
  assert.equal(rx('^[[:alpha:]][[:alnum:]_]*$').test('1a'), false);
  assert.equal(rx('^\\pL+$').test('привет'), true);
  assert.equal(rx('^\\p{Greek}+$').test('αβγ'), true);
  assert.equal(rx('^\\p{Greek}+$').test('abc'), false);
  assert.equal(rx('^\\x{41}$').test('A'), true);
  assert.equal(rx('^\\Qa.b\\E$').test('a.b'), true);
  assert.equal(rx('^\\Qa.b\\E$').test('axb'), false);
  assert.equal(rx('^[]a]+$').test(']a'), true);
  assert.equal(rx('^.$').test('😀'), true); // . matches a code point, as in Go
});

test('regex - what RE2 or JavaScript cannot do is rejected with a reason', () => {
  const reasons: Array<[string, string]> = [
    ['(?=a)', 'lookahead and lookbehind are not supported by Go RE2'],
    ['(?<!a)b', 'lookahead and lookbehind are not supported by Go RE2'],
    ['(a)\\1', 'backreferences are not supported by Go RE2'],
    ['(?U)a+', 'the (?U) ungreedy flag has no JavaScript equivalent'],
    ['a(?i)b', 'flag groups such as (?i) are only supported at the very start of the pattern'],
    ['[[:^alpha:]]', 'negated POSIX class [:^alpha:] has no JavaScript equivalent'],
    ['[[:letters:]]', 'unknown POSIX class [:letters:]'],
    ['\\C', '\\C (any byte) has no JavaScript equivalent'],
    ['[abc', 'missing closing ]'],
  ];
  for (const [pattern, reason] of reasons) {
    assert.deepEqual(compileGoRegex(pattern), { ok: false, reason }, pattern);
  }
  const bad = compileGoRegex('a{2,1}');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.reason, /^JavaScript cannot compile it: /);
});

test('regex - octal escapes and \\a translate; a lone \\1 is a backreference and refused', () => {
  const ok = (p: string) => {
    const r = compileGoRegex(p);
    assert.ok(r.ok, p);
    return r.regex;
  };
  assert.ok(ok('^\\101\\x{42}\\x43$').test('ABC'));
  assert.ok(ok('^\\0$').test('\0'));
  assert.ok(ok('^\\a$').test('\x07'));
  assert.equal(compileGoRegex('(a)\\1').ok, false);
});
