// Protobuf framing of the client protocol (client-protocol.md §2.3): every message is prefixed
// with its varint length, also when a frame holds a single one (the empty ping Reply is the
// single byte 0x00).
//
// The server-side directions (Commands in, Replies out) are hand-written over the low-level
// wire reader/writer instead of protobuf-es reflection: this is the per-message hot path.
// What must hold:
// - Output bytes equal protobuf-es `toBinary` for the same message (fields in number order,
//   proto3 zero values omitted, set message fields always written, map entries with key and
//   value). test/codec_protobuf.test.ts checks this against the reflective encoder.
// - Decoding never trusts a length: each length is checked against the bytes that are left
//   (so no allocation is ever larger than the frame), nesting is bounded, unknown fields and
//   fields with an unexpected wire type are skipped as unknown (like Go's decoder), and every
//   failure surfaces as ProtocolDecodeError.
// - Decoded `bytes` fields are copies: transports may reuse the frame buffer after the handler.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type {
  ClientInfo,
  Command,
  Connect,
  ConnectRequest,
  ConnectResult,
  Dictionary,
  Disconnect,
  EmulationRequest,
  Error as ProtoError,
  FilterNode,
  HistoryRequest,
  HistoryResult,
  KeyedItem,
  PresenceResult,
  PresenceStatsResult,
  Publication,
  PublishRequest,
  Push,
  Refresh,
  RefreshResult,
  Reply,
  RPCRequest,
  StreamPosition,
  SubRefreshRequest,
  SubRefreshResult,
  Subscribe,
  SubscribeRequest,
  SubscribeResult,
  TrackBatch,
  Unsubscribe,
} from './gen/centrifugal/centrifuge/protocol/client_pb.js';
import { CommandSchema, ReplySchema } from './gen/centrifugal/centrifuge/protocol/client_pb.js';
import { ProtocolDecodeError } from './errors.js';
import * as f from './messages.js';

const LD = WireType.LengthDelimited;
const VARINT = WireType.Varint;
const MAX_FILTER_DEPTH = 64;

// =============================================================================================
// Decoding helpers.

function bad(r: BinaryReader, message: string): never {
  throw new ProtocolDecodeError(message, r.pos);
}

function wrap(e: unknown, r: BinaryReader): ProtocolDecodeError {
  if (e instanceof ProtocolDecodeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ProtocolDecodeError(`invalid protobuf: ${message}`, r.pos, { cause: e });
}

/** Reads a length prefix and returns the end offset of the length-delimited region. */
function region(r: BinaryReader, limit: number): number {
  const len = r.uint32();
  const end = r.pos + len;
  if (end > limit) bad(r, 'length beyond the enclosing message');
  return end;
}

function done(r: BinaryReader, end: number): void {
  if (r.pos !== end) bad(r, 'field overruns the enclosing message');
}

/** Skips a field; field number 0 is never valid. */
function skip(r: BinaryReader, no: number, wt: number): void {
  if (no === 0) bad(r, 'invalid field number 0');
  r.skip(wt as WireType, no);
}

// A plain Uint8Array copy: frames often arrive as Node Buffers, whose slice() is a view.
const copyBytes = (r: BinaryReader): Uint8Array => {
  const b = r.bytes();
  return b.length === 0 ? f.EMPTY_BYTES : new Uint8Array(b);
};
const big = (v: bigint | string): bigint => (typeof v === 'bigint' ? v : BigInt(v));

/** Decodes one map entry `{1: string key, 2: value}` and stores it. */
function mapEntry<V>(
  r: BinaryReader,
  limit: number,
  target: { [key: string]: V },
  readValue: (r: BinaryReader, end: number) => V,
  zero: () => V,
): void {
  const end = region(r, limit);
  let key = '';
  let value: V | undefined;
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === LD) key = r.string();
    else if (no === 2 && wt === LD) value = readValue(r, end);
    else skip(r, no, wt);
  }
  done(r, end);
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value: value ?? zero(), enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value ?? zero();
  }
}

