import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PublicationSchema,
  ReplySchema,
  create,
  encodePublicationPushJson,
  encodePublicationPushProtobuf,
  encodeRepliesJson,
  encodeRepliesProtobuf,
} from '@gyre/protocol';
import { clientFrame, extractTimestamps, LatencyRecorder, Mode, newTotals, WsConn, type Protocol } from '../loadgen/ws_conn.js';

/** An unmasked server frame. */
function serverFrame(payload: Uint8Array | string, opcode: number, fin = true): Buffer {
  const body = Buffer.from(payload as Uint8Array);
  const n = body.length;
  const hl = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.alloc(hl + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(n, 6);
  }
  body.copy(out, hl);
  return out;
}

const pub = (ts: number, offset: number) =>
  create(PublicationSchema, { data: Buffer.from(`{"ts":${ts},"p":"${'x'.repeat(60)}"}`), offset: BigInt(offset) });

/** A JSON frame batching `n` publication pushes with `\n` (what Centrifugo sends under load). */
function jsonBatch(n: number, ts: number, ping = false): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(encodePublicationPushJson('ch', pub(ts, i + 1)));
  if (ping) parts.splice(1, 0, '{}');
  return serverFrame(parts.join('\n'), 1);
}

/** A protobuf frame of `n` varint-delimited pushes (plus an empty Reply, the ping, if asked). */
function pbBatch(n: number, ts: number, ping = false): Buffer {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) parts.push(encodePublicationPushProtobuf('ch', pub(ts, i + 1)));
  if (ping) parts.splice(1, 0, Uint8Array.of(0));
  return serverFrame(Buffer.concat(parts), 2);
}

function counting(protocol: Protocol) {
  const writes: Buffer[] = [];
  const totals = newTotals();
  const messages: Buffer[] = [];
  const conn = new WsConn(
    { host: '127.0.0.1', port: 1, path: '/', protocol, totals, onOpen: () => {}, onMessage: (_c, m) => messages.push(m), onClose: () => {} },
    { write: (d) => writes.push(Buffer.from(d as Buffer)), destroy: () => {} },
  );
  return { conn, totals, writes, messages };
}

/** Feeds `bytes` cut at the given sizes (cycled), like reads of arbitrary length. */
function feed(conn: WsConn, bytes: Buffer, cuts: number[]): void {
  let p = 0;
  let i = 0;
  while (p < bytes.length) {
    const n = Math.max(1, cuts[i++ % cuts.length]!);
    conn.receive(Buffer.from(bytes.subarray(p, p + n)));
    p += n;
  }
}

