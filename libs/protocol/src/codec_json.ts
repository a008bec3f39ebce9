// JSON framing of the client protocol (client-protocol.md §2.2, §2.4).
//
// Decoding: a frame holds one or more objects joined by `\n` (a single trailing `\n` is fine,
// an empty frame is not). Keys are the proto snake_case names; unknown keys are skipped (the
// value is still validated), `null` leaves a field at its zero value, wrong JSON types and
// malformed JSON throw ProtocolDecodeError. `bytes` fields hold embedded raw JSON: the exact
// bytes of the value are kept. 64-bit integers are read into bigint without float rounding;
// numeric strings are accepted for them.
//
// Encoding: snake_case keys, zero values omitted except where §2.4 says otherwise (ClientInfo
// user/client, PresenceResult.presence, PresenceStatsResult counters, HistoryResult
// publications/epoch/offset), 64-bit integers as plain JSON numbers, `bytes` embedded verbatim
// after validation with raw `\n` removed (newline is the frame separator). Bytes that are not
// one valid JSON value throw ProtocolEncodeError (the caller disconnects with 3506).
//
// Key order follows the proto field order, except ConnectResult and SubscribeResult, whose
// leading keys follow the captures of client-protocol.md §10 (client, version, ping, pong,
// expires, ttl / recoverable, positioned, epoch, offset). JSON key order carries no meaning to
// any client; it is fixed only so that encoded frames are reproducible byte for byte.
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
  RefreshRequest,
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
import { ProtocolDecodeError, ProtocolEncodeError } from './errors.js';
import { JsonReader, isSingleJsonValue } from './json_reader.js';
import * as f from './messages.js';

/** Options for JSON encoding. */
export interface JsonEncodeOptions {
  /**
   * Delta mode (§2.4 rule 6, §6.6): once a subscription negotiated delta compression, every
   * Publication.data sent for it is a JSON string holding the payload (or fossil delta) text
   * instead of embedded JSON. Applies to every Publication in the encoded message.
   */
  readonly publicationDataAsString?: boolean;
}

const NO_OPTIONS: JsonEncodeOptions = {};
const MAX_FILTER_DEPTH = 64;
const utf8Encoder = new TextEncoder();
const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// =============================================================================================
// Decoding: frames.

function frameBytes(frame: string | Uint8Array): Uint8Array {
  if (typeof frame === 'string') return utf8Encoder.encode(frame);
  if (frame instanceof Uint8Array) return frame;
  throw new ProtocolDecodeError('frame must be a string or a Uint8Array');
}

/** Decodes `\n`-joined JSON objects with `decodeOne`, enforcing the framing rules. */
function decodeLines<T>(frame: string | Uint8Array, decodeOne: (r: JsonReader) => T): T[] {
  const buf = frameBytes(frame);
  const r = new JsonReader(buf);
  r.ws();
  if (r.atEnd()) throw new ProtocolDecodeError('empty frame');
  r.pos = 0;
  const out: T[] = [];
  for (;;) {
    r.wsInline();
    if (r.atEnd() || r.buf[r.pos] === 0x0a) r.fail('empty line in frame');
    out.push(decodeOne(r));
    r.wsInline();
    if (r.atEnd()) return out;
    if (r.buf[r.pos] !== 0x0a) r.fail('unexpected data after JSON value');
    r.pos++;
    // Trailing newlines / whitespace after the last object are tolerated; blank lines between
    // objects are not (the reference server rejects them too).
    const next = r.pos;
    r.ws();
    if (r.atEnd()) return out;
    r.pos = next;
  }
}

/** Decodes exactly one JSON object (surrounding whitespace allowed). */
function decodeSingle<T>(frame: string | Uint8Array, decodeOne: (r: JsonReader) => T): T {
  const buf = frameBytes(frame);
  const r = new JsonReader(buf);
  r.ws();
  if (r.atEnd()) throw new ProtocolDecodeError('empty frame');
  const v = decodeOne(r);
  r.ws();
  if (!r.atEnd()) r.fail('unexpected data after JSON value');
  return v;
}

/** Client → server: one WebSocket / emulation frame of Commands. */
export function decodeCommandsJson(frame: string | Uint8Array): Command[] {
  return decodeLines(frame, dCommand);
}

/** Server → client: one frame of Replies (client side, tests, load generators). */
export function decodeRepliesJson(frame: string | Uint8Array): Reply[] {
  return decodeLines(frame, dReply);
}

/** A bare Push, as sent on unidirectional transports. */
export function decodePushJson(frame: string | Uint8Array): Push {
  return decodeSingle(frame, dPush);
}

/** The bare ConnectRequest a unidirectional client sends (no Command envelope). */
export function decodeConnectRequestJson(frame: string | Uint8Array): ConnectRequest {
  return decodeSingle(frame, dConnectRequest);
}

/**
 * A JSON `/emulation` body: `{"session","node","data"}` where data is a JSON *string* holding
 * the newline-joined commands. The returned `data` is that string's UTF-8 bytes, ready for
 * decodeCommandsJson.
 */
export function decodeEmulationRequestJson(body: string | Uint8Array): EmulationRequest {
  return decodeSingle(body, (r) => {
    const m = f.newEmulationRequest();
    for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
      switch (k) {
        case 'node':
          m.node = r.readString();
          break;
        case 'session':
          m.session = r.readString();
          break;
        case 'data': {
          const s = r.readString();
          m.data = s.length === 0 ? f.EMPTY_BYTES : utf8Encoder.encode(s);
          break;
        }
        default:
          r.skipValue();
      }
    }
    return m;
  });
}

// =============================================================================================
// Decoding: helpers.