const stringValue = (r: BinaryReader): string => r.string();

// =============================================================================================
// Decoding: client → server messages.

function pCommand(r: BinaryReader, end: number): Command {
  const m = f.newCommand();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === VARINT) {
      m.id = r.uint32();
      continue;
    }
    if (wt !== LD || no < 4 || no > 15) {
      skip(r, no, wt);
      continue;
    }
    const e = region(r, end);
    switch (no) {
      case 4:
        m.connect = pConnectRequest(r, e);
        break;
      case 5:
        m.subscribe = pSubscribeRequest(r, e);
        break;
      case 6:
        m.unsubscribe = pChannelOnly(r, e, f.newUnsubscribeRequest);
        break;
      case 7:
        m.publish = pPublishRequest(r, e);
        break;
      case 8:
        m.presence = pChannelOnly(r, e, f.newPresenceRequest);
        break;
      case 9:
        m.presenceStats = pChannelOnly(r, e, f.newPresenceStatsRequest);
        break;
      case 10:
        m.history = pHistoryRequest(r, e);
        break;
      case 11:
        m.ping = pEmpty(r, e, f.newPingRequest);
        break;
      case 12:
        m.send = pDataOnly(r, e, f.newSendRequest);
        break;
      case 13:
        m.rpc = pRPCRequest(r, e);
        break;
      case 14:
        m.refresh = pRefreshRequest(r, e);
        break;
      case 15:
        m.subRefresh = pSubRefreshRequest(r, e);
        break;
    }
  }
  done(r, end);
  return m;
}

function pEmpty<T>(r: BinaryReader, end: number, make: () => T): T {
  const m = make();
  while (r.pos < end) {
    const t = r.uint32();
    skip(r, t >>> 3, t & 7);
  }
  done(r, end);
  return m;
}

function pChannelOnly<T extends { channel: string }>(r: BinaryReader, end: number, make: () => T): T {
  const m = make();
  while (r.pos < end) {
    const t = r.uint32();
    if (t === ((1 << 3) | LD)) m.channel = r.string();
    else skip(r, t >>> 3, t & 7);
  }
  done(r, end);
  return m;
}

function pDataOnly<T extends { data: Uint8Array }>(r: BinaryReader, end: number, make: () => T): T {
  const m = make();
  while (r.pos < end) {
    const t = r.uint32();
    if (t === ((1 << 3) | LD)) m.data = copyBytes(r);
    else skip(r, t >>> 3, t & 7);
  }
  done(r, end);
  return m;
}

function pConnectRequest(r: BinaryReader, end: number): ConnectRequest {
  const m = f.newConnectRequest();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    switch (no) {
      case 1:
        if (wt === LD) m.token = r.string();
        else skip(r, no, wt);
        break;
      case 2:
        if (wt === LD) m.data = copyBytes(r);
        else skip(r, no, wt);
        break;
      case 3:
        if (wt === LD) mapEntry(r, end, m.subs, pSubscribeRequestValue, f.newSubscribeRequest);
        else skip(r, no, wt);
        break;
      case 4:
        if (wt === LD) m.name = r.string();
        else skip(r, no, wt);
        break;
      case 5:
        if (wt === LD) m.version = r.string();
        else skip(r, no, wt);
        break;
      case 6:
        if (wt === LD) mapEntry(r, end, m.headers, stringValue, () => '');
        else skip(r, no, wt);
        break;
      case 7:
        if (wt === VARINT) m.flag = big(r.int64());
        else skip(r, no, wt);
        break;
      case 8:
        if (wt === LD) m.dict = r.string();
        else skip(r, no, wt);
        break;
      case 9:
        if (wt === LD) m.profile = r.string();
        else skip(r, no, wt);
        break;
      default:
        skip(r, no, wt);
    }
  }
  done(r, end);
  return m;
}

/** Map value reader: reads the value's own length prefix. */
function pSubscribeRequestValue(r: BinaryReader, limit: number): SubscribeRequest {
  return pSubscribeRequest(r, region(r, limit));
}

