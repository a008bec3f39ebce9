/**
 * Unit tests of the transport-independent pieces: LocalTopics (fan-out for transports without
 * uWS topics), the unidirectional encodings (bare Pushes), the uni connect error mappings, CORS
 * headers and small HTTP helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, type GyreConfig } from '@gyre/config';
import { create, decodePushJson, errors, fromBinary, messages, protocol, type DisconnectReason } from '@gyre/protocol';
import { corsHeaders, originPolicy } from '../src/cors.js';
import type { Encoding, Frame } from '../src/frames.js';
import { jsonEncoding } from '../src/frames.js';
import { uniJsonEncoding, uniProtobufEncoding, uniPush } from '../src/frames_uni.js';
import { isProtobufContentType, statusLine } from '../src/http_request.js';
import { LocalTopics, type LocalMember } from '../src/local_topics.js';
import type { Framing, Transport } from '../src/transport.js';
import { connectHttpResponse, uniConnectDisconnect } from '../src/uni.js';

const config = (o: Record<string, unknown>): GyreConfig => parseConfigText(JSON.stringify(o), 'config.json').config;

/** A transport that records what it was given. */
function member(framing: Framing): LocalMember & { got: Frame[] } {
  const got: Frame[] = [];
  const transport: Transport = {
    name: 'sse',
    unidirectional: false,
    emulation: true,
    encoding: jsonEncoding as Encoding,
    topics: null,
    framing,
    write: () => {},
    writeFramed: (d) => got.push(d),
    bufferedAmount: () => 0,
    close: () => {},
  };
  return { transport, got };
}

function countingFraming(name: string, wrap: (s: string) => string): Framing & { calls: number } {
  const f = {
    name,
    calls: 0,
    frame(part: Frame): Frame {
      f.calls++;
      return wrap(part as string);
    },
  };
  return f;
}

test('local topics - a publication is framed once per framing and the same bytes go to every member of it', () => {
  const topics = new LocalTopics();
  const sse = countingFraming('sse', (s) => `data: ${s}\n\n`);
  const lines = countingFraming('lines', (s) => `${s}\n`);
  const a = member(sse);
  const b = member(sse);
  const c = member(lines);
  for (const m of [a, b, c]) topics.join('ajnews', m);
  topics.publish('ajnews', '{"push":1}');
  assert.equal(sse.calls, 1);
  assert.equal(lines.calls, 1);
  assert.deepEqual(a.got, ['data: {"push":1}\n\n']);
  assert.equal(b.got[0], a.got[0]);
  assert.deepEqual(c.got, ['{"push":1}\n']);
  topics.publish('ajother', 'x');
  assert.equal(sse.calls + lines.calls, 2, 'a topic nobody joined costs nothing');
});

test('local topics - leave and leaveAll drop members and empty topics; nothing is left behind', () => {
  const topics = new LocalTopics();
  const f = countingFraming('f', (s) => s);
  const a = member(f);
  const b = member(f);
  topics.join('t1', a);
  topics.join('t2', a);
  topics.join('t1', b);
  assert.deepEqual({ topics: topics.size, members: topics.members }, { topics: 2, members: 2 });
  topics.leave('t1', a);
  topics.publish('t1', 'one');
  assert.deepEqual(a.got, []);
  assert.deepEqual(b.got, ['one']);
  topics.leaveAll(a);
  topics.leaveAll(b);
  topics.leave('t1', b);
  assert.deepEqual({ topics: topics.size, members: topics.members }, { topics: 0, members: 0 });
});

test('uni encodings - a push Reply becomes the bare Push; the empty Reply the uni ping; the connect Reply a connect Push', () => {
  const push = messages.newPush();
  push.channel = 'c';
  push.unsubscribe = create(protocol.UnsubscribeSchema, { code: 2000, reason: 'server unsubscribe' });
  assert.equal(uniJsonEncoding.encodeReply(Object.assign(messages.newReply(), { push })), '{"channel":"c","unsubscribe":{"code":2000,"reason":"server unsubscribe"}}');
  assert.equal(uniJsonEncoding.encodeReply(messages.newReply()), '{}');
  assert.equal(uniJsonEncoding.pingFrame, '{}');
  assert.equal((uniProtobufEncoding.pingFrame as Uint8Array).byteLength, 0);
  const reply = messages.newReply();
  reply.id = 1;
  reply.connect = create(protocol.ConnectResultSchema, { client: 'cid', version: '1', ping: 25, session: 'sess', subs: { a: create(protocol.SubscribeResultSchema, {}) } });
  const decoded = decodePushJson(uniJsonEncoding.encodeReply(reply) as string);
  assert.equal(decoded.connect?.client, 'cid');
  assert.equal(decoded.connect?.session, 'sess');
  assert.deepEqual(Object.keys(decoded.connect!.subs), ['a']);
  const bin = fromBinary(protocol.PushSchema, uniProtobufEncoding.encodeReply(reply) as Uint8Array);
  assert.equal(bin.connect?.session, 'sess');
  assert.throws(() => uniPush(Object.assign(messages.newReply(), { error: create(protocol.ErrorSchema, { code: 100 }) })));
});

