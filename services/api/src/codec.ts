/**
 * The HTTP API's JSON <-> the generated server API messages (centrifugal.centrifugo.api), driven
 * by the message descriptors, so every request and result of every method goes through one code
 * path with Centrifugo's (Go encoding/json's) rules:
 *
 * Decoding (request bodies):
 * - keys match proto field names exactly, else ASCII case-insensitively; unknown keys are skipped;
 *   with repeated keys the last wins (objects merge, as Go decodes into the existing value);
 * - `null` leaves scalars at their zero value and clears lists, maps and messages;
 * - any other type mismatch, a fraction or exponent in an integer, or an out-of-range integer is
 *   a JsonTypeError (Centrifugo: 400 Bad Request); 64-bit integers are read from their digits;
 * - every `bytes` field (`data`, `info`, `params`, ...) is raw JSON: the exact bytes of whatever
 *   value was sent (a `null` value gives the four bytes `null`, as Go's Raw does).
 *
 * Encoding (results):
 * - fields in declaration order under their proto names, zero values omitted (Go's omitempty)
 *   except the fields Centrifugo always writes (ALWAYS below), map keys sorted;
 * - `bytes` fields embedded as raw JSON, compacted; bytes that are not valid JSON make the whole
 *   response fail (JsonEncodeError), as json.Marshal does;
 * - 64-bit integers as plain JSON numbers with every digit.
 */
import { create, ScalarType, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import { JsonOut, JsonScanner, JsonTypeError, compactRaw, goFloat, goQuote } from './json.js';

// ---- decoding ----------------------------------------------------------------------------------

/** Go's case folding for struct field names (ASCII upper-case, plus the two Unicode oddities). */
export function goFoldKey(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === '\u017f') out += 'S';
    else if (ch === '\u212a') out += 'K';
    else if (ch.length === 1 && ch >= 'a' && ch <= 'z') out += ch.toUpperCase();
    else out += ch;
  }
  return out;
}

interface FieldIndex {
  exact: Map<string, DescField>;
  folded: Map<string, DescField>;
}

const fieldIndexes = new WeakMap<DescMessage, FieldIndex>();

function fieldIndex(desc: DescMessage): FieldIndex {
  let idx = fieldIndexes.get(desc);
  if (!idx) {
    idx = { exact: new Map(), folded: new Map() };
    for (const f of desc.fields) {
      idx.exact.set(f.name, f);
      const folded = goFoldKey(f.name);
      if (!idx.folded.has(folded)) idx.folded.set(folded, f);
    }
    fieldIndexes.set(desc, idx);
  }
  return idx;
}

/**
 * Messages that stood for a JSON `null` inside a list (Go: a nil pointer element). A batch
 * command that was `null` must answer 107, so it has to stay distinguishable from `{}`.
 */
const nullElements = new WeakSet<object>();

export function isNullElement(msg: object): boolean {
  return nullElements.has(msg);
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function parseInteger(text: string, min: bigint, max: bigint, what: string): bigint {
  if (!INTEGER.test(text)) throw new JsonTypeError(`cannot unmarshal number ${text} into ${what}`);
  const v = BigInt(text);
  if (v < min || v > max || (min === 0n && text.startsWith('-'))) throw new JsonTypeError(`cannot unmarshal number ${text} into ${what}`);
  return v;
}

type Scalar = string | number | bigint | boolean | Uint8Array;

function scalarName(t: ScalarType): string {
  return ScalarType[t]?.toLowerCase() ?? 'scalar';
}

/** Reads one scalar of type `t` at the scanner; `undefined` for `null` (leave the zero value). */
function readScalar(sc: JsonScanner, t: ScalarType, path: string, depth: number): Scalar | undefined {
  if (t === ScalarType.BYTES) return sc.readRaw(depth);
  const kind = sc.kind();
  if (kind === 'null') {
    sc.readLiteral('null');
    return undefined;
  }
  const mismatch = (): JsonTypeError => new JsonTypeError(`cannot unmarshal ${kind} into ${path} of type ${scalarName(t)}`);
  switch (t) {
    case ScalarType.STRING:
      if (kind !== 'string') throw mismatch();
      return sc.readString();
    case ScalarType.BOOL:
      if (kind === 'true') { sc.readLiteral('true'); return true; }
      if (kind === 'false') { sc.readLiteral('false'); return false; }
      throw mismatch();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      if (kind !== 'number') throw mismatch();
      const text = sc.readNumber();
      const v = Number(text);
      if (!Number.isFinite(v)) throw new JsonTypeError(`cannot unmarshal number ${text} into ${path}`);
      return v;
    }
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      if (kind !== 'number') throw mismatch();
      return Number(parseInteger(sc.readNumber(), INT32_MIN, INT32_MAX, path));
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      if (kind !== 'number') throw mismatch();
      return Number(parseInteger(sc.readNumber(), 0n, UINT32_MAX, path));
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      if (kind !== 'number') throw mismatch();
      return parseInteger(sc.readNumber(), INT64_MIN, INT64_MAX, path);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      if (kind !== 'number') throw mismatch();
      return parseInteger(sc.readNumber(), 0n, UINT64_MAX, path);
    default:
      throw mismatch();
  }
}