function pSubscribeRequest(r: BinaryReader, end: number): SubscribeRequest {
  const m = f.newSubscribeRequest();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    const ld = wt === LD;
    const vi = wt === VARINT;
    switch (no) {
      case 1:
        if (ld) m.channel = r.string();
        else skip(r, no, wt);
        break;
      case 2:
        if (ld) m.token = r.string();
        else skip(r, no, wt);
        break;
      case 3:
        if (vi) m.recover = r.bool();
        else skip(r, no, wt);
        break;
      case 6:
        if (ld) m.epoch = r.string();
        else skip(r, no, wt);
        break;
      case 7:
        if (vi) m.offset = big(r.uint64());
        else skip(r, no, wt);
        break;
      case 8:
        if (ld) m.data = copyBytes(r);
        else skip(r, no, wt);
        break;
      case 9:
        if (vi) m.positioned = r.bool();
        else skip(r, no, wt);
        break;
      case 10:
        if (vi) m.recoverable = r.bool();
        else skip(r, no, wt);
        break;
      case 11:
        if (vi) m.joinLeave = r.bool();
        else skip(r, no, wt);
        break;
      case 12:
        if (ld) m.delta = r.string();
        else skip(r, no, wt);
        break;
      case 13:
        if (ld) m.tf = pFilterNode(r, region(r, end), 0);
        else skip(r, no, wt);
        break;
      case 14:
        if (vi) m.flag = big(r.int64());
        else skip(r, no, wt);
        break;
      case 15:
        if (vi) m.type = r.int32();
        else skip(r, no, wt);
        break;
      case 16:
        if (vi) m.phase = r.int32();
        else skip(r, no, wt);
        break;
      case 17:
        if (ld) m.cursor = r.string();
        else skip(r, no, wt);
        break;
      case 18:
        if (vi) m.limit = r.int32();
        else skip(r, no, wt);
        break;
      case 19:
        if (vi) m.asc = r.bool();
        else skip(r, no, wt);
        break;
      default:
        skip(r, no, wt);
    }
  }
  done(r, end);
  return m;
}

function pFilterNode(r: BinaryReader, end: number, depth: number): FilterNode {
  if (depth >= MAX_FILTER_DEPTH) bad(r, 'tags filter nested too deeply');
  const m = f.newFilterNode();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (wt !== LD || no < 1 || no > 6) {
      skip(r, no, wt);
      continue;
    }
    switch (no) {
      case 1:
        m.op = r.string();
        break;
      case 2:
        m.key = r.string();
        break;
      case 3:
        m.cmp = r.string();
        break;
      case 4:
        m.val = r.string();
        break;
      case 5:
        m.vals.push(r.string());
        break;
      case 6:
        m.nodes.push(pFilterNode(r, region(r, end), depth + 1));
        break;
    }
  }
  done(r, end);
  return m;
}

function pPublishRequest(r: BinaryReader, end: number): PublishRequest {
  const m = f.newPublishRequest();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === LD) m.channel = r.string();
    else if (no === 2 && wt === LD) m.data = copyBytes(r);
    else if (no === 3 && wt === VARINT) m.type = r.int32();
    else if (no === 4 && wt === LD) m.key = r.string();
    else if (no === 5 && wt === VARINT) m.removed = r.bool();
    else skip(r, no, wt);
  }
  done(r, end);
  return m;
}

function pStreamPosition(r: BinaryReader, end: number): StreamPosition {
  const m = f.newStreamPosition();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === VARINT) m.offset = big(r.uint64());
    else if (no === 2 && wt === LD) m.epoch = r.string();
    else skip(r, no, wt);
  }
  done(r, end);
  return m;
}

function pHistoryRequest(r: BinaryReader, end: number): HistoryRequest {
  const m = f.newHistoryRequest();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === LD) m.channel = r.string();
    else if (no === 7 && wt === VARINT) m.limit = r.int32();
    else if (no === 8 && wt === LD) m.since = pStreamPosition(r, region(r, end));
    else if (no === 9 && wt === VARINT) m.reverse = r.bool();
    else skip(r, no, wt);
  }
  done(r, end);
  return m;
}

