import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlobSyntaxError, compileGlob, originChecker } from '../src/index.js';

test('glob - gobwas semantics: *, ?, classes, negation, alternatives with patterns, escapes', () => {
  assert.ok(compileGlob('news:*').test('news:sport.football'));
  assert.ok(compileGlob('*').test(''));
  assert.ok(!compileGlob('news:*').test('chat:x'));
  assert.ok(compileGlob('a?c').test('abc') && !compileGlob('a?c').test('ac'));
  assert.ok(compileGlob('[a-c]x').test('bx') && !compileGlob('[!a-c]x').test('bx'));
  assert.ok(compileGlob('{chat,news:*}').test('news:1') && !compileGlob('{chat,news}').test('x'));
  assert.ok(compileGlob('\\*').test('*') && !compileGlob('\\*').test('a'));
  assert.ok(compileGlob('a.b').test('a.b') && !compileGlob('a.b').test('axb'), 'regex metacharacters are literal');
});

test('glob - malformed patterns throw GlobSyntaxError', () => {
  for (const p of ['[abc', '{a,b', 'a\\', '[]', '[z-a]']) assert.throws(() => compileGlob(p), GlobSyntaxError, p);
});

test('glob - allowed_origins: no Origin passes, empty list refuses any Origin, * allows all, case-insensitive', () => {
  assert.equal(originChecker([])(''), true);
  assert.equal(originChecker([])('https://a.com'), false);
  assert.equal(originChecker(['*'])('https://anything'), true);
  const check = originChecker(['https://*.Example.com']);
  assert.equal(check('https://app.example.COM'), true);
  assert.equal(check('https://example.org'), false);
});
