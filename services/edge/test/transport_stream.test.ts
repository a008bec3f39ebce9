/**
 * Unit tests of the Transport implementations that do not need a live server: the streamed HTTP
 * transports (framing, close, slow, connect_code_to_http_response, hard limit), the
 * unidirectional WebSocket (join_push_messages, disconnect push and close frame options) and the
 * unidirectional GRPC stream (one message per Push, disconnect push, cancel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Disconnect, errors, fromBinary, protocol, type DisconnectReason } from '@gyre/protocol';
import type { Client } from '../src/client.js';
import type { Frame } from '../src/frames.js';
import { jsonEncoding, protobufEncoding } from '../src/frames.js';
import { uniJsonEncoding } from '../src/frames_uni.js';
import type { StreamResponse } from '../src/stream_response.js';
import { StreamTransport, jsonLinesFraming, protobufStreamFraming, sseFraming, type StreamKind } from '../src/transport_stream.js';
import { UniGrpcTransport } from '../src/transport_uni_grpc.js';
import { UniWsTransport } from '../src/transport_uni_ws.js';

/** What a StreamTransport does to its response. */
class FakeStream {
  written: Frame[] = [];
  ended: Frame | null | undefined = undefined;
  aborted = false;
  responded: { status: string; body: string } | null = null;
  started = false;
  buffered = 0;
  onAbort: (() => void) | null = null;
  filler: () => Frame = () => '';
  write(d: Frame): void {
    this.started = true;
    this.written.push(d);
  }
  end(last?: Frame): void {
    this.ended = last ?? null;
  }
  abort(): void {
    this.aborted = true;
  }
  respond(status: string, _headers: unknown, body: string): void {
    this.responded = { status, body };
  }
  bufferedAmount(): number {
    return this.buffered;
  }
}

/** What a transport calls on its Client. */
class FakeClient {
  closes: number[] = [];
  disconnects: DisconnectReason[] = [];
  onClose(code: number): void {
    this.closes.push(code);
  }
  disconnect(d: DisconnectReason): void {
    this.disconnects.push(d);
  }
  extraPing(): Frame {
    return protobufEncoding.pingFrame;
  }
}

const kind = (over: Partial<StreamKind>): StreamKind => ({
  name: 'http_stream',
  unidirectional: false,
  emulation: true,
  encoding: jsonEncoding,
  framing: jsonLinesFraming,
  filler: () => '\n',
  ...over,
});

function setup(k: StreamKind, hardLimit = 1 << 20): { t: StreamTransport; s: FakeStream; c: FakeClient } {
  const s = new FakeStream();
  const c = new FakeClient();
  const t = new StreamTransport(k, s as unknown as StreamResponse, hardLimit);
  t.attach(c as unknown as Client);
  return { t, s, c };
}

test('stream transport - the parts of one batch leave as one chunk, each framed: JSON lines, SSE events, protobuf as it is', () => {
  const lines = setup(kind({}));
  lines.t.write(['{"a":1}', '{"b":2}']);
  assert.deepEqual(lines.s.written, ['{"a":1}\n{"b":2}\n']);
  const sse = setup(kind({ name: 'sse', framing: sseFraming }));
  sse.t.write(['{"a":1}', '{}']);
  assert.deepEqual(sse.s.written, ['data: {"a":1}\n\ndata: {}\n\n']);
  const pb = setup(kind({ encoding: protobufEncoding, framing: protobufStreamFraming }));
  pb.t.write([new Uint8Array([1, 7]), new Uint8Array([0])]);
  assert.deepEqual([...(pb.s.written[0] as Uint8Array)], [1, 7, 0]);
  sse.t.writeFramed('data: x\n\n');
  assert.equal(sse.s.written[1], 'data: x\n\n', 'fan-out frames are written as given');
});

test('stream transport - close writes the disconnect push in the transport framing and ends; 3008 cuts the stream off', () => {
  const { t, s } = setup(kind({ name: 'sse', framing: sseFraming }));
  t.close({ code: 3503, reason: 'force disconnect' });
  assert.equal(s.ended, 'data: {"push":{"disconnect":{"code":3503,"reason":"force disconnect"}}}\n\n');
  const slow = setup(kind({}));
  slow.t.close(Disconnect.Slow);
  assert.equal(slow.s.aborted, true);
  assert.equal(slow.s.ended, undefined);
  const transportLevel = setup(kind({}));
  transportLevel.t.close({ code: 1009, reason: '' });
  assert.equal(transportLevel.s.ended, null, 'codes below 3000 have no push');
  const uni = setup(kind({ name: 'uni_http_stream', unidirectional: true, emulation: false, encoding: uniJsonEncoding }));
  uni.t.close({ code: 3001, reason: 'shutdown' });
  assert.equal(uni.s.ended, '{"disconnect":{"code":3001,"reason":"shutdown"}}\n');
});

test('stream transport - a failed uni connect gets the mapped HTTP status before anything was sent, else the disconnect push', () => {
  const httpResponse = { enabled: true, transforms: [{ code: 109, to: { status_code: 401, body: '' } }] };
  const uni = kind({ name: 'uni_sse', unidirectional: true, emulation: false, encoding: uniJsonEncoding, framing: sseFraming, httpResponse });
  const mapped = setup(uni);
  mapped.t.close({ code: 3005, reason: 'connection expired' }, errors.tokenExpired);
  assert.deepEqual(mapped.s.responded, { status: '401 Unauthorized', body: 'token expired' });
  assert.equal(mapped.s.ended, undefined);
  const unmapped = setup(uni);
  unmapped.t.close({ code: 3507, reason: 'permission denied' }, errors.permissionDenied);
  assert.equal(unmapped.s.responded, null);
  assert.equal(unmapped.s.ended, 'data: {"disconnect":{"code":3507,"reason":"permission denied"}}\n\n');
  const started = setup(uni);
  started.t.write(['{}']);
  started.t.close({ code: 3005, reason: 'connection expired' }, errors.tokenExpired);
  assert.equal(started.s.responded, null, 'no status once the stream started');
});