function pRPCRequest(r: BinaryReader, end: number): RPCRequest {
  const m = f.newRPCRequest();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === LD) m.data = copyBytes(r);
    else if (no === 2 && wt === LD) m.method = r.string();
    else skip(r, no, wt);
  }
  done(r, end);
  return m;
}

function pRefreshRequest(r: BinaryReader, end: number) {
  const m = f.newRefreshRequest();
  while (r.pos < end) {
    const t = r.uint32();
    if (t === ((1 << 3) | LD)) m.token = r.string();
    else skip(r, t >>> 3, t & 7);
  }
  done(r, end);
  return m;
}

function pKeyedItem(r: BinaryReader, end: number): KeyedItem {
  const m = f.newKeyedItem();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === LD) m.key = r.string();
    else if (no === 2 && wt === VARINT) m.version = big(r.uint64());
    else skip(r, no, wt);
  }
  done(r, end);
  return m;
}

function pTrackBatch(r: BinaryReader, end: number): TrackBatch {
  const m = f.newTrackBatch();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === LD) m.signature = r.string();
    else if (no === 2 && wt === LD) m.items.push(pKeyedItem(r, region(r, end)));
    else skip(r, no, wt);
  }
  done(r, end);
  return m;
}

function pSubRefreshRequest(r: BinaryReader, end: number): SubRefreshRequest {
  const m = f.newSubRefreshRequest();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === LD) m.channel = r.string();
    else if (no === 2 && wt === LD) m.token = r.string();
    else if (no === 3 && wt === VARINT) m.type = r.int32();
    else if (no === 4 && wt === LD) m.track.push(pTrackBatch(r, region(r, end)));
    else if (no === 5 && wt === LD) m.untrack.push(r.string());
    else skip(r, no, wt);
  }
  done(r, end);
  return m;
}

function pEmulationRequest(r: BinaryReader, end: number): EmulationRequest {
  const m = f.newEmulationRequest();
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 1 && wt === LD) m.node = r.string();
    else if (no === 2 && wt === LD) m.session = r.string();
    else if (no === 3 && wt === LD) m.data = copyBytes(r);
    else skip(r, no, wt);
  }
  done(r, end);
  return m;
}

// =============================================================================================
// Decoding: public entry points.

/**
 * Client → server: one frame of varint-delimited Commands (WebSocket binary frame, HTTP-stream
 * body, EmulationRequest.data). An empty frame is an error; a zero-length Command (byte 0x00)
 * is a valid pong.
 */
export function decodeCommandsProtobuf(frame: Uint8Array): Command[] {
  if (!(frame instanceof Uint8Array)) throw new ProtocolDecodeError('frame must be a Uint8Array');
  if (frame.length === 0) throw new ProtocolDecodeError('empty frame');
  const r = new BinaryReader(frame);
  const out: Command[] = [];
  try {
    while (r.pos < r.len) {
      const end = region(r, r.len);
      out.push(pCommand(r, end));
    }
  } catch (e) {
    throw wrap(e, r);
  }
  return out;
}

function decodeBare<T>(bytes: Uint8Array, read: (r: BinaryReader, end: number) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolDecodeError('body must be a Uint8Array');
  const r = new BinaryReader(bytes);
  try {
    return read(r, r.len);
  } catch (e) {
    throw wrap(e, r);
  }
}

/** A protobuf `/emulation` body: a bare (not length-prefixed) EmulationRequest. */
export function decodeEmulationRequestProtobuf(body: Uint8Array): EmulationRequest {
  return decodeBare(body, pEmulationRequest);
}

/** A bare ConnectRequest (unidirectional GRPC's first and only client message). */
export function decodeConnectRequestProtobuf(bytes: Uint8Array): ConnectRequest {
  return decodeBare(bytes, pConnectRequest);
}

// =============================================================================================
// Encoding: server → client messages, fields in number order, proto3 zero values omitted.

