/**
 * A bare WebSocket client connection for the load generator: one net.Socket, a hand-written HTTP
 * upgrade, and a streaming frame scanner. It exists because a general client (ws, the SDK) parses and
 * allocates per message, which on a 2-core box makes the load generator the bottleneck (anchors §3.1).
 *
 * Reads go through a single `onread` buffer shared by every connection of the process (the callback
 * runs synchronously, so one buffer is enough): no Buffer is allocated per read. In counting mode a
 * data frame is never decoded: the scanner walks frame headers, and inside the payload only finds the
 * boundaries between batched client-protocol messages (`\n` in JSON, varint lengths in protobuf) to
 * count them and to answer the app-level ping (`{}` / an empty protobuf Reply) with a pong. Only
 * sampled connections copy payloads, to read publish timestamps for latency.
 */
import net from 'node:net';

export type Protocol = 'json' | 'protobuf';

/** How a connection treats data messages. */
export const enum Mode {
  /** Hand every complete data message to `onMessage` (connect/subscribe replies). */
  Setup = 0,
  /** Count client-protocol messages without decoding; samplers also extract timestamps. */
  Count = 1,
}

/** Totals shared by every connection of one process (plain numbers: cheap to bump, cheap to send). */
export interface Totals {
  /** Client-protocol messages received in counting mode, app pings excluded. */
  messages: number;
  /** WebSocket data frames received in counting mode. */
  frames: number;
  /** Bytes read from sockets in counting mode (WebSocket framing included). */
  bytes: number;
  /** App-level pings answered (JSON `{}` / empty protobuf Reply). */
  appPings: number;
  /** WebSocket-level pings answered. */
  wsPings: number;
}

export function newTotals(): Totals {
  return { messages: 0, frames: 0, bytes: 0, appPings: 0, wsPings: 0 };
}

/** Latency samples of one process: publish timestamp → receive time, microseconds. */
export class LatencyRecorder {
  readonly latUs: Float64Array;
  readonly atUs: Float64Array;
  count = 0;
  /** Keep one sample in `stride`; doubled (and the buffer halved) whenever the buffer fills. */
  private stride = 1;
  private seen = 0;

  constructor(capacity = 200_000) {
    this.latUs = new Float64Array(capacity);
    this.atUs = new Float64Array(capacity);
  }

  add(latencyUs: number, atUs: number): void {
    if (this.seen++ % this.stride !== 0) return;
    if (this.count === this.latUs.length) {
      // Uniform decimation: keep every other sample, then every `stride`-th from now on.
      let j = 0;
      for (let i = 0; i < this.count; i += 2, j++) {
        this.latUs[j] = this.latUs[i]!;
        this.atUs[j] = this.atUs[i]!;
      }
      this.count = j;
      this.stride *= 2;
    }
    this.latUs[this.count] = latencyUs;
    this.atUs[this.count] = atUs;
    this.count++;
  }

  /** Samples received in [fromUs, toUs] (monotonic clock, microseconds). */
  window(fromUs: number, toUs: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = this.atUs[i]!;
      if (at >= fromUs && at <= toUs) out.push(this.latUs[i]!);
    }
    return out;
  }

  reset(): void {
    this.count = 0;
    this.stride = 1;
    this.seen = 0;
  }
}

/** CLOCK_MONOTONIC in microseconds: system-wide on Linux, so comparable across processes. */
export function monoUs(): number {
  const t = process.hrtime();
  return t[0] * 1e6 + t[1] / 1e3;
}

// Client frames must be masked; an all-zero mask key is legal (RFC 6455 §5.3) and makes masking a no-op.
const PONG_JSON = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x7b, 0x7d]); // text "{}"
const PONG_PB = Buffer.from([0x82, 0x81, 0, 0, 0, 0, 0x00]); // binary: one empty Command

/** A masked client frame (zero mask key) carrying `payload`. */
export function clientFrame(payload: Uint8Array | string, binary: boolean): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const n = body.length;
  const hl = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(hl + 4 + n);
  out[0] = 0x80 | (binary ? 2 : 1);
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  out.writeUInt32BE(0, hl);
  body.copy(out, hl + 4);
  return out;
}

// ---- the shared read buffer and the per-read newline cache ----------------------------------------