/** Enums are Go int32 types: numbers only. */
function readEnum(sc: JsonScanner, path: string): number | undefined {
  const kind = sc.kind();
  if (kind === 'null') { sc.readLiteral('null'); return undefined; }
  if (kind !== 'number') throw new JsonTypeError(`cannot unmarshal ${kind} into ${path}`);
  return Number(parseInteger(sc.readNumber(), INT32_MIN, INT32_MAX, path));
}

type AnyMessage = Message & Record<string, unknown>;

/**
 * Decodes the object at the scanner into `target` (merging, as Go does) or a new message.
 * Returns undefined for `null` when there is no target.
 */
export function decodeMessageAt(sc: JsonScanner, desc: DescMessage, target: AnyMessage | undefined, path: string, depth: number): AnyMessage | undefined {
  if (depth > sc.maxDepth) throw sc.syntax('exceeded max depth');
  const kind = sc.kind();
  if (kind === 'null') {
    sc.readLiteral('null');
    return target;
  }
  if (kind !== 'object') {
    // Go would still check the rest of the document; a type error is a 400 either way.
    throw new JsonTypeError(`cannot unmarshal ${kind} into ${path || desc.name}`);
  }
  const msg = target ?? (create(desc) as AnyMessage);
  const idx = fieldIndex(desc);
  sc.expect(0x7b);
  if (sc.consume(0x7d)) return msg;
  for (;;) {
    const key = sc.readString();
    sc.expect(0x3a);
    const field = idx.exact.get(key) ?? idx.folded.get(goFoldKey(key));
    if (!field) sc.skipValue(depth + 1);
    else decodeField(sc, msg, field, path ? `${path}.${field.name}` : field.name, depth + 1);
    if (sc.consume(0x2c)) continue;
    sc.expect(0x7d);
    return msg;
  }
}

function decodeField(sc: JsonScanner, msg: AnyMessage, field: DescField, path: string, depth: number): void {
  const name = field.localName;
  switch (field.fieldKind) {
    case 'scalar': {
      const v = readScalar(sc, field.scalar, path, depth);
      if (v !== undefined) msg[name] = v;
      return;
    }
    case 'enum': {
      const v = readEnum(sc, path);
      if (v !== undefined) msg[name] = v;
      return;
    }
    case 'message': {
      if (sc.kind() === 'null') {
        sc.readLiteral('null');
        msg[name] = undefined;
        return;
      }
      msg[name] = decodeMessageAt(sc, field.message, msg[name] as AnyMessage | undefined, path, depth);
      return;
    }
    case 'list': {
      const kind = sc.kind();
      if (kind === 'null') {
        sc.readLiteral('null');
        msg[name] = [];
        return;
      }
      if (kind !== 'array') throw new JsonTypeError(`cannot unmarshal ${kind} into ${path} of type list`);
      const out: unknown[] = [];
      sc.expect(0x5b);
      if (!sc.consume(0x5d)) {
        for (;;) {
          if (field.listKind === 'message') {
            if (sc.kind() === 'null') {
              sc.readLiteral('null');
              const placeholder = create(field.message);
              nullElements.add(placeholder);
              out.push(placeholder);
            } else {
              out.push(decodeMessageAt(sc, field.message, undefined, `${path}[]`, depth + 1));
            }
          } else if (field.listKind === 'enum') {
            out.push(readEnum(sc, path) ?? 0);
          } else {
            out.push(readScalar(sc, field.scalar, `${path}[]`, depth + 1) ?? zeroScalar(field.scalar));
          }
          if (sc.consume(0x2c)) continue;
          sc.expect(0x5d);
          break;
        }
      }
      msg[name] = out;
      return;
    }
    case 'map': {
      const kind = sc.kind();
      if (kind === 'null') {
        sc.readLiteral('null');
        msg[name] = {};
        return;
      }
      if (kind !== 'object') throw new JsonTypeError(`cannot unmarshal ${kind} into ${path} of type map`);
      const out = (msg[name] as Record<string, unknown> | undefined) ?? {};
      sc.expect(0x7b);
      if (!sc.consume(0x7d)) {
        for (;;) {
          const key = sc.readString();
          sc.expect(0x3a);
          let value: unknown;
          if (field.mapKind === 'message') {
            value = decodeMessageAt(sc, field.message, undefined, `${path}[${key}]`, depth + 1) ?? create(field.message);
          } else if (field.mapKind === 'enum') {
            value = readEnum(sc, path) ?? 0;
          } else {
            value = readScalar(sc, field.scalar, `${path}[${key}]`, depth + 1) ?? zeroScalar(field.scalar);
          }
          out[key] = value;
          if (sc.consume(0x2c)) continue;
          sc.expect(0x7d);
          break;
        }
      }
      msg[name] = out;
      return;
    }
  }
}

function zeroScalar(t: ScalarType): Scalar {
  switch (t) {
    case ScalarType.STRING: return '';
    case ScalarType.BOOL: return false;
    case ScalarType.BYTES: return new Uint8Array(0);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 0n;
    default:
      return 0;
  }
}