const tagLD = (no: number): number => (no << 3) | 2;
const tagVI = (no: number): number => no << 3;

function wClientInfo(w: BinaryWriter, i: ClientInfo): void {
  if (i.user !== '') w.uint32(tagLD(1)).string(i.user);
  if (i.client !== '') w.uint32(tagLD(2)).string(i.client);
  if (i.connInfo.length !== 0) w.uint32(tagLD(3)).bytes(i.connInfo);
  if (i.chanInfo.length !== 0) w.uint32(tagLD(4)).bytes(i.chanInfo);
}

function wPublication(w: BinaryWriter, p: Publication): void {
  if (p.data.length !== 0) w.uint32(tagLD(4)).bytes(p.data);
  if (p.info !== undefined) {
    w.uint32(tagLD(5)).fork();
    wClientInfo(w, p.info);
    w.join();
  }
  if (p.offset !== 0n) w.uint32(tagVI(6)).uint64(p.offset);
  for (const k in p.tags) {
    if (!Object.prototype.hasOwnProperty.call(p.tags, k)) continue;
    w.uint32(tagLD(7)).fork().uint32(tagLD(1)).string(k).uint32(tagLD(2)).string(p.tags[k]!).join();
  }
  if (p.delta) w.uint32(tagVI(8)).bool(true);
  if (p.time !== 0n) w.uint32(tagVI(9)).int64(p.time);
  if (p.channel !== '') w.uint32(tagLD(10)).string(p.channel);
  if (p.key !== '') w.uint32(tagLD(11)).string(p.key);
  if (p.removed) w.uint32(tagVI(12)).bool(true);
  if (p.score !== 0n) w.uint32(tagVI(13)).sint64(p.score);
  if (p.epoch !== '') w.uint32(tagLD(14)).string(p.epoch);
  if (p.prevData.length !== 0) w.uint32(tagLD(15)).bytes(p.prevData);
  if (p.version !== 0n) w.uint32(tagVI(16)).uint64(p.version);
}

function wMessage<T>(w: BinaryWriter, no: number, v: T, enc: (w: BinaryWriter, v: T) => void): void {
  w.uint32(tagLD(no)).fork();
  enc(w, v);
  w.join();
}

function wInfoHolder(w: BinaryWriter, h: { info?: ClientInfo | undefined }): void {
  if (h.info !== undefined) wMessage(w, 1, h.info, wClientInfo);
}

function wUnsubscribePush(w: BinaryWriter, u: Unsubscribe): void {
  if (u.code !== 0) w.uint32(tagVI(2)).uint32(u.code);
  if (u.reason !== '') w.uint32(tagLD(3)).string(u.reason);
}

function wSubscribePush(w: BinaryWriter, s: Subscribe): void {
  if (s.recoverable) w.uint32(tagVI(1)).bool(true);
  if (s.epoch !== '') w.uint32(tagLD(4)).string(s.epoch);
  if (s.offset !== 0n) w.uint32(tagVI(5)).uint64(s.offset);
  if (s.positioned) w.uint32(tagVI(6)).bool(true);
  if (s.data.length !== 0) w.uint32(tagLD(7)).bytes(s.data);
}

function wDataHolder(w: BinaryWriter, h: { data: Uint8Array }): void {
  if (h.data.length !== 0) w.uint32(tagLD(1)).bytes(h.data);
}

function wSubscribeResultMap(w: BinaryWriter, no: number, subs: { [key: string]: SubscribeResult }): void {
  for (const k in subs) {
    if (!Object.prototype.hasOwnProperty.call(subs, k)) continue;
    w.uint32(tagLD(no)).fork().uint32(tagLD(1)).string(k);
    wMessage(w, 2, subs[k]!, wSubscribeResult);
    w.join();
  }
}