describe('loadgen frame scanner', () => {
  for (const protocol of ['json', 'protobuf'] as const) {
    const batch = protocol === 'json' ? jsonBatch : pbBatch;
    it(`${protocol} - counts batched messages, not frames, whatever the read boundaries`, () => {
      const stream = Buffer.concat([batch(1, 5), batch(7, 5), batch(3, 5, true), batch(16, 5)]);
      for (const cuts of [[stream.length], [1], [2, 3, 5], [13, 64, 7], [200]]) {
        const { conn, totals, writes } = counting(protocol);
        conn.mode = Mode.Count;
        feed(conn, stream, cuts);
        assert.equal(totals.messages, 27, `cuts ${cuts.join(',')}`);
        assert.equal(totals.frames, 4);
        assert.equal(totals.appPings, 1);
        assert.equal(totals.bytes, stream.length);
        assert.equal(writes.length, 1, 'one pong');
        assert.deepEqual(writes[0], protocol === 'json' ? clientFrame('{}', false) : clientFrame(Uint8Array.of(0), true));
      }
    });

    it(`${protocol} - a message split over continuation frames counts once per message`, () => {
      const whole = batch(4, 9);
      const hl = 2 + (whole[1]! === 126 ? 2 : 0);
      const payload = whole.subarray(hl);
      const a = serverFrame(payload.subarray(0, 50), protocol === 'json' ? 1 : 2, false);
      const b = serverFrame(payload.subarray(50, 120), 0, false);
      const c = serverFrame(payload.subarray(120), 0, true);
      const { conn, totals } = counting(protocol);
      conn.mode = Mode.Count;
      feed(conn, Buffer.concat([a, b, c]), [11]);
      assert.equal(totals.messages, 4);
      assert.equal(totals.frames, 3);
    });

    it(`${protocol} - samplers read the publish timestamp of every batched message`, () => {
      const { conn } = counting(protocol);
      conn.mode = Mode.Count;
      const rec = new LatencyRecorder(100);
      conn.sampler = rec;
      const now = process.hrtime()[0] * 1e6;
      feed(conn, Buffer.concat([batch(3, now - 1500), batch(2, now - 500)]), [17]);
      assert.equal(rec.count, 5);
      const lat = Array.from(rec.latUs.subarray(0, 5));
      assert.ok(lat.slice(0, 3).every((v) => v >= 1500 && v < 60e6), String(lat));
      assert.ok(lat.slice(3).every((v) => v >= 500 && v < 60e6), String(lat));
    });
  }

  it('setup mode - hands over whole messages and answers WebSocket pings', () => {
    const { conn, messages, writes, totals } = counting('json');
    const reply = encodeRepliesJson([create(ReplySchema, { id: 1, connect: { client: 'c1' } })]);
    const ping = serverFrame('hi', 9);
    feed(conn, Buffer.concat([ping, serverFrame(reply, 1)]), [3]);
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.toString(), reply);
    assert.equal(totals.messages, 0, 'setup traffic is not counted');
    assert.equal(totals.wsPings, 1);
    assert.deepEqual(writes[0], Buffer.from([0x8a, 0x82, 0, 0, 0, 0, 0x68, 0x69]));
  });

  it('setup mode - protobuf replies arrive as one message per frame', () => {
    const { conn, messages } = counting('protobuf');
    const reply = encodeRepliesProtobuf([create(ReplySchema, { id: 2, subscribe: {} }), create(ReplySchema, { id: 3, subscribe: {} })]);
    conn.receive(serverFrame(reply, 2));
    assert.equal(messages.length, 1);
    assert.deepEqual(new Uint8Array(messages[0]!), reply);
  });

  it('a close frame ends the connection with its code', () => {
    let closed = '';
    const totals = newTotals();
    const conn = new WsConn(
      { host: '', port: 0, path: '/', protocol: 'json', totals, onOpen: () => {}, onMessage: () => {}, onClose: (_c, r, code) => (closed = `${code} ${r}`) },
      { write: () => {}, destroy: () => {} },
    );
    const body = Buffer.concat([Buffer.from([0x0b, 0xc0]), Buffer.from('slow')]);
    conn.receive(serverFrame(body, 8));
    assert.equal(closed, '3008 closed by server (3008 slow)');
    assert.ok(conn.closed);
  });

  it('clientFrame - masks with a zero key and picks the length form', () => {
    assert.deepEqual(clientFrame('{}', false), Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x7b, 0x7d]));
    const mid = clientFrame('x'.repeat(300), false);
    assert.equal(mid[1], 0x80 | 126);
    assert.equal(mid.readUInt16BE(2), 300);
    assert.equal(mid.length, 4 + 4 + 300);
    const big = clientFrame(new Uint8Array(70_000), true);
    assert.equal(big[0], 0x82);
    assert.equal(big[1], 0x80 | 127);
    assert.equal(big.readUInt32BE(6), 70_000);
  });
});

describe('latency recorder', () => {
  it('extractTimestamps - tolerates a space after the colon and ignores a marker without digits', () => {
    const rec = new LatencyRecorder(10);
    const buf = Buffer.from('{"ts": 1000,"a":1}\n{"ts":"x"}\n{"ts":2500}');
    assert.equal(extractTimestamps(buf, buf.length, 3000, rec), 2);
    assert.deepEqual(Array.from(rec.latUs.subarray(0, 2)), [2000, 500]);
  });

  it('decimates uniformly when full and filters by receive time', () => {
    const rec = new LatencyRecorder(8);
    for (let i = 0; i < 64; i++) rec.add(i, i);
    assert.ok(rec.count <= 8 && rec.count >= 4, String(rec.count));
    const kept = rec.window(0, 1000);
    // Every kept sample is a multiple of the final stride: spread over the whole run, not just its start.
    assert.ok(kept[kept.length - 1]! >= 48, kept.join(','));
    assert.deepEqual(rec.window(10, 20).every((v) => v >= 10 && v <= 20), true);
  });
});