function setKey<V>(obj: { [key: string]: V }, key: string, value: V): void {
  // A plain-object map must not let "__proto__" rewrite its prototype.
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

function dStringMap(r: JsonReader, target: { [key: string]: string }): void {
  if (r.takeNull()) return;
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) setKey(target, k, r.readString());
}

function dMessageMap<V>(r: JsonReader, target: { [key: string]: V }, read: (r: JsonReader) => V): void {
  if (r.takeNull()) return;
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    if (r.takeNull()) continue;
    setKey(target, k, read(r));
  }
}

function dArray<V>(r: JsonReader, read: (r: JsonReader) => V): V[] {
  const out: V[] = [];
  if (r.takeNull()) return out;
  for (let more = r.arrayStart(); more; more = r.arrayNext()) out.push(read(r));
  return out;
}

const readString = (r: JsonReader): string => r.readString();

/** Skips every member of an object that has no fields. */
function dEmpty<T>(r: JsonReader, make: () => T): T {
  const m = make();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) r.skipValue();
  return m;
}

// =============================================================================================
// Decoding: client → server messages.

function dCommand(r: JsonReader): Command {
  const m = f.newCommand();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'id':
        m.id = r.readUint32();
        break;
      case 'connect':
        if (!r.takeNull()) m.connect = dConnectRequest(r);
        break;
      case 'subscribe':
        if (!r.takeNull()) m.subscribe = dSubscribeRequest(r);
        break;
      case 'unsubscribe':
        if (!r.takeNull()) m.unsubscribe = dChannelOnly(r, f.newUnsubscribeRequest);
        break;
      case 'publish':
        if (!r.takeNull()) m.publish = dPublishRequest(r);
        break;
      case 'presence':
        if (!r.takeNull()) m.presence = dChannelOnly(r, f.newPresenceRequest);
        break;
      case 'presence_stats':
        if (!r.takeNull()) m.presenceStats = dChannelOnly(r, f.newPresenceStatsRequest);
        break;
      case 'history':
        if (!r.takeNull()) m.history = dHistoryRequest(r);
        break;
      case 'ping':
        if (!r.takeNull()) m.ping = dEmpty(r, f.newPingRequest);
        break;
      case 'send':
        if (!r.takeNull()) m.send = dDataOnly(r, f.newSendRequest);
        break;
      case 'rpc':
        if (!r.takeNull()) m.rpc = dRPCRequest(r);
        break;
      case 'refresh':
        if (!r.takeNull()) m.refresh = dRefreshRequest(r);
        break;
      case 'sub_refresh':
        if (!r.takeNull()) m.subRefresh = dSubRefreshRequest(r);
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dConnectRequest(r: JsonReader): ConnectRequest {
  const m = f.newConnectRequest();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'token':
        m.token = r.readString();
        break;
      case 'data':
        m.data = r.readRaw();
        break;
      case 'subs':
        dMessageMap(r, m.subs, dSubscribeRequest);
        break;
      case 'name':
        m.name = r.readString();
        break;
      case 'version':
        m.version = r.readString();
        break;
      case 'headers':
        dStringMap(r, m.headers);
        break;
      case 'flag':
        m.flag = r.readInt64();
        break;
      case 'dict':
        m.dict = r.readString();
        break;
      case 'profile':
        m.profile = r.readString();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dSubscribeRequest(r: JsonReader): SubscribeRequest {
  const m = f.newSubscribeRequest();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'channel':
        m.channel = r.readString();
        break;
      case 'token':
        m.token = r.readString();
        break;
      case 'recover':
        m.recover = r.readBool();
        break;
      case 'epoch':
        m.epoch = r.readString();
        break;
      case 'offset':
        m.offset = r.readUint64();
        break;
      case 'data':
        m.data = r.readRaw();
        break;
      case 'positioned':
        m.positioned = r.readBool();
        break;
      case 'recoverable':
        m.recoverable = r.readBool();
        break;
      case 'join_leave':
        m.joinLeave = r.readBool();
        break;
      case 'delta':
        m.delta = r.readString();
        break;
      case 'tf':
        if (!r.takeNull()) m.tf = dFilterNode(r, 0);
        break;
      case 'flag':
        m.flag = r.readInt64();
        break;
      case 'type':
        m.type = r.readInt32();
        break;
      case 'phase':
        m.phase = r.readInt32();
        break;
      case 'cursor':
        m.cursor = r.readString();
        break;
      case 'limit':
        m.limit = r.readInt32();
        break;
      case 'asc':
        m.asc = r.readBool();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dFilterNode(r: JsonReader, depth: number): FilterNode {
  if (depth >= MAX_FILTER_DEPTH) r.fail('tags filter nested too deeply');
  const m = f.newFilterNode();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'op':
        m.op = r.readString();
        break;
      case 'key':
        m.key = r.readString();
        break;
      case 'cmp':
        m.cmp = r.readString();
        break;
      case 'val':
        m.val = r.readString();
        break;
      case 'vals':
        m.vals = dArray(r, readString);
        break;
      case 'nodes':
        m.nodes = dArray(r, (rr) => dFilterNode(rr, depth + 1));
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dChannelOnly<T extends { channel: string }>(r: JsonReader, make: () => T): T {
  const m = make();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    if (k === 'channel') m.channel = r.readString();
    else r.skipValue();
  }
  return m;
}

function dDataOnly<T extends { data: Uint8Array }>(r: JsonReader, make: () => T): T {
  const m = make();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    if (k === 'data') m.data = r.readRaw();
    else r.skipValue();
  }
  return m;
}

function dPublishRequest(r: JsonReader): PublishRequest {
  const m = f.newPublishRequest();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'channel':
        m.channel = r.readString();
        break;
      case 'data':
        m.data = r.readRaw();
        break;
      case 'type':
        m.type = r.readInt32();
        break;
      case 'key':
        m.key = r.readString();
        break;
      case 'removed':
        m.removed = r.readBool();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dStreamPosition(r: JsonReader): StreamPosition {
  const m = f.newStreamPosition();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'offset':
        m.offset = r.readUint64();
        break;
      case 'epoch':
        m.epoch = r.readString();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dHistoryRequest(r: JsonReader): HistoryRequest {
  const m = f.newHistoryRequest();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'channel':
        m.channel = r.readString();
        break;
      case 'limit':
        m.limit = r.readInt32();
        break;
      case 'since':
        if (!r.takeNull()) m.since = dStreamPosition(r);
        break;
      case 'reverse':
        m.reverse = r.readBool();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dRPCRequest(r: JsonReader): RPCRequest {
  const m = f.newRPCRequest();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'data':
        m.data = r.readRaw();
        break;
      case 'method':
        m.method = r.readString();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dRefreshRequest(r: JsonReader): RefreshRequest {
  const m = f.newRefreshRequest();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    if (k === 'token') m.token = r.readString();
    else r.skipValue();
  }
  return m;
}

function dKeyedItem(r: JsonReader): KeyedItem {
  const m = f.newKeyedItem();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'key':
        m.key = r.readString();
        break;
      case 'version':
        m.version = r.readUint64();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dTrackBatch(r: JsonReader): TrackBatch {
  const m = f.newTrackBatch();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'signature':
        m.signature = r.readString();
        break;
      case 'items':
        m.items = dArray(r, dKeyedItem);
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dSubRefreshRequest(r: JsonReader): SubRefreshRequest {
  const m = f.newSubRefreshRequest();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'channel':
        m.channel = r.readString();
        break;
      case 'token':
        m.token = r.readString();
        break;
      case 'type':
        m.type = r.readInt32();
        break;
      case 'track':
        m.track = dArray(r, dTrackBatch);
        break;
      case 'untrack':
        m.untrack = dArray(r, readString);
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

// =============================================================================================
// Decoding: server → client messages.

function dReply(r: JsonReader): Reply {
  const m = f.newReply();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'id':
        m.id = r.readUint32();
        break;
      case 'error':
        if (!r.takeNull()) m.error = dError(r);
        break;
      case 'push':
        if (!r.takeNull()) m.push = dPush(r);
        break;
      case 'connect':
        if (!r.takeNull()) m.connect = dConnectResult(r);
        break;
      case 'subscribe':
        if (!r.takeNull()) m.subscribe = dSubscribeResult(r);
        break;
      case 'unsubscribe':
        if (!r.takeNull()) m.unsubscribe = dEmpty(r, f.newUnsubscribeResult);
        break;
      case 'publish':
        if (!r.takeNull()) m.publish = dEmpty(r, f.newPublishResult);
        break;
      case 'presence':
        if (!r.takeNull()) m.presence = dPresenceResult(r);
        break;
      case 'presence_stats':
        if (!r.takeNull()) m.presenceStats = dPresenceStatsResult(r);
        break;
      case 'history':
        if (!r.takeNull()) m.history = dHistoryResult(r);
        break;
      case 'ping':
        if (!r.takeNull()) m.ping = dEmpty(r, f.newPingResult);
        break;
      case 'rpc':
        if (!r.takeNull()) m.rpc = dDataOnly(r, f.newRPCResult);
        break;
      case 'refresh':
        if (!r.takeNull()) m.refresh = dRefreshResult(r);
        break;
      case 'sub_refresh':
        if (!r.takeNull()) m.subRefresh = dSubRefreshResult(r);
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dError(r: JsonReader): ProtoError {
  const m = f.newError();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'code':
        m.code = r.readUint32();
        break;
      case 'message':
        m.message = r.readString();
        break;
      case 'temporary':
        m.temporary = r.readBool();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dPush(r: JsonReader): Push {
  const m = f.newPush();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'id':
        m.id = r.readInt64();
        break;
      case 'channel':
        m.channel = r.readString();
        break;
      case 'pub':
        if (!r.takeNull()) m.pub = dPublication(r);
        break;
      case 'join':
        if (!r.takeNull()) m.join = dInfoHolder(r, f.newJoin);
        break;
      case 'leave':
        if (!r.takeNull()) m.leave = dInfoHolder(r, f.newLeave);
        break;
      case 'unsubscribe':
        if (!r.takeNull()) m.unsubscribe = dUnsubscribePush(r);
        break;
      case 'message':
        if (!r.takeNull()) m.message = dDataOnly(r, f.newMessage);
        break;
      case 'subscribe':
        if (!r.takeNull()) m.subscribe = dSubscribePush(r);
        break;
      case 'connect':
        if (!r.takeNull()) m.connect = dConnectPush(r);
        break;
      case 'disconnect':
        if (!r.takeNull()) m.disconnect = dDisconnect(r);
        break;
      case 'refresh':
        if (!r.takeNull()) m.refresh = dRefreshPush(r);
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dClientInfo(r: JsonReader): ClientInfo {
  const m = f.newClientInfo();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'user':
        m.user = r.readString();
        break;
      case 'client':
        m.client = r.readString();
        break;
      case 'conn_info':
        m.connInfo = r.readRaw();
        break;
      case 'chan_info':
        m.chanInfo = r.readRaw();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dInfoHolder<T extends { info?: ClientInfo | undefined }>(r: JsonReader, make: () => T): T {
  const m = make();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    if (k === 'info') {
      if (!r.takeNull()) m.info = dClientInfo(r);
    } else r.skipValue();
  }
  return m;
}

function dPublication(r: JsonReader): Publication {
  const m = f.newPublication();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'data':
        m.data = r.readRaw();
        break;
      case 'info':
        if (!r.takeNull()) m.info = dClientInfo(r);
        break;
      case 'offset':
        m.offset = r.readUint64();
        break;
      case 'tags':
        dStringMap(r, m.tags);
        break;
      case 'delta':
        m.delta = r.readBool();
        break;
      case 'time':
        m.time = r.readInt64();
        break;
      case 'channel':
        m.channel = r.readString();
        break;
      case 'key':
        m.key = r.readString();
        break;
      case 'removed':
        m.removed = r.readBool();
        break;
      case 'score':
        m.score = r.readInt64();
        break;
      case 'epoch':
        m.epoch = r.readString();
        break;
      case 'prev_data':
        m.prevData = r.readRaw();
        break;
      case 'version':
        m.version = r.readUint64();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dUnsubscribePush(r: JsonReader): Unsubscribe {
  const m = f.newUnsubscribe();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'code':
        m.code = r.readUint32();
        break;
      case 'reason':
        m.reason = r.readString();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dSubscribePush(r: JsonReader): Subscribe {
  const m = f.newSubscribe();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'recoverable':
        m.recoverable = r.readBool();
        break;
      case 'epoch':
        m.epoch = r.readString();
        break;
      case 'offset':
        m.offset = r.readUint64();
        break;
      case 'positioned':
        m.positioned = r.readBool();
        break;
      case 'data':
        m.data = r.readRaw();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dConnectPush(r: JsonReader): Connect {
  const m = f.newConnect();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'client':
        m.client = r.readString();
        break;
      case 'version':
        m.version = r.readString();
        break;
      case 'data':
        m.data = r.readRaw();
        break;
      case 'subs':
        dMessageMap(r, m.subs, dSubscribeResult);
        break;
      case 'expires':
        m.expires = r.readBool();
        break;
      case 'ttl':
        m.ttl = r.readUint32();
        break;
      case 'ping':
        m.ping = r.readUint32();
        break;
      case 'pong':
        m.pong = r.readBool();
        break;
      case 'session':
        m.session = r.readString();
        break;
      case 'node':
        m.node = r.readString();
        break;
      case 'time':
        m.time = r.readInt64();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dDisconnect(r: JsonReader): Disconnect {
  const m = f.newDisconnect();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'code':
        m.code = r.readUint32();
        break;
      case 'reason':
        m.reason = r.readString();
        break;
      case 'reconnect':
        m.reconnect = r.readBool();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dRefreshPush(r: JsonReader): Refresh {
  const m = f.newRefresh();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'expires':
        m.expires = r.readBool();
        break;
      case 'ttl':
        m.ttl = r.readUint32();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dDictionary(r: JsonReader): Dictionary {
  const m = f.newDictionary();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'id':
        m.id = r.readString();
        break;
      case 'data':
        m.data = r.readRaw();
        break;
      case 'data_b64':
        m.dataB64 = r.readString();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dConnectResult(r: JsonReader): ConnectResult {
  const m = f.newConnectResult();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'client':
        m.client = r.readString();
        break;
      case 'version':
        m.version = r.readString();
        break;
      case 'expires':
        m.expires = r.readBool();
        break;
      case 'ttl':
        m.ttl = r.readUint32();
        break;
      case 'data':
        m.data = r.readRaw();
        break;
      case 'subs':
        dMessageMap(r, m.subs, dSubscribeResult);
        break;
      case 'ping':
        m.ping = r.readUint32();
        break;
      case 'pong':
        m.pong = r.readBool();
        break;
      case 'session':
        m.session = r.readString();
        break;
      case 'node':
        m.node = r.readString();
        break;
      case 'time':
        m.time = r.readInt64();
        break;
      case 'flag':
        m.flag = r.readInt64();
        break;
      case 'dict':
        if (!r.takeNull()) m.dict = dDictionary(r);
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dSubscribeResult(r: JsonReader): SubscribeResult {
  const m = f.newSubscribeResult();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'expires':
        m.expires = r.readBool();
        break;
      case 'ttl':
        m.ttl = r.readUint32();
        break;
      case 'recoverable':
        m.recoverable = r.readBool();
        break;
      case 'epoch':
        m.epoch = r.readString();
        break;
      case 'publications':
        m.publications = dArray(r, dPublication);
        break;
      case 'recovered':
        m.recovered = r.readBool();
        break;
      case 'offset':
        m.offset = r.readUint64();
        break;
      case 'positioned':
        m.positioned = r.readBool();
        break;
      case 'data':
        m.data = r.readRaw();
        break;
      case 'was_recovering':
        m.wasRecovering = r.readBool();
        break;
      case 'delta':
        m.delta = r.readBool();
        break;
      case 'id':
        m.id = r.readInt64();
        break;
      case 'type':
        m.type = r.readInt32();
        break;
      case 'phase':
        m.phase = r.readInt32();
        break;
      case 'cursor':
        m.cursor = r.readString();
        break;
      case 'state':
        m.state = dArray(r, dPublication);
        break;
      case 'publish_debounce':
        m.publishDebounce = r.readUint32();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dPresenceResult(r: JsonReader): PresenceResult {
  const m = f.newPresenceResult();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    if (k === 'presence') dMessageMap(r, m.presence, dClientInfo);
    else r.skipValue();
  }
  return m;
}

function dPresenceStatsResult(r: JsonReader): PresenceStatsResult {
  const m = f.newPresenceStatsResult();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'num_clients':
        m.numClients = r.readUint32();
        break;
      case 'num_users':
        m.numUsers = r.readUint32();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dHistoryResult(r: JsonReader): HistoryResult {
  const m = f.newHistoryResult();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'publications':
        m.publications = dArray(r, dPublication);
        break;
      case 'epoch':
        m.epoch = r.readString();
        break;
      case 'offset':
        m.offset = r.readUint64();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dRefreshResult(r: JsonReader): RefreshResult {
  const m = f.newRefreshResult();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'client':
        m.client = r.readString();
        break;
      case 'version':
        m.version = r.readString();
        break;
      case 'expires':
        m.expires = r.readBool();
        break;
      case 'ttl':
        m.ttl = r.readUint32();
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

function dSubRefreshResult(r: JsonReader): SubRefreshResult {
  const m = f.newSubRefreshResult();
  for (let k = r.objectStart(); k !== null; k = r.objectNext()) {
    switch (k) {
      case 'expires':
        m.expires = r.readBool();
        break;
      case 'ttl':
        m.ttl = r.readUint32();
        break;
      case 'items':
        m.items = dArray(r, dPublication);
        break;
      default:
        r.skipValue();
    }
  }
  return m;
}

// =============================================================================================
// Encoding: value helpers. Each message encoder builds `,"key":value` parts and wraps them.

const str = JSON.stringify as (s: string) => string;

function obj(body: string): string {
  return body.length === 0 ? '{}' : '{' + body.substring(1) + '}';
}

/** Embeds raw JSON bytes, validated, with raw newlines removed. */
function raw(bytes: Uint8Array, field: string): string {
  if (!isSingleJsonValue(bytes)) {
    throw new ProtocolEncodeError(`field ${field} holds bytes that are not a JSON value; JSON connections need JSON payloads`);
  }
  let s: string;
  try {
    s = utf8Fatal.decode(bytes);
  } catch (e) {
    throw new ProtocolEncodeError(`field ${field} is not valid UTF-8`, 3506, { cause: e });
  }
  return s.indexOf('\n') === -1 ? s : s.replaceAll('\n', '');
}

/** Delta-mode data: the payload's text as a JSON string. */
function rawAsString(bytes: Uint8Array, field: string): string {
  try {
    return str(utf8Fatal.decode(bytes));
  } catch (e) {
    throw new ProtocolEncodeError(`field ${field} is not valid UTF-8`, 3506, { cause: e });
  }
}

function stringMap(m: { readonly [key: string]: string }): string {
  let body = '';
  for (const k in m) {
    if (!Object.prototype.hasOwnProperty.call(m, k)) continue;
    body += ',' + str(k) + ':' + str(m[k]!);
  }
  return obj(body);
}

function messageMap<V>(m: { readonly [key: string]: V }, enc: (v: V) => string): string {
  let body = '';
  for (const k in m) {
    if (!Object.prototype.hasOwnProperty.call(m, k)) continue;
    body += ',' + str(k) + ':' + enc(m[k]!);
  }
  return obj(body);
}

function hasKeys(m: object): boolean {
  for (const k in m) if (Object.prototype.hasOwnProperty.call(m, k)) return true;
  return false;
}

function array<V>(items: readonly V[], enc: (v: V) => string): string {
  let s = '[';
  for (let i = 0; i < items.length; i++) s += (i === 0 ? '' : ',') + enc(items[i]!);
  return s + ']';
}

// =============================================================================================
// Encoding: server → client messages.

function eError(e: ProtoError): string {
  let b = '';
  if (e.code !== 0) b += ',"code":' + e.code;
  if (e.message !== '') b += ',"message":' + str(e.message);
  if (e.temporary) b += ',"temporary":true';
  return obj(b);
}

function eClientInfo(i: ClientInfo): string {
  let b = '"user":' + str(i.user) + ',"client":' + str(i.client);
  if (i.connInfo.length !== 0) b += ',"conn_info":' + raw(i.connInfo, 'conn_info');
  if (i.chanInfo.length !== 0) b += ',"chan_info":' + raw(i.chanInfo, 'chan_info');
  return '{' + b + '}';
}

function ePublication(p: Publication, o: JsonEncodeOptions): string {
  let b = '';
  if (p.data.length !== 0) b += ',"data":' + (o.publicationDataAsString ? rawAsString(p.data, 'data') : raw(p.data, 'data'));
  if (p.info !== undefined) b += ',"info":' + eClientInfo(p.info);
  if (p.offset !== 0n) b += ',"offset":' + p.offset;
  if (hasKeys(p.tags)) b += ',"tags":' + stringMap(p.tags);
  if (p.delta) b += ',"delta":true';
  if (p.time !== 0n) b += ',"time":' + p.time;
  if (p.channel !== '') b += ',"channel":' + str(p.channel);
  if (p.key !== '') b += ',"key":' + str(p.key);
  if (p.removed) b += ',"removed":true';
  if (p.score !== 0n) b += ',"score":' + p.score;
  if (p.epoch !== '') b += ',"epoch":' + str(p.epoch);
  if (p.prevData.length !== 0) b += ',"prev_data":' + (o.publicationDataAsString ? rawAsString(p.prevData, 'prev_data') : raw(p.prevData, 'prev_data'));
  if (p.version !== 0n) b += ',"version":' + p.version;
  return obj(b);
}

function eInfoHolder(h: { info?: ClientInfo | undefined }): string {
  return h.info === undefined ? '{}' : '{"info":' + eClientInfo(h.info) + '}';
}

function eUnsubscribePush(u: Unsubscribe): string {
  let b = '';
  if (u.code !== 0) b += ',"code":' + u.code;
  if (u.reason !== '') b += ',"reason":' + str(u.reason);
  return obj(b);
}

function eSubscribePush(s: Subscribe): string {
  let b = '';
  if (s.recoverable) b += ',"recoverable":true';
  if (s.epoch !== '') b += ',"epoch":' + str(s.epoch);
  if (s.offset !== 0n) b += ',"offset":' + s.offset;
  if (s.positioned) b += ',"positioned":true';
  if (s.data.length !== 0) b += ',"data":' + raw(s.data, 'data');
  return obj(b);
}

function eDataHolder(h: { data: Uint8Array }): string {
  return h.data.length === 0 ? '{}' : '{"data":' + raw(h.data, 'data') + '}';
}

function eConnectPush(c: Connect, o: JsonEncodeOptions): string {
  let b = '';
  if (c.client !== '') b += ',"client":' + str(c.client);
  if (c.version !== '') b += ',"version":' + str(c.version);
  if (c.data.length !== 0) b += ',"data":' + raw(c.data, 'data');
  if (hasKeys(c.subs)) b += ',"subs":' + messageMap(c.subs, (s) => eSubscribeResult(s, o));
  if (c.expires) b += ',"expires":true';
  if (c.ttl !== 0) b += ',"ttl":' + c.ttl;
  if (c.ping !== 0) b += ',"ping":' + c.ping;
  if (c.pong) b += ',"pong":true';
  if (c.session !== '') b += ',"session":' + str(c.session);
  if (c.node !== '') b += ',"node":' + str(c.node);
  if (c.time !== 0n) b += ',"time":' + c.time;
  return obj(b);
}

function eDisconnect(d: Disconnect): string {
  let b = '';
  if (d.code !== 0) b += ',"code":' + d.code;
  if (d.reason !== '') b += ',"reason":' + str(d.reason);
  if (d.reconnect) b += ',"reconnect":true';
  return obj(b);
}

function eRefreshPush(r: Refresh): string {
  let b = '';
  if (r.expires) b += ',"expires":true';
  if (r.ttl !== 0) b += ',"ttl":' + r.ttl;
  return obj(b);
}

function ePush(p: Push, o: JsonEncodeOptions): string {
  let b = '';
  if (p.id !== 0n) b += ',"id":' + p.id;
  if (p.channel !== '') b += ',"channel":' + str(p.channel);
  if (p.pub !== undefined) b += ',"pub":' + ePublication(p.pub, o);
  if (p.join !== undefined) b += ',"join":' + eInfoHolder(p.join);
  if (p.leave !== undefined) b += ',"leave":' + eInfoHolder(p.leave);
  if (p.unsubscribe !== undefined) b += ',"unsubscribe":' + eUnsubscribePush(p.unsubscribe);
  if (p.message !== undefined) b += ',"message":' + eDataHolder(p.message);
  if (p.subscribe !== undefined) b += ',"subscribe":' + eSubscribePush(p.subscribe);
  if (p.connect !== undefined) b += ',"connect":' + eConnectPush(p.connect, o);
  if (p.disconnect !== undefined) b += ',"disconnect":' + eDisconnect(p.disconnect);
  if (p.refresh !== undefined) b += ',"refresh":' + eRefreshPush(p.refresh);
  return obj(b);
}

function eDictionary(d: Dictionary): string {
  let b = '';
  if (d.id !== '') b += ',"id":' + str(d.id);
  if (d.data.length !== 0) b += ',"data":' + raw(d.data, 'data');
  if (d.dataB64 !== '') b += ',"data_b64":' + str(d.dataB64);
  return obj(b);
}

function eConnectResult(c: ConnectResult, o: JsonEncodeOptions): string {
  let b = '';
  if (c.client !== '') b += ',"client":' + str(c.client);
  if (c.version !== '') b += ',"version":' + str(c.version);
  if (c.ping !== 0) b += ',"ping":' + c.ping;
  if (c.pong) b += ',"pong":true';
  if (c.expires) b += ',"expires":true';
  if (c.ttl !== 0) b += ',"ttl":' + c.ttl;
  if (c.data.length !== 0) b += ',"data":' + raw(c.data, 'data');
  if (hasKeys(c.subs)) b += ',"subs":' + messageMap(c.subs, (s) => eSubscribeResult(s, o));
  if (c.session !== '') b += ',"session":' + str(c.session);
  if (c.node !== '') b += ',"node":' + str(c.node);
  if (c.time !== 0n) b += ',"time":' + c.time;
  if (c.flag !== 0n) b += ',"flag":' + c.flag;
  if (c.dict !== undefined) b += ',"dict":' + eDictionary(c.dict);
  return obj(b);
}

function eSubscribeResult(s: SubscribeResult, o: JsonEncodeOptions): string {
  let b = '';
  if (s.expires) b += ',"expires":true';
  if (s.ttl !== 0) b += ',"ttl":' + s.ttl;
  if (s.recoverable) b += ',"recoverable":true';
  if (s.positioned) b += ',"positioned":true';
  if (s.epoch !== '') b += ',"epoch":' + str(s.epoch);
  if (s.offset !== 0n) b += ',"offset":' + s.offset;
  if (s.publications.length !== 0) b += ',"publications":' + array(s.publications, (p) => ePublication(p, o));
  if (s.recovered) b += ',"recovered":true';
  if (s.wasRecovering) b += ',"was_recovering":true';
  if (s.data.length !== 0) b += ',"data":' + raw(s.data, 'data');
  if (s.delta) b += ',"delta":true';
  if (s.id !== 0n) b += ',"id":' + s.id;
  if (s.type !== 0) b += ',"type":' + s.type;
  if (s.phase !== 0) b += ',"phase":' + s.phase;
  if (s.cursor !== '') b += ',"cursor":' + str(s.cursor);
  if (s.state.length !== 0) b += ',"state":' + array(s.state, (p) => ePublication(p, o));
  if (s.publishDebounce !== 0) b += ',"publish_debounce":' + s.publishDebounce;
  return obj(b);
}

function ePresenceResult(p: PresenceResult): string {
  // Always emitted, `{}` when nobody is present.
  return '{"presence":' + messageMap(p.presence, eClientInfo) + '}';
}

function ePresenceStatsResult(p: PresenceStatsResult): string {
  return '{"num_clients":' + p.numClients + ',"num_users":' + p.numUsers + '}';
}

function eHistoryResult(h: HistoryResult, o: JsonEncodeOptions): string {
  return (
    '{"publications":' +
    array(h.publications, (p) => ePublication(p, o)) +
    ',"epoch":' +
    str(h.epoch) +
    ',"offset":' +
    h.offset +
    '}'
  );
}

function eRefreshResult(r: RefreshResult): string {
  let b = '';
  if (r.client !== '') b += ',"client":' + str(r.client);
  if (r.version !== '') b += ',"version":' + str(r.version);
  if (r.expires) b += ',"expires":true';
  if (r.ttl !== 0) b += ',"ttl":' + r.ttl;
  return obj(b);
}

function eSubRefreshResult(r: SubRefreshResult, o: JsonEncodeOptions): string {
  let b = '';
  if (r.expires) b += ',"expires":true';
  if (r.ttl !== 0) b += ',"ttl":' + r.ttl;
  if (r.items.length !== 0) b += ',"items":' + array(r.items, (p) => ePublication(p, o));
  return obj(b);
}

function eReply(r: Reply, o: JsonEncodeOptions): string {
  let b = '';
  if (r.id !== 0) b += ',"id":' + r.id;
  if (r.error !== undefined) b += ',"error":' + eError(r.error);
  if (r.push !== undefined) b += ',"push":' + ePush(r.push, o);
  if (r.connect !== undefined) b += ',"connect":' + eConnectResult(r.connect, o);
  if (r.subscribe !== undefined) b += ',"subscribe":' + eSubscribeResult(r.subscribe, o);
  if (r.unsubscribe !== undefined) b += ',"unsubscribe":{}';
  if (r.publish !== undefined) b += ',"publish":{}';
  if (r.presence !== undefined) b += ',"presence":' + ePresenceResult(r.presence);
  if (r.presenceStats !== undefined) b += ',"presence_stats":' + ePresenceStatsResult(r.presenceStats);
  if (r.history !== undefined) b += ',"history":' + eHistoryResult(r.history, o);
  if (r.ping !== undefined) b += ',"ping":{}';
  if (r.rpc !== undefined) b += ',"rpc":' + eDataHolder(r.rpc);
  if (r.refresh !== undefined) b += ',"refresh":' + eRefreshResult(r.refresh);
  if (r.subRefresh !== undefined) b += ',"sub_refresh":' + eSubRefreshResult(r.subRefresh, o);
  return obj(b);
}

/** One Reply as JSON (a ping is the empty Reply: `{}`). */
export function encodeReplyJson(reply: Reply, options: JsonEncodeOptions = NO_OPTIONS): string {
  return eReply(reply, options);
}

/** Several Replies as one frame: joined with `\n`, no trailing newline. */
export function encodeRepliesJson(replies: readonly Reply[], options: JsonEncodeOptions = NO_OPTIONS): string {
  let s = '';
  for (let i = 0; i < replies.length; i++) s += (i === 0 ? '' : '\n') + eReply(replies[i]!, options);
  return s;
}

/** A bare Push (unidirectional transports; an empty Push is the uni ping `{}`). */
export function encodePushJson(push: Push, options: JsonEncodeOptions = NO_OPTIONS): string {
  return ePush(push, options);
}

/**
 * Fast path for fan-out: the complete Reply frame `{"push":{"channel":…,"pub":{…}}}` for one
 * publication, built once and written unchanged to every JSON subscriber of the channel (set
 * publicationDataAsString for delta-mode subscribers). Throws ProtocolEncodeError when the data
 * is not JSON.
 */
export function encodePublicationPushJson(
  channel: string,
  publication: Publication,
  options: JsonEncodeOptions = NO_OPTIONS,
): string {
  return '{"push":{"channel":' + str(channel) + ',"pub":' + ePublication(publication, options) + '}}';
}

/**
 * The bare-Push variant of encodePublicationPushJson for unidirectional transports:
 * `{"channel":…,"pub":{…}}`.
 */
export function encodePublicationUniPushJson(
  channel: string,
  publication: Publication,
  options: JsonEncodeOptions = NO_OPTIONS,
): string {
  return '{"channel":' + str(channel) + ',"pub":' + ePublication(publication, options) + '}';
}

// =============================================================================================
// Encoding: client → server messages (clients, tests, load generators).

function eStreamPosition(p: StreamPosition): string {
  let b = '';
  if (p.offset !== 0n) b += ',"offset":' + p.offset;
  if (p.epoch !== '') b += ',"epoch":' + str(p.epoch);
  return obj(b);
}

function eFilterNode(n: FilterNode): string {
  let b = '';
  if (n.op !== '') b += ',"op":' + str(n.op);
  if (n.key !== '') b += ',"key":' + str(n.key);
  if (n.cmp !== '') b += ',"cmp":' + str(n.cmp);
  if (n.val !== '') b += ',"val":' + str(n.val);
  if (n.vals.length !== 0) b += ',"vals":' + array(n.vals, str);
  if (n.nodes.length !== 0) b += ',"nodes":' + array(n.nodes, eFilterNode);
  return obj(b);
}

function eSubscribeRequest(s: SubscribeRequest): string {
  let b = '';
  if (s.channel !== '') b += ',"channel":' + str(s.channel);
  if (s.token !== '') b += ',"token":' + str(s.token);
  if (s.recover) b += ',"recover":true';
  if (s.epoch !== '') b += ',"epoch":' + str(s.epoch);
  if (s.offset !== 0n) b += ',"offset":' + s.offset;
  if (s.data.length !== 0) b += ',"data":' + raw(s.data, 'data');
  if (s.positioned) b += ',"positioned":true';
  if (s.recoverable) b += ',"recoverable":true';
  if (s.joinLeave) b += ',"join_leave":true';
  if (s.delta !== '') b += ',"delta":' + str(s.delta);
  if (s.tf !== undefined) b += ',"tf":' + eFilterNode(s.tf);
  if (s.flag !== 0n) b += ',"flag":' + s.flag;
  if (s.type !== 0) b += ',"type":' + s.type;
  if (s.phase !== 0) b += ',"phase":' + s.phase;
  if (s.cursor !== '') b += ',"cursor":' + str(s.cursor);
  if (s.limit !== 0) b += ',"limit":' + s.limit;
  if (s.asc) b += ',"asc":true';
  return obj(b);
}

function eConnectRequest(c: ConnectRequest): string {
  let b = '';
  if (c.token !== '') b += ',"token":' + str(c.token);
  if (c.data.length !== 0) b += ',"data":' + raw(c.data, 'data');
  if (hasKeys(c.subs)) b += ',"subs":' + messageMap(c.subs, eSubscribeRequest);
  if (c.name !== '') b += ',"name":' + str(c.name);
  if (c.version !== '') b += ',"version":' + str(c.version);
  if (hasKeys(c.headers)) b += ',"headers":' + stringMap(c.headers);
  if (c.flag !== 0n) b += ',"flag":' + c.flag;
  if (c.dict !== '') b += ',"dict":' + str(c.dict);
  if (c.profile !== '') b += ',"profile":' + str(c.profile);
  return obj(b);
}

function eChannelHolder(h: { channel: string }): string {
  return h.channel === '' ? '{}' : '{"channel":' + str(h.channel) + '}';
}

function ePublishRequest(p: PublishRequest): string {
  let b = '';
  if (p.channel !== '') b += ',"channel":' + str(p.channel);
  if (p.data.length !== 0) b += ',"data":' + raw(p.data, 'data');
  if (p.type !== 0) b += ',"type":' + p.type;
  if (p.key !== '') b += ',"key":' + str(p.key);
  if (p.removed) b += ',"removed":true';
  return obj(b);
}

function eHistoryRequest(h: HistoryRequest): string {
  let b = '';
  if (h.channel !== '') b += ',"channel":' + str(h.channel);
  if (h.limit !== 0) b += ',"limit":' + h.limit;
  if (h.since !== undefined) b += ',"since":' + eStreamPosition(h.since);
  if (h.reverse) b += ',"reverse":true';
  return obj(b);
}

function eRPCRequest(r: RPCRequest): string {
  let b = '';
  if (r.data.length !== 0) b += ',"data":' + raw(r.data, 'data');
  if (r.method !== '') b += ',"method":' + str(r.method);
  return obj(b);
}

function eKeyedItem(k: KeyedItem): string {
  let b = '';
  if (k.key !== '') b += ',"key":' + str(k.key);
  if (k.version !== 0n) b += ',"version":' + k.version;
  return obj(b);
}

function eTrackBatch(t: TrackBatch): string {
  let b = '';
  if (t.signature !== '') b += ',"signature":' + str(t.signature);
  if (t.items.length !== 0) b += ',"items":' + array(t.items, eKeyedItem);
  return obj(b);
}

function eSubRefreshRequest(s: SubRefreshRequest): string {
  let b = '';
  if (s.channel !== '') b += ',"channel":' + str(s.channel);
  if (s.token !== '') b += ',"token":' + str(s.token);
  if (s.type !== 0) b += ',"type":' + s.type;
  if (s.track.length !== 0) b += ',"track":' + array(s.track, eTrackBatch);
  if (s.untrack.length !== 0) b += ',"untrack":' + array(s.untrack, str);
  return obj(b);
}

function eCommand(c: Command): string {
  let b = '';
  if (c.id !== 0) b += ',"id":' + c.id;
  if (c.connect !== undefined) b += ',"connect":' + eConnectRequest(c.connect);
  if (c.subscribe !== undefined) b += ',"subscribe":' + eSubscribeRequest(c.subscribe);
  if (c.unsubscribe !== undefined) b += ',"unsubscribe":' + eChannelHolder(c.unsubscribe);
  if (c.publish !== undefined) b += ',"publish":' + ePublishRequest(c.publish);
  if (c.presence !== undefined) b += ',"presence":' + eChannelHolder(c.presence);
  if (c.presenceStats !== undefined) b += ',"presence_stats":' + eChannelHolder(c.presenceStats);
  if (c.history !== undefined) b += ',"history":' + eHistoryRequest(c.history);
  if (c.ping !== undefined) b += ',"ping":{}';
  if (c.send !== undefined) b += ',"send":' + eDataHolder(c.send);
  if (c.rpc !== undefined) b += ',"rpc":' + eRPCRequest(c.rpc);
  if (c.refresh !== undefined) b += ',"refresh":' + (c.refresh.token === '' ? '{}' : '{"token":' + str(c.refresh.token) + '}');
  if (c.subRefresh !== undefined) b += ',"sub_refresh":' + eSubRefreshRequest(c.subRefresh);
  return obj(b);
}

/** One Command as JSON (an empty Command `{}` is a pong). */
export function encodeCommandJson(command: Command): string {
  return eCommand(command);
}

/** Several Commands as one frame, joined with `\n` like the JS SDK does. */
export function encodeCommandsJson(commands: readonly Command[]): string {
  let s = '';
  for (let i = 0; i < commands.length; i++) s += (i === 0 ? '' : '\n') + eCommand(commands[i]!);
  return s;
}

/** The bare ConnectRequest JSON a unidirectional client sends. */
export function encodeConnectRequestJson(request: ConnectRequest): string {
  return eConnectRequest(request);
}