function wConnectPush(w: BinaryWriter, c: Connect): void {
  if (c.client !== '') w.uint32(tagLD(1)).string(c.client);
  if (c.version !== '') w.uint32(tagLD(2)).string(c.version);
  if (c.data.length !== 0) w.uint32(tagLD(3)).bytes(c.data);
  wSubscribeResultMap(w, 4, c.subs);
  if (c.expires) w.uint32(tagVI(5)).bool(true);
  if (c.ttl !== 0) w.uint32(tagVI(6)).uint32(c.ttl);
  if (c.ping !== 0) w.uint32(tagVI(7)).uint32(c.ping);
  if (c.pong) w.uint32(tagVI(8)).bool(true);
  if (c.session !== '') w.uint32(tagLD(9)).string(c.session);
  if (c.node !== '') w.uint32(tagLD(10)).string(c.node);
  if (c.time !== 0n) w.uint32(tagVI(11)).int64(c.time);
}

function wDisconnect(w: BinaryWriter, d: Disconnect): void {
  if (d.code !== 0) w.uint32(tagVI(1)).uint32(d.code);
  if (d.reason !== '') w.uint32(tagLD(2)).string(d.reason);
  if (d.reconnect) w.uint32(tagVI(3)).bool(true);
}

function wRefreshPush(w: BinaryWriter, r: Refresh): void {
  if (r.expires) w.uint32(tagVI(1)).bool(true);
  if (r.ttl !== 0) w.uint32(tagVI(2)).uint32(r.ttl);
}

function wPush(w: BinaryWriter, p: Push): void {
  if (p.id !== 0n) w.uint32(tagVI(1)).int64(p.id);
  if (p.channel !== '') w.uint32(tagLD(2)).string(p.channel);
  if (p.pub !== undefined) wMessage(w, 4, p.pub, wPublication);
  if (p.join !== undefined) wMessage(w, 5, p.join, wInfoHolder);
  if (p.leave !== undefined) wMessage(w, 6, p.leave, wInfoHolder);
  if (p.unsubscribe !== undefined) wMessage(w, 7, p.unsubscribe, wUnsubscribePush);
  if (p.message !== undefined) wMessage(w, 8, p.message, wDataHolder);
  if (p.subscribe !== undefined) wMessage(w, 9, p.subscribe, wSubscribePush);
  if (p.connect !== undefined) wMessage(w, 10, p.connect, wConnectPush);
  if (p.disconnect !== undefined) wMessage(w, 11, p.disconnect, wDisconnect);
  if (p.refresh !== undefined) wMessage(w, 12, p.refresh, wRefreshPush);
}

function wError(w: BinaryWriter, e: ProtoError): void {
  if (e.code !== 0) w.uint32(tagVI(1)).uint32(e.code);
  if (e.message !== '') w.uint32(tagLD(2)).string(e.message);
  if (e.temporary) w.uint32(tagVI(3)).bool(true);
}

function wDictionary(w: BinaryWriter, d: Dictionary): void {
  if (d.id !== '') w.uint32(tagLD(1)).string(d.id);
  if (d.data.length !== 0) w.uint32(tagLD(2)).bytes(d.data);
  if (d.dataB64 !== '') w.uint32(tagLD(3)).string(d.dataB64);
}

function wConnectResult(w: BinaryWriter, c: ConnectResult): void {
  if (c.client !== '') w.uint32(tagLD(1)).string(c.client);
  if (c.version !== '') w.uint32(tagLD(2)).string(c.version);
  if (c.expires) w.uint32(tagVI(3)).bool(true);
  if (c.ttl !== 0) w.uint32(tagVI(4)).uint32(c.ttl);
  if (c.data.length !== 0) w.uint32(tagLD(5)).bytes(c.data);
  wSubscribeResultMap(w, 6, c.subs);
  if (c.ping !== 0) w.uint32(tagVI(7)).uint32(c.ping);
  if (c.pong) w.uint32(tagVI(8)).bool(true);
  if (c.session !== '') w.uint32(tagLD(9)).string(c.session);
  if (c.node !== '') w.uint32(tagLD(10)).string(c.node);
  if (c.time !== 0n) w.uint32(tagVI(11)).int64(c.time);
  if (c.flag !== 0n) w.uint32(tagVI(12)).int64(c.flag);
  if (c.dict !== undefined) wMessage(w, 13, c.dict, wDictionary);
}

