import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantTimeEqual, grpcAuthorized, httpAuthorized } from '../src/auth.js';
import { GlobSyntaxError, compileGlob } from '@gyre/config';
import { parseLegacyMethod, readLegacyCommand } from '../src/legacy.js';
import { JsonScanner, JsonTypeError } from '../src/json.js';
import { normalizePrefix } from '../src/http_transport.js';
import { decodeBase64, validPublicationData } from '../src/executor.js';

const none = { apiKeyHeader: '', authorization: '', query: '' };

test('auth - X-API-Key, Authorization apikey and ?api_key= are each accepted', () => {
  assert.ok(httpAuthorized('k', false, { ...none, apiKeyHeader: 'k' }));
  assert.ok(httpAuthorized('k', false, { ...none, authorization: 'apikey k' }));
  assert.ok(httpAuthorized('k', false, { ...none, authorization: 'ApiKey   k' }), 'scheme is case-insensitive, split on whitespace');
  assert.ok(httpAuthorized('k', false, { ...none, query: 'x=1&api_key=k' }));
  assert.ok(!httpAuthorized('k', false, none));
  assert.ok(!httpAuthorized('k', false, { ...none, authorization: 'Bearer k' }));
  assert.ok(!httpAuthorized('k', false, { ...none, authorization: 'apikey k extra' }));
});

test('auth - a non-empty X-API-Key decides alone over Authorization, but the query string can still pass', () => {
  assert.ok(!httpAuthorized('k', false, { ...none, apiKeyHeader: 'wrong', authorization: 'apikey k' }));
  assert.ok(httpAuthorized('k', false, { ...none, apiKeyHeader: 'wrong', query: 'api_key=k' }));
});

test('auth - an empty key refuses everything unless insecure', () => {
  assert.ok(!httpAuthorized('', false, { ...none, apiKeyHeader: '' }));
  assert.ok(!httpAuthorized('', false, { ...none, authorization: 'apikey ' }));
  assert.ok(httpAuthorized('', true, none));
  assert.ok(httpAuthorized('k', true, { ...none, apiKeyHeader: 'wrong' }));
});

test('auth - GRPC metadata must be exactly "apikey <key>"', () => {
  assert.ok(grpcAuthorized('k', ['apikey k']));
  assert.ok(!grpcAuthorized('k', ['APIKEY k']));
  assert.ok(!grpcAuthorized('k', ['apikey  k']));
  assert.ok(!grpcAuthorized('k', []));
  assert.ok(grpcAuthorized('k', [Buffer.from('apikey k')]));
  assert.ok(constantTimeEqual('a', 'a') && !constantTimeEqual('a', 'ab'));
});

test('glob - gobwas syntax: *, ?, classes, negation, alternatives, escapes', () => {
  const m = (p: string, s: string): boolean => compileGlob(p).test(s);
  assert.ok(m('news:*', 'news:sport'));
  assert.ok(m('news:*', 'news:'));
  assert.ok(m('*', 'a:b.c/d'));
  assert.ok(!m('news:*', 'xnews:1'));
  assert.ok(m('ch?', 'ch1') && !m('ch?', 'ch12'));
  assert.ok(m('ch[0-9]', 'ch7') && !m('ch[0-9]', 'cha'));
  assert.ok(m('ch[!0-9]', 'cha') && !m('ch[!0-9]', 'ch1'));
  assert.ok(m('{a,b*}:x', 'a:x') && m('{a,b*}:x', 'bzz:x') && !m('{a,b*}:x', 'c:x'));
  assert.ok(m('a\\*', 'a*') && !m('a\\*', 'ab'));
  assert.ok(m('a.b+(c)', 'a.b+(c)'), 'regex characters are literal');
  assert.throws(() => compileGlob('ch[0-9'), GlobSyntaxError);
  assert.throws(() => compileGlob('{a,b'), GlobSyntaxError);
});

test('legacy - method names are case-insensitive, numbers pass through, unknown names are decode errors', () => {
  assert.equal(parseLegacyMethod('"publish"'), 0);
  assert.equal(parseLegacyMethod('"Presence_Stats"'), 5);
  assert.equal(parseLegacyMethod('"connections"'), 14);
  assert.equal(parseLegacyMethod('9'), 9);
  assert.equal(parseLegacyMethod('123'), 123);
  assert.equal(parseLegacyMethod('4294967296'), 0, 'truncated to int32 like the Go conversion');
  assert.throws(() => parseLegacyMethod('"nope"'), JsonTypeError);
  assert.throws(() => parseLegacyMethod('"9"'), JsonTypeError);
  assert.throws(() => parseLegacyMethod('null'), JsonTypeError);
  assert.throws(() => parseLegacyMethod('1.5'), JsonTypeError);
});

test('legacy - commands: id, method and raw params; a missing method is publish', () => {
  const sc = new JsonScanner(new TextEncoder().encode('{"id":7,"METHOD":"info","params":{"a": 1}} {"params":null}'));
  const a = readLegacyCommand(sc);
  assert.equal(a.id, 7);
  assert.equal(a.method, 9);
  assert.equal(new TextDecoder().decode(a.params), '{"a": 1}');
  const b = readLegacyCommand(sc);
  assert.equal(b.method, 0);
  assert.equal(new TextDecoder().decode(b.params), 'null');
  assert.ok(sc.atEnd());
  assert.throws(() => readLegacyCommand(new JsonScanner(new TextEncoder().encode('{"id":-1}'))), JsonTypeError);
  assert.throws(() => readLegacyCommand(new JsonScanner(new TextEncoder().encode('[1]'))), JsonTypeError);
});

test('http - handler prefixes are normalised', () => {
  assert.equal(normalizePrefix('/api'), '/api');
  assert.equal(normalizePrefix('api/'), '/api');
  assert.equal(normalizePrefix('/'), '');
  assert.equal(normalizePrefix('/x/y/'), '/x/y');
});

test('executor - base64 is Go StdEncoding: padded, newlines ignored, anything else rejected', () => {
  assert.deepEqual(decodeBase64('aGk='), new TextEncoder().encode('hi'));
  assert.deepEqual(decodeBase64('aG\nk='), new TextEncoder().encode('hi'));
  assert.deepEqual(decodeBase64(''), new Uint8Array(0));
  assert.equal(decodeBase64('aGk'), null, 'padding required');
  assert.equal(decodeBase64('aG-k'), null, 'URL alphabet rejected');
  assert.equal(decodeBase64('!!!!'), null);
});

test('executor - publication data formats', () => {
  const b = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.ok(validPublicationData(b('x'), ''));
  assert.ok(!validPublicationData(b(''), ''));
  assert.ok(validPublicationData(b(''), 'binary'));
  assert.ok(validPublicationData(b('"s"'), 'json'));
  assert.ok(!validPublicationData(b('{'), 'json'));
  assert.ok(!validPublicationData(b(''), 'json'));
  assert.ok(validPublicationData(b('{"a":1}'), 'json_object'));
  assert.ok(!validPublicationData(b('[1]'), 'json_object'));
});