/**
 * Decodes a whole document (one value, whitespace around it) into a message of `desc`. `null`
 * gives an empty message, as json.Unmarshal into a struct does. Throws JsonSyntaxError for
 * malformed JSON (including an empty body) and JsonTypeError for values of the wrong type.
 */
export function decodeJson<T extends Message>(desc: DescMessage, bytes: Uint8Array): T {
  const sc = new JsonScanner(bytes);
  const msg = decodeMessageAt(sc, desc, undefined, '', 0) ?? (create(desc) as AnyMessage);
  if (!sc.atEnd()) throw sc.syntax('invalid character after top-level value');
  return msg as unknown as T;
}

// ---- encoding ----------------------------------------------------------------------------------

const API = 'centrifugal.centrifugo.api.';

/**
 * Fields Centrifugo writes even when zero or empty (server.md §1.2); every other field is
 * omitted when empty.
 */
const ALWAYS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [`${API}ClientInfo`, new Set(['user', 'client'])],
  [`${API}PresenceResult`, new Set(['presence'])],
  [`${API}PresenceStatsResult`, new Set(['num_clients', 'num_users'])],
  [`${API}HistoryResult`, new Set(['publications', 'offset', 'epoch'])],
  [`${API}Publication`, new Set(['data', 'offset'])],
  [`${API}NodeResult`, new Set(['uid', 'name', 'version', 'num_clients', 'num_users', 'num_channels', 'num_subs'])],
  [`${API}ChannelsResult`, new Set(['channels'])],
  [`${API}ChannelInfo`, new Set(['num_clients'])],
]);

const NULL_BYTES = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]);

function isZeroScalar(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v === '';
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'bigint') return v === 0n;
  if (typeof v === 'boolean') return !v;
  if (v instanceof Uint8Array) return v.length === 0;
  return false;
}

function writeScalar(out: JsonOut, t: ScalarType, v: unknown): void {
  switch (t) {
    case ScalarType.STRING:
      out.str(goQuote((v as string | undefined) ?? ''));
      return;
    case ScalarType.BOOL:
      out.str(v ? 'true' : 'false');
      return;
    case ScalarType.BYTES: {
      const b = v as Uint8Array | undefined;
      // Go's Raw writes `null` for a nil slice; an empty one would not be valid JSON.
      out.bytes(b && b.length > 0 ? compactRaw(b) : NULL_BYTES);
      return;
    }
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      out.str(goFloat((v as number | undefined) ?? 0));
      return;
    default:
      out.str(String(v ?? 0));
  }
}

/** Writes a message as a JSON object (Go struct rules, see the header). */
export function encodeMessage(out: JsonOut, desc: DescMessage, msg: Message): void {
  const always = ALWAYS.get(desc.typeName);
  const m = msg as AnyMessage;
  out.str('{');
  let first = true;
  const key = (name: string): void => {
    out.str(first ? goQuote(name) + ':' : ',' + goQuote(name) + ':');
    first = false;
  };
  for (const field of desc.fields) {
    const v = m[field.localName];
    const forced = always?.has(field.name) ?? false;
    switch (field.fieldKind) {
      case 'scalar':
        if (!forced && isZeroScalar(v)) continue;
        key(field.name);
        writeScalar(out, field.scalar, v);
        break;
      case 'enum':
        if (!forced && isZeroScalar(v)) continue;
        key(field.name);
        out.str(String(v ?? 0));
        break;
      case 'message':
        if (v === undefined) continue;
        key(field.name);
        encodeMessage(out, field.message, v as Message);
        break;
      case 'list': {
        const list = (v as unknown[] | undefined) ?? [];
        if (!forced && list.length === 0) continue;
        key(field.name);
        out.str('[');
        list.forEach((item, i) => {
          if (i > 0) out.str(',');
          if (field.listKind === 'message') encodeMessage(out, field.message, item as Message);
          else if (field.listKind === 'enum') out.str(String(item));
          else writeScalar(out, field.scalar, item);
        });
        out.str(']');
        break;
      }
      case 'map': {
        const map = (v as Record<string, unknown> | undefined) ?? {};
        const keys = Object.keys(map).sort(compareGoStrings);
        if (!forced && keys.length === 0) continue;
        key(field.name);
        out.str('{');
        keys.forEach((k, i) => {
          out.str((i > 0 ? ',' : '') + goQuote(k) + ':');
          const item = map[k];
          if (field.mapKind === 'message') encodeMessage(out, field.message, item as Message);
          else if (field.mapKind === 'enum') out.str(String(item));
          else writeScalar(out, field.scalar, item);
        });
        out.str('}');
        break;
      }
    }
  }
  out.str('}');
}

/** Go sorts map keys by their UTF-8 bytes; for UTF-16 strings that is code point order. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** One message as a JSON document. */
export function encodeJson(desc: DescMessage, msg: Message): Buffer {
  const out = new JsonOut();
  encodeMessage(out, desc, msg);
  return out.finish();
}