const READ_BUF = Buffer.allocUnsafe(64 * 1024);
/** The current read as a view of READ_BUF (indexOf must not scan stale bytes past the read). */
let chunk: Buffer = READ_BUF.subarray(0, 0);
let nlFrom = -1;
let nlAt = -1;

/**
 * First `\n` in chunk[p, e), or -1. One indexOf result is reused across the many frames of one read,
 * so finding boundaries stays linear in the read even when frames carry no newline.
 */
function findNl(p: number, e: number): number {
  if (nlFrom < 0 || nlFrom > p || (nlAt !== -1 && nlAt < p)) {
    nlAt = chunk.indexOf(10, p);
    nlFrom = p;
  }
  return nlAt !== -1 && nlAt < e ? nlAt : -1;
}

const TS_MARKER = Buffer.from('"ts":');

/** Publish timestamps (`"ts":<µs>`) found in buf[0, len), each turned into a latency sample. */
export function extractTimestamps(buf: Buffer, len: number, nowUs: number, rec: LatencyRecorder): number {
  let found = 0;
  let p = 0;
  while (p < len) {
    const at = buf.indexOf(TS_MARKER, p);
    if (at < 0 || at >= len) break;
    let q = at + TS_MARKER.length;
    while (q < len && buf[q] === 0x20) q++;
    let v = 0;
    let digits = 0;
    while (q < len) {
      const c = buf[q]!;
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      q++;
      digits++;
    }
    if (digits > 0) {
      rec.add(nowUs - v, nowUs);
      found++;
    }
    p = q;
  }
  return found;
}

/** What a connection writes to: a net.Socket, or a stand-in in tests. */
export interface Transport {
  write(data: Buffer | string): unknown;
  destroy(): unknown;
}

export interface ConnOptions {
  host: string;
  port: number;
  path: string;
  protocol: Protocol;
  localAddress?: string;
  totals: Totals;
  /** Complete data messages in Setup mode. */
  onMessage: (conn: WsConn, msg: Buffer) => void;
  /** WebSocket open (after 101). */
  onOpen: (conn: WsConn) => void;
  /** Socket closed or failed; `reason` says why. */
  onClose: (conn: WsConn, reason: string, wsCode: number) => void;
}

const ST_HTTP = 0;
const ST_HDR = 1;
const ST_PAYLOAD = 2;
const ST_CLOSED = 3;

export class WsConn {
  readonly socket: Transport;
  mode: Mode = Mode.Setup;
  /** Sampler connections copy payloads to read timestamps. */
  sampler: LatencyRecorder | null = null;
  /** Free slot for the owner (connection index, state machine step, timings). */
  index = 0;
  step = 0;
  startedUs = 0;
  pendingSubs = 0;

  private readonly o: ConnOptions;
  private readonly pb: boolean;
  private st = ST_HTTP;
  private http: Buffer | null = null;
  private readonly hdr = Buffer.allocUnsafe(14);
  private hdrHave = 0;
  private payloadLeft = 0;
  private frameOp = 0;
  private frameFin = false;
  private ctrl: Buffer | null = null;
  private ctrlLen = 0;
  // collected message (Setup mode, samplers)
  private msg: Buffer | null = null;
  private msgLen = 0;
  // counting state
  private jsonLen = 0;
  private pbLeft = 0;
  private pbVar = 0;
  private pbShift = 0;
  private closeCode = 0;