test('uni encodings - publications fan out as bare Pushes: JSON with its own topic slot, protobuf without a length prefix', () => {
  const pub = create(protocol.PublicationSchema, { data: new TextEncoder().encode('{"x":1}'), offset: 3n });
  assert.equal(uniJsonEncoding.encodePublication('news', pub), '{"channel":"news","pub":{"data":{"x":1},"offset":3}}');
  const p = fromBinary(protocol.PushSchema, uniProtobufEncoding.encodePublication('news', pub) as Uint8Array);
  assert.equal(p.channel, 'news');
  assert.equal(p.pub?.offset, 3n);
  assert.deepEqual([jsonEncoding.slot, uniJsonEncoding.slot, uniProtobufEncoding.slot], [0, 2, 3]);
  assert.equal(uniJsonEncoding.join(['{"a":1}', '{"b":2}']), '{"a":1}\n{"b":2}');
});

test('uni connect errors - default map 109/110 → 3005, 111 → 3013, 103 → 3507, else 3004; connect_code_to_unidirectional_disconnect overrides when enabled', () => {
  const plain = config({});
  const pairs: Array<[number, number]> = [
    [errors.tokenExpired.code, 3005],
    [errors.expired.code, 3005],
    [errors.tooManyRequests.code, 3013],
    [errors.permissionDenied.code, 3507],
    [errors.unknownChannel.code, 3004],
  ];
  for (const [code, want] of pairs) assert.equal(uniConnectDisconnect(plain, { code, message: 'm' }).code, want, String(code));
  const mapped = config({ client: { connect_code_to_unidirectional_disconnect: { enabled: true, transforms: [{ code: 109, to: { code: 4109, reason: 'renew' } }] } } });
  assert.deepEqual(uniConnectDisconnect(mapped, errors.tokenExpired), { code: 4109, reason: 'renew' });
  assert.equal(uniConnectDisconnect(mapped, errors.permissionDenied).code, 3507);
  const disabled = config({ client: { connect_code_to_unidirectional_disconnect: { enabled: false, transforms: [{ code: 109, to: { code: 4109, reason: 'renew' } }] } } });
  assert.equal(uniConnectDisconnect(disabled, errors.tokenExpired).code, 3005);
});

test('uni connect errors - connect_code_to_http_response matches the error code or the disconnect code; body defaults to the message or reason', () => {
  const cfg = {
    enabled: true,
    transforms: [
      { code: 109, to: { status_code: 401, body: '' } },
      { code: 3500, to: { status_code: 403, body: 'custom' } },
    ],
  };
  const expired: DisconnectReason = { code: 3005, reason: 'connection expired' };
  assert.deepEqual(connectHttpResponse(cfg, expired, errors.tokenExpired), { status: 401, body: 'token expired' });
  assert.deepEqual(connectHttpResponse(cfg, { code: 3500, reason: 'invalid token' }, undefined), { status: 403, body: 'custom' });
  assert.equal(connectHttpResponse(cfg, { code: 3507, reason: 'permission denied' }, undefined), null);
  assert.equal(connectHttpResponse({ ...cfg, enabled: false }, expired, errors.tokenExpired), null);
});

test('cors - headers only for an allowed Origin; requested headers echoed unless empty or "null"; no Origin needs none', () => {
  const allowed = originPolicy(['https://*.example.com']);
  assert.deepEqual(corsHeaders(allowed, 'https://app.example.com', 'content-type'), [
    ['Access-Control-Allow-Origin', 'https://app.example.com'],
    ['Access-Control-Allow-Credentials', 'true'],
    ['Access-Control-Allow-Headers', 'content-type'],
  ]);
  assert.equal(corsHeaders(allowed, 'https://app.example.com', 'null').length, 2);
  assert.deepEqual(corsHeaders(allowed, 'https://evil.example', 'content-type'), []);
  assert.deepEqual(corsHeaders(allowed, '', ''), []);
  assert.deepEqual(corsHeaders(originPolicy([]), 'https://app.example.com', ''), [], 'an empty list allows no Origin');
});

test('http helpers - protobuf only for application/octet-stream; status lines for transform codes', () => {
  assert.equal(isProtobufContentType('application/octet-stream'), true);
  assert.equal(isProtobufContentType('Application/Octet-Stream; charset=binary'), true);
  assert.equal(isProtobufContentType('application/json'), false);
  assert.equal(isProtobufContentType(''), false);
  assert.equal(statusLine(401), '401 Unauthorized');
  assert.equal(statusLine(418), '418 Status 418');
});