test('stream transport - past the hard limit the client is closed with 3008 on the next microtask, once', async () => {
  const { t, s, c } = setup(kind({}), 100);
  s.buffered = 101;
  t.write(['x']);
  t.writeFramed('y\n');
  assert.deepEqual(c.disconnects, []);
  await Promise.resolve();
  assert.deepEqual(c.disconnects, [Disconnect.Slow]);
});

test('stream transport - the peer going away closes the client; the filler asks the kind', () => {
  const { s, c } = setup(kind({}));
  s.onAbort?.();
  assert.deepEqual(c.closes, [1006]);
  assert.equal(s.filler(), '\n');
});

class FakeWs {
  sent: Array<{ data: Frame; binary: boolean }> = [];
  ended: { code: number; reason: string } | null = null;
  closedHard = false;
  topics = new Set<string>();
  cork(f: () => void): void {
    f();
  }
  send(data: Frame, binary: boolean): void {
    this.sent.push({ data, binary });
  }
  end(code: number, reason: string): void {
    this.ended = { code, reason };
  }
  close(): void {
    this.closedHard = true;
  }
  getBufferedAmount(): number {
    return 7;
  }
  subscribe(t: string): void {
    this.topics.add(t);
  }
  unsubscribe(t: string): void {
    this.topics.delete(t);
  }
}

test('uni websocket transport - join_push_messages joins a batch into one text frame; otherwise one frame per push', () => {
  const joined = new FakeWs();
  new UniWsTransport(joined as never, { joinPushMessages: true, disconnectPush: true, closingHandshake: true }).write(['{"a":1}', '{"b":2}']);
  assert.deepEqual(joined.sent, [{ data: '{"a":1}\n{"b":2}', binary: false }]);
  const split = new FakeWs();
  const t = new UniWsTransport(split as never, { joinPushMessages: false, disconnectPush: true, closingHandshake: true });
  t.write(['{"a":1}', '{"b":2}']);
  assert.deepEqual(split.sent.map((s) => s.data), ['{"a":1}', '{"b":2}']);
  assert.equal(t.bufferedAmount(), 7);
  t.topics.subscribe('uxnews');
  assert.ok(split.topics.has('uxnews'), 'uni WebSockets use uWS topics');
});

test('uni websocket transport - close sends the disconnect push and a close frame, each of which can be turned off', () => {
  const both = new FakeWs();
  new UniWsTransport(both as never, { joinPushMessages: false, disconnectPush: true, closingHandshake: true }).close({ code: 3503, reason: 'force disconnect' });
  assert.deepEqual(both.sent.map((s) => s.data), ['{"disconnect":{"code":3503,"reason":"force disconnect"}}']);
  assert.deepEqual(both.ended, { code: 3503, reason: 'force disconnect' });
  const quiet = new FakeWs();
  new UniWsTransport(quiet as never, { joinPushMessages: false, disconnectPush: false, closingHandshake: false }).close({ code: 3503, reason: 'force disconnect' });
  assert.deepEqual(quiet.sent, []);
  assert.equal(quiet.ended, null);
  assert.equal(quiet.closedHard, true);
  const slow = new FakeWs();
  new UniWsTransport(slow as never, { joinPushMessages: false, disconnectPush: true, closingHandshake: true }).close(Disconnect.Slow);
  assert.deepEqual(slow.sent, [], 'no push to a connection that does not read');
  assert.equal(slow.ended?.code, 3008);
});

class FakeCall extends EventEmitter {
  written: Buffer[] = [];
  endedCalls = 0;
  destroyed = false;
  write(b: Buffer, cb?: () => void): boolean {
    this.written.push(b);
    if (cb) queueMicrotask(cb);
    return true;
  }
  end(): void {
    this.endedCalls++;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

test('uni grpc transport - one GRPC message per Push; pending bytes drain; close writes the disconnect push and ends; cancel closes the client once', async () => {
  const call = new FakeCall();
  const t = new UniGrpcTransport(call as never);
  const c = new FakeClient();
  t.attach(c as unknown as Client);
  t.write([new Uint8Array([0x12, 0x01, 0x61]), new Uint8Array(0)]);
  assert.equal(call.written.length, 2);
  assert.equal(fromBinary(protocol.PushSchema, call.written[0]!).channel, 'a');
  assert.equal(t.bufferedAmount(), 3);
  await Promise.resolve();
  assert.equal(t.bufferedAmount(), 0);
  t.close({ code: 3001, reason: 'shutdown' });
  assert.equal(fromBinary(protocol.PushSchema, call.written[2]!).disconnect?.code, 3001);
  assert.equal(call.endedCalls, 1);
  call.emit('cancelled');
  assert.deepEqual(c.closes, [], 'closed by us: the client is not told again');

  const other = new FakeCall();
  const t2 = new UniGrpcTransport(other as never);
  const c2 = new FakeClient();
  t2.attach(c2 as unknown as Client);
  other.emit('cancelled');
  other.emit('close');
  assert.deepEqual(c2.closes, [1006]);
  t2.write([new Uint8Array([1])]);
  assert.equal(other.written.length, 0, 'nothing is written after the peer left');

  const slow = new FakeCall();
  new UniGrpcTransport(slow as never).close(Disconnect.Slow);
  assert.equal(slow.destroyed, true);
  assert.equal(slow.written.length, 0);
});