  /** Opens a TCP connection; with `transport` (tests) the WebSocket is taken as already open on it. */
  constructor(o: ConnOptions, transport?: Transport) {
    this.o = o;
    this.pb = o.protocol === 'protobuf';
    if (transport) {
      this.socket = transport;
      this.st = ST_HDR;
      return;
    }
    const socket = net.connect({
      host: o.host,
      port: o.port,
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      noDelay: true,
      onread: {
        buffer: READ_BUF,
        callback: (nread: number) => {
          this.onRead(nread);
          return true;
        },
      },
    });
    this.socket = socket;
    socket.on('connect', () => {
      const proto = this.pb ? 'Sec-WebSocket-Protocol: centrifuge-protobuf\r\n' : '';
      socket.write(
        `GET ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${proto}\r\n`,
      );
    });
    socket.on('error', (err) => this.finish(`error: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    socket.on('close', () => this.finish(this.closeCode ? `closed by server (${this.closeCode})` : 'socket closed'));
  }

  send(payload: Uint8Array | string): void {
    if (this.st === ST_CLOSED) return;
    this.socket.write(clientFrame(payload, this.pb));
  }

  close(): void {
    if (this.st === ST_CLOSED) return;
    this.st = ST_CLOSED;
    this.socket.destroy();
  }

  get closed(): boolean {
    return this.st === ST_CLOSED;
  }

  private finish(reason: string): void {
    const was = this.st;
    this.st = ST_CLOSED;
    if (was !== ST_CLOSED) this.o.onClose(this, reason, this.closeCode);
    this.socket.destroy();
  }

  private onRead(nread: number): void {
    if (nread > 0) this.receive(READ_BUF.subarray(0, nread));
  }

  /** Processes bytes read from the socket (the whole of `buf`). */
  receive(buf: Buffer): void {
    if (this.st === ST_CLOSED) return;
    const nread = buf.length;
    chunk = buf;
    nlFrom = -1;
    let pos = 0;
    if (this.st === ST_HTTP) {
      pos = this.readHttp();
      if (pos < 0) return;
    }
    if (this.mode === Mode.Count) this.o.totals.bytes += nread - pos;
    this.scan(chunk, pos, nread);
  }

  /** Accumulates the upgrade response; returns where frames start in the chunk, or -1 for more. */
  private readHttp(): number {
    const prev = this.http ? this.http.length : 0;
    this.http = this.http ? Buffer.concat([this.http, chunk]) : Buffer.from(chunk);
    const end = this.http.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.http.length > 16384) this.finish('upgrade response too long');
      return -1;
    }
    const head = this.http.subarray(0, end).toString('latin1');
    this.http = null;
    if (!/^HTTP\/1\.1 101/.test(head)) {
      this.finish(`upgrade refused: ${head.split('\r\n')[0]}`);
      return -1;
    }
    this.st = ST_HDR;
    this.o.onOpen(this);
    return end + 4 - prev; // the header ended in this read, or it would have been found before

  }

  /** Walks frames in buf[pos, end). */
  private scan(buf: Buffer, pos: number, end: number): void {
    while (pos < end && this.st !== ST_CLOSED) {
      if (this.st === ST_HDR) {
        if (this.hdrHave === 0 && end - pos >= 2) {
          // Fast path: the whole header is in this read.
          const b1 = buf[pos + 1]!;
          let len = b1 & 0x7f;
          const hl = len === 126 ? 4 : len === 127 ? 10 : 2;
          if (end - pos >= hl) {
            if (len === 126) len = buf.readUInt16BE(pos + 2);
            else if (len === 127) len = buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6);
            const b0 = buf[pos]!;
            pos += hl;
            if (b1 & 0x80) return this.finish('masked server frame');
            this.beginFrame(b0, len);
            continue;
          }
        }
        // Slow path: a header split across reads.
        this.hdr[this.hdrHave++] = buf[pos++]!;
        if (this.hdrHave < 2) continue;
        const l7 = this.hdr[1]! & 0x7f;
        const need = l7 === 126 ? 4 : l7 === 127 ? 10 : 2;
        if (this.hdrHave < need) continue;
        const len = l7 === 126 ? this.hdr.readUInt16BE(2) : l7 === 127 ? this.hdr.readUInt32BE(2) * 2 ** 32 + this.hdr.readUInt32BE(6) : l7;
        this.hdrHave = 0;
        if (this.hdr[1]! & 0x80) return this.finish('masked server frame');
        this.beginFrame(this.hdr[0]!, len);
        continue;
      }
      // ST_PAYLOAD
      const n = Math.min(this.payloadLeft, end - pos);
      if (this.frameOp >= 8) {
        buf.copy(this.ctrl!, this.ctrlLen, pos, pos + n);
        this.ctrlLen += n;
      } else {
        this.data(buf, pos, pos + n);
      }
      pos += n;
      this.payloadLeft -= n;
      if (this.payloadLeft === 0) this.endFrame();
    }
  }

  private beginFrame(b0: number, len: number): void {
    this.frameOp = b0 & 0x0f;
    this.frameFin = (b0 & 0x80) !== 0;
    this.payloadLeft = len;
    this.st = ST_PAYLOAD;
    if (this.frameOp >= 8) {
      if (len > 125) return this.finish('control frame too long');
      this.ctrl ??= Buffer.allocUnsafe(125);
      this.ctrlLen = 0;
    } else {
      if (this.frameOp !== 0) this.msgLen = 0; // a new data message
      if (this.mode === Mode.Count) this.o.totals.frames++;
      if (this.mode === Mode.Setup || this.sampler) this.reserve(len);
    }
    if (len === 0) this.endFrame();
  }

  private reserve(extra: number): void {
    const want = this.msgLen + extra;
    if (this.msg && this.msg.length >= want) return;
    const next = Buffer.allocUnsafe(Math.max(want, 256, this.msg ? this.msg.length * 2 : 0));
    if (this.msg && this.msgLen > 0) this.msg.copy(next, 0, 0, this.msgLen);
    this.msg = next;
  }

  private data(buf: Buffer, s: number, e: number): void {
    if (this.mode === Mode.Setup || this.sampler) {
      buf.copy(this.msg!, this.msgLen, s, e);
      this.msgLen += e - s;
      if (this.mode === Mode.Setup) return;
    }
    if (this.pb) this.countPb(buf, s, e);
    else this.countJson(s, e);
  }

  private countJson(s: number, e: number): void {
    let p = s;
    for (;;) {
      const nl = findNl(p, e);
      if (nl < 0) {
        this.jsonLen += e - p;
        return;
      }
      this.jsonLen += nl - p;
      this.jsonBoundary();
      p = nl + 1;
    }
  }

  private jsonBoundary(): void {
    if (this.jsonLen === 2) this.appPing(); // `{}` is the only 2-byte reply: the server's ping
    else if (this.jsonLen > 0) this.o.totals.messages++;
    this.jsonLen = 0;
  }

  private countPb(buf: Buffer, s: number, e: number): void {
    let p = s;
    while (p < e) {
      if (this.pbLeft > 0) {
        const n = Math.min(this.pbLeft, e - p);
        this.pbLeft -= n;
        p += n;
        continue;
      }
      const byte = buf[p++]!;
      this.pbVar += (byte & 0x7f) * 2 ** this.pbShift;
      if (byte & 0x80) {
        this.pbShift += 7;
        continue;
      }
      if (this.pbVar === 0) this.appPing(); // an empty Reply is the server's ping
      else {
        this.o.totals.messages++;
        this.pbLeft = this.pbVar;
      }
      this.pbVar = 0;
      this.pbShift = 0;
    }
  }

  /** Answers the server's app-level ping (also used by Setup-mode owners). */
  appPing(): void {
    this.o.totals.appPings++;
    this.socket.write(this.pb ? PONG_PB : PONG_JSON);
  }

  private endFrame(): void {
    this.st = ST_HDR;
    const op = this.frameOp;
    if (op >= 8) {
      if (op === 9) {
        // WebSocket ping: answer with a pong carrying the same payload.
        this.o.totals.wsPings++;
        const pong = Buffer.allocUnsafe(6 + this.ctrlLen);
        pong[0] = 0x8a;
        pong[1] = 0x80 | this.ctrlLen;
        pong.writeUInt32BE(0, 2);
        this.ctrl!.copy(pong, 6, 0, this.ctrlLen);
        this.socket.write(pong);
      } else if (op === 8) {
        this.closeCode = this.ctrlLen >= 2 ? this.ctrl!.readUInt16BE(0) : 1005;
        const reason = this.ctrlLen > 2 ? this.ctrl!.subarray(2, this.ctrlLen).toString('utf8') : '';
        this.finish(`closed by server (${this.closeCode}${reason ? ' ' + reason : ''})`);
      }
      return;
    }
    if (!this.frameFin) return;
    // End of a data message.
    if (this.mode === Mode.Setup) {
      const m = Buffer.from(this.msg!.subarray(0, this.msgLen));
      this.msgLen = 0;
      this.o.onMessage(this, m);
      return;
    }
    if (!this.pb) this.jsonBoundary();
    if (this.sampler) {
      extractTimestamps(this.msg!, this.msgLen, monoUs(), this.sampler);
      this.msgLen = 0;
    }
  }
}