function wSubscribeResult(w: BinaryWriter, s: SubscribeResult): void {
  if (s.expires) w.uint32(tagVI(1)).bool(true);
  if (s.ttl !== 0) w.uint32(tagVI(2)).uint32(s.ttl);
  if (s.recoverable) w.uint32(tagVI(3)).bool(true);
  if (s.epoch !== '') w.uint32(tagLD(6)).string(s.epoch);
  for (const p of s.publications) wMessage(w, 7, p, wPublication);
  if (s.recovered) w.uint32(tagVI(8)).bool(true);
  if (s.offset !== 0n) w.uint32(tagVI(9)).uint64(s.offset);
  if (s.positioned) w.uint32(tagVI(10)).bool(true);
  if (s.data.length !== 0) w.uint32(tagLD(11)).bytes(s.data);
  if (s.wasRecovering) w.uint32(tagVI(12)).bool(true);
  if (s.delta) w.uint32(tagVI(13)).bool(true);
  if (s.id !== 0n) w.uint32(tagVI(14)).int64(s.id);
  if (s.type !== 0) w.uint32(tagVI(15)).int32(s.type);
  if (s.phase !== 0) w.uint32(tagVI(16)).int32(s.phase);
  if (s.cursor !== '') w.uint32(tagLD(17)).string(s.cursor);
  for (const p of s.state) wMessage(w, 18, p, wPublication);
  if (s.publishDebounce !== 0) w.uint32(tagVI(19)).uint32(s.publishDebounce);
}

function wPresenceResult(w: BinaryWriter, p: PresenceResult): void {
  for (const k in p.presence) {
    if (!Object.prototype.hasOwnProperty.call(p.presence, k)) continue;
    w.uint32(tagLD(1)).fork().uint32(tagLD(1)).string(k);
    wMessage(w, 2, p.presence[k]!, wClientInfo);
    w.join();
  }
}

function wPresenceStatsResult(w: BinaryWriter, p: PresenceStatsResult): void {
  if (p.numClients !== 0) w.uint32(tagVI(1)).uint32(p.numClients);
  if (p.numUsers !== 0) w.uint32(tagVI(2)).uint32(p.numUsers);
}

function wHistoryResult(w: BinaryWriter, h: HistoryResult): void {
  for (const p of h.publications) wMessage(w, 1, p, wPublication);
  if (h.epoch !== '') w.uint32(tagLD(2)).string(h.epoch);
  if (h.offset !== 0n) w.uint32(tagVI(3)).uint64(h.offset);
}

function wRefreshResult(w: BinaryWriter, r: RefreshResult): void {
  if (r.client !== '') w.uint32(tagLD(1)).string(r.client);
  if (r.version !== '') w.uint32(tagLD(2)).string(r.version);
  if (r.expires) w.uint32(tagVI(3)).bool(true);
  if (r.ttl !== 0) w.uint32(tagVI(4)).uint32(r.ttl);
}

function wSubRefreshResult(w: BinaryWriter, r: SubRefreshResult): void {
  if (r.expires) w.uint32(tagVI(1)).bool(true);
  if (r.ttl !== 0) w.uint32(tagVI(2)).uint32(r.ttl);
  for (const p of r.items) wMessage(w, 3, p, wPublication);
}

const wNothing = (): void => {};

function wReply(w: BinaryWriter, r: Reply): void {
  if (r.id !== 0) w.uint32(tagVI(1)).uint32(r.id);
  if (r.error !== undefined) wMessage(w, 2, r.error, wError);
  if (r.push !== undefined) wMessage(w, 4, r.push, wPush);
  if (r.connect !== undefined) wMessage(w, 5, r.connect, wConnectResult);
  if (r.subscribe !== undefined) wMessage(w, 6, r.subscribe, wSubscribeResult);
  if (r.unsubscribe !== undefined) wMessage(w, 7, r.unsubscribe, wNothing);
  if (r.publish !== undefined) wMessage(w, 8, r.publish, wNothing);
  if (r.presence !== undefined) wMessage(w, 9, r.presence, wPresenceResult);
  if (r.presenceStats !== undefined) wMessage(w, 10, r.presenceStats, wPresenceStatsResult);
  if (r.history !== undefined) wMessage(w, 11, r.history, wHistoryResult);
  if (r.ping !== undefined) wMessage(w, 12, r.ping, wNothing);
  if (r.rpc !== undefined) wMessage(w, 13, r.rpc, wDataHolder);
  if (r.refresh !== undefined) wMessage(w, 14, r.refresh, wRefreshResult);
  if (r.subRefresh !== undefined) wMessage(w, 15, r.subRefresh, wSubRefreshResult);
}

// One writer reused across calls (encoding is synchronous); finish() hands out a copy and
// resets it. On an exception the writer is reset too, so a failed call cannot poison the next.
const shared = new BinaryWriter();

function withWriter(fill: (w: BinaryWriter) => void): Uint8Array {
  try {
    fill(shared);
  } catch (e) {
    shared.finish();
    throw e;
  }
  return shared.finish();
}

/** One Reply, varint-length-prefixed (the ping Reply is `[0x00]`). */
export function encodeReplyProtobuf(reply: Reply): Uint8Array {
  return withWriter((w) => {
    w.fork();
    wReply(w, reply);
    w.join();
  });
}

/** Several Replies as one frame, each varint-length-prefixed. */
export function encodeRepliesProtobuf(replies: readonly Reply[]): Uint8Array {
  return withWriter((w) => {
    for (const r of replies) {
      w.fork();
      wReply(w, r);
      w.join();
    }
  });
}

/** A bare Push (unidirectional GRPC frames it itself): no length prefix. */
export function encodePushProtobuf(push: Push): Uint8Array {
  return withWriter((w) => wPush(w, push));
}

/**
 * Fast path for fan-out: the complete length-prefixed Reply{push{channel, pub}} frame for one
 * publication, built once and written unchanged to every protobuf subscriber of the channel.
 */
export function encodePublicationPushProtobuf(channel: string, publication: Publication): Uint8Array {
  return withWriter((w) => {
    w.fork(); // Reply length prefix
    w.uint32(tagLD(4)).fork(); // Reply.push
    if (channel !== '') w.uint32(tagLD(2)).string(channel);
    w.uint32(tagLD(4)).fork(); // Push.pub
    wPublication(w, publication);
    w.join().join().join();
  });
}

/** The bare-Push variant of encodePublicationPushProtobuf (unidirectional GRPC). */
export function encodePublicationUniPushProtobuf(channel: string, publication: Publication): Uint8Array {
  return withWriter((w) => {
    if (channel !== '') w.uint32(tagLD(2)).string(channel);
    w.uint32(tagLD(4)).fork();
    wPublication(w, publication);
    w.join();
  });
}

// =============================================================================================
// Client-side directions (SDK-like clients, tests, load generators). Not on the server's hot
// path, so these use protobuf-es reflection.

/** Several Commands as one frame, each varint-length-prefixed (what the protobuf SDK sends). */
export function encodeCommandsProtobuf(commands: readonly Command[]): Uint8Array {
  return withWriter((w) => {
    for (const c of commands) w.bytes(toBinary(CommandSchema, c));
  });
}

/** One frame of varint-delimited Replies, as a client reads it. */
export function decodeRepliesProtobuf(frame: Uint8Array): Reply[] {
  if (frame.length === 0) throw new ProtocolDecodeError('empty frame');
  const r = new BinaryReader(frame);
  const out: Reply[] = [];
  try {
    while (r.pos < r.len) {
      const end = region(r, r.len);
      out.push(fromBinary(ReplySchema, frame.subarray(r.pos, end)));
      r.pos = end;
    }
  } catch (e) {
    throw wrap(e, r);
  }
  return out;
}
