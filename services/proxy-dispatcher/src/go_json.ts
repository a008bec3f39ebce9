/**
 * The HTTP proxy's JSON, exactly as Centrifugo writes and reads it.
 *
 * Centrifugo marshals its proxy structs with Go's encoding/json, not protojson: the generated
 * structs carry `json:"<proto field name>,omitempty"` tags and every `bytes` field is a `Raw`
 * type (embedded JSON, copied verbatim). So, unlike protojson:
 * - keys are the proto field names (`expire_at`, `b64data`), in declaration order;
 * - zero values are omitted (`omitempty`), except `user` in the Refresh/Subscribe/Publish/RPC/
 *   SubRefresh requests, which is always present (Centrifugo strips omitempty from those);
 * - `bytes` fields are raw JSON values in both directions (never base64), validated and
 *   compacted on the way out like Go's json.Marshal does for a json.Marshaler; on the way in the
 *   exact bytes of the value are kept (`null` included, as Go's Raw does);
 * - 64-bit integers are JSON numbers (never strings), maps are written with sorted keys,
 *   strings are written with Go's HTML-safe escaping (`<`, `>`, `&`, U+2028, U+2029);
 * - reading matches keys exactly or case-insensitively, ignores unknown keys, treats `null` as
 *   "leave unset", and rejects every type mismatch (Go returns an error for the whole body,
 *   which Centrifugo turns into an internal error).
 *
 * What must hold: every failure is a GoJsonError (never a RangeError or a hang on hostile
 * input); the scanner never recurses on the nesting of raw values (skipValue is iterative and
 * depth-capped like Go's decoder at 10000).
 */
import { create, ScalarType, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';

export class GoJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoJsonError';
  }
}

const MAX_DEPTH = 10_000;
/** Message nesting while decoding structurally (FilterNode is recursive); Go has no lower cap. */
const MAX_MESSAGE_DEPTH = 1_000;

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

// Fields that keep their zero value in the JSON (Centrifugo removes `omitempty` from them).
const ALWAYS_EMIT = new Set([
  'centrifugal.centrifugo.proxy.RefreshRequest.user',
  'centrifugal.centrifugo.proxy.SubscribeRequest.user',
  'centrifugal.centrifugo.proxy.PublishRequest.user',
  'centrifugal.centrifugo.proxy.RPCRequest.user',
  'centrifugal.centrifugo.proxy.SubRefreshRequest.user',
]);

type AnyMessage = Record<string, unknown> & { $typeName: string };

// =============================================================================================
// Scanner

const enum C {
  QUOTE = 0x22,
  BACKSLASH = 0x5c,
  COMMA = 0x2c,
  COLON = 0x3a,
  LBRACE = 0x7b,
  RBRACE = 0x7d,
  LBRACKET = 0x5b,
  RBRACKET = 0x5d,
  MINUS = 0x2d,
  PLUS = 0x2b,
  DOT = 0x2e,
  ZERO = 0x30,
  NINE = 0x39,
}

const isDigit = (c: number): boolean => c >= C.ZERO && c <= C.NINE;
const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

class Scanner {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  fail(what: string): never {
    throw new GoJsonError(`invalid JSON at offset ${this.pos}: ${what}`);
  }

  ws(): void {
    const b = this.buf;
    while (this.pos < b.length && isWs(b[this.pos]!)) this.pos++;
  }

  /** Next non-whitespace byte, or -1 at the end. */
  peek(): number {
    this.ws();
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  expect(c: number, what: string): void {
    if (this.peek() !== c) this.fail(`expected ${what}`);
    this.pos++;
  }

  literal(word: string): void {
    const b = this.buf;
    for (let i = 0; i < word.length; i++) {
      if (b[this.pos + i] !== word.charCodeAt(i)) this.fail(`invalid literal, expected ${word}`);
    }
    this.pos += word.length;
  }

  /** Validates a string at pos (which must be a quote) and returns its end (after the quote). */
  private stringEnd(): number {
    const b = this.buf;
    let p = this.pos + 1;
    for (;;) {
      if (p >= b.length) this.fail('unterminated string');
      const c = b[p]!;
      if (c === C.QUOTE) return p + 1;
      if (c < 0x20) {
        this.pos = p;
        this.fail('control character in string');
      }
      if (c === C.BACKSLASH) {
        const e = b[p + 1];
        if (e === 0x75 /* u */) {
          for (let i = 2; i < 6; i++) {
            if (hexVal(b[p + i] ?? -1) < 0) {
              this.pos = p;
              this.fail('invalid \\u escape');
            }
          }
          p += 6;
          continue;
        }
        if (e === C.QUOTE || e === C.BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          p += 2;
          continue;
        }
        this.pos = p;
        this.fail('invalid escape');
      }
      p++;
    }
  }

  /** Reads a string value and decodes it the way Go does (invalid UTF-8 and lone surrogates become U+FFFD). */
  readString(): string {
    if (this.peek() !== C.QUOTE) this.fail('expected string');
    const start = this.pos + 1;
    const end = this.stringEnd();
    this.pos = end;
    const b = this.buf;
    // Fast path: no escapes.
    let hasEscape = false;
    for (let i = start; i < end - 1; i++) {
      if (b[i] === C.BACKSLASH) {
        hasEscape = true;
        break;
      }
    }
    if (!hasEscape) return utf8.decode(b.subarray(start, end - 1));
    let out = '';
    let runStart = start;
    let i = start;
    while (i < end - 1) {
      if (b[i] !== C.BACKSLASH) {
        i++;
        continue;
      }
      out += utf8.decode(b.subarray(runStart, i));
      const e = b[i + 1]!;
      if (e === 0x75) {
        let cu = 0;
        for (let k = 2; k < 6; k++) cu = (cu << 4) | hexVal(b[i + k]!);
        i += 6;
        if (cu >= 0xd800 && cu < 0xdc00) {
          // A high surrogate must be followed by an escaped low surrogate.
          if (b[i] === C.BACKSLASH && b[i + 1] === 0x75) {
            let lo = 0;
            for (let k = 2; k < 6; k++) lo = (lo << 4) | hexVal(b[i + k]!);
            if (lo >= 0xdc00 && lo < 0xe000) {
              out += String.fromCharCode(cu, lo);
              i += 6;
            } else {
              out += '\ufffd';
            }
          } else {
            out += '\ufffd';
          }
        } else if (cu >= 0xdc00 && cu < 0xe000) {
          out += '\ufffd';
        } else {
          out += String.fromCharCode(cu);
        }
      } else {
        out += e === 0x62 ? '\b' : e === 0x66 ? '\f' : e === 0x6e ? '\n' : e === 0x72 ? '\r' : e === 0x74 ? '\t' : String.fromCharCode(e);
        i += 2;
      }
      runStart = i;
    }
    out += utf8.decode(b.subarray(runStart, end - 1));
    return out;
  }

  /** Validates a number at pos and returns its text. */
  readNumber(): string {
    this.ws();
    const b = this.buf;
    const start = this.pos;
    let p = start;
    if (b[p] === C.MINUS) p++;
    if (b[p] === C.ZERO) {
      p++;
    } else if (isDigit(b[p] ?? -1)) {
      while (isDigit(b[p] ?? -1)) p++;
    } else {
      this.pos = p;
      this.fail('invalid number');
    }
    if (b[p] === C.DOT) {
      p++;
      if (!isDigit(b[p] ?? -1)) {
        this.pos = p;
        this.fail('invalid number');
      }
      while (isDigit(b[p] ?? -1)) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p++;
      if (b[p] === C.PLUS || b[p] === C.MINUS) p++;
      if (!isDigit(b[p] ?? -1)) {
        this.pos = p;
        this.fail('invalid number');
      }
      while (isDigit(b[p] ?? -1)) p++;
    }
    this.pos = p;
    return utf8.decode(b.subarray(start, p));
  }

  /** Skips (and validates) one value of any kind without recursion. */
  skipValue(): void {
    // Stack of open containers: true = object, false = array.
    const stack: boolean[] = [];
    for (;;) {
      // At a value position.
      const c = this.peek();
      if (c === C.LBRACE || c === C.LBRACKET) {
        if (stack.length >= MAX_DEPTH) this.fail('exceeded max depth');
        this.pos++;
        const isObj = c === C.LBRACE;
        const close = isObj ? C.RBRACE : C.RBRACKET;
        if (this.peek() === close) {
          this.pos++;
        } else {
          stack.push(isObj);
          if (isObj) {
            if (this.peek() !== C.QUOTE) this.fail('expected object key');
            this.pos = this.stringEnd();
            this.expect(C.COLON, "':'");
          }
          continue;
        }
      } else if (c === C.QUOTE) {
        this.pos = this.stringEnd();
      } else if (c === 0x74) {
        this.literal('true');
      } else if (c === 0x66) {
        this.literal('false');
      } else if (c === 0x6e) {
        this.literal('null');
      } else if (c === C.MINUS || isDigit(c)) {
        this.readNumber();
      } else {
        this.fail(c < 0 ? 'unexpected end of JSON input' : 'invalid character');
      }
      // After a value: close containers or move to the next element.
      for (;;) {
        if (stack.length === 0) return;
        const isObj = stack[stack.length - 1]!;
        const n = this.peek();
        if (n === C.COMMA) {
          this.pos++;
          if (isObj) {
            if (this.peek() !== C.QUOTE) this.fail('expected object key');
            this.pos = this.stringEnd();
            this.expect(C.COLON, "':'");
          }
          break;
        }
        if (n === (isObj ? C.RBRACE : C.RBRACKET)) {
          this.pos++;
          stack.pop();
          continue;
        }
        this.fail(n < 0 ? 'unexpected end of JSON input' : `expected ',' or '${isObj ? '}' : ']'}'`);
      }
    }
  }

  /** Iterates the members of an object at pos, calling `member` with the scanner positioned at each value. */
  object(member: (key: string) => void): void {
    this.expect(C.LBRACE, "'{'");
    if (this.peek() === C.RBRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      const key = this.readString();
      this.expect(C.COLON, "':'");
      member(key);
      const n = this.peek();
      if (n === C.COMMA) {
        this.pos++;
        continue;
      }
      if (n === C.RBRACE) {
        this.pos++;
        return;
      }
      this.fail(n < 0 ? 'unexpected end of JSON input' : "expected ',' or '}'");
    }
  }

  array(element: () => void): void {
    this.expect(C.LBRACKET, "'['");
    if (this.peek() === C.RBRACKET) {
      this.pos++;
      return;
    }
    for (;;) {
      element();
      const n = this.peek();
      if (n === C.COMMA) {
        this.pos++;
        continue;
      }
      if (n === C.RBRACKET) {
        this.pos++;
        return;
      }
      this.fail(n < 0 ? 'unexpected end of JSON input' : "expected ',' or ']'");
    }
  }
}

// =============================================================================================
// Decoding (backend response body -> message)

function typeError(field: DescField | string, got: string): never {
  const name = typeof field === 'string' ? field : `${field.parent.name}.${field.name}`;
  throw new GoJsonError(`cannot unmarshal ${got} into ${name}`);
}

function kindOf(c: number): string {
  if (c === C.QUOTE) return 'string';
  if (c === C.LBRACE) return 'object';
  if (c === C.LBRACKET) return 'array';
  if (c === 0x74 || c === 0x66) return 'bool';
  if (c === 0x6e) return 'null';
  return 'number';
}

const INT_RANGES: Partial<Record<ScalarType, [bigint, bigint]>> = {
  [ScalarType.INT32]: [-(1n << 31n), (1n << 31n) - 1n],
  [ScalarType.SINT32]: [-(1n << 31n), (1n << 31n) - 1n],
  [ScalarType.SFIXED32]: [-(1n << 31n), (1n << 31n) - 1n],
  [ScalarType.UINT32]: [0n, (1n << 32n) - 1n],
  [ScalarType.FIXED32]: [0n, (1n << 32n) - 1n],
  [ScalarType.INT64]: [-(1n << 63n), (1n << 63n) - 1n],
  [ScalarType.SINT64]: [-(1n << 63n), (1n << 63n) - 1n],
  [ScalarType.SFIXED64]: [-(1n << 63n), (1n << 63n) - 1n],
  [ScalarType.UINT64]: [0n, (1n << 64n) - 1n],
  [ScalarType.FIXED64]: [0n, (1n << 64n) - 1n],
};

const is64 = (t: ScalarType): boolean =>
  t === ScalarType.INT64 || t === ScalarType.UINT64 || t === ScalarType.SINT64 || t === ScalarType.FIXED64 || t === ScalarType.SFIXED64;

/**
 * Reads one scalar. Returns undefined for JSON null (Go leaves the value untouched), except
 * for bytes, which keep the raw text of any value (Go's Raw type, `null` included).
 */
function readScalar(s: Scanner, t: ScalarType, what: DescField | string, longAsString: boolean): unknown {
  const c = s.peek();
  if (t === ScalarType.BYTES) {
    const start = s.pos;
    s.skipValue();
    return s.buf.slice(start, s.pos);
  }
  if (c === 0x6e) {
    s.literal('null');
    return undefined;
  }
  switch (t) {
    case ScalarType.STRING:
      if (c !== C.QUOTE) typeError(what, kindOf(c));
      return s.readString();
    case ScalarType.BOOL:
      if (c === 0x74) {
        s.literal('true');
        return true;
      }
      if (c === 0x66) {
        s.literal('false');
        return false;
      }
      return typeError(what, kindOf(c));
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      if (c !== C.MINUS && !isDigit(c)) typeError(what, kindOf(c));
      const v = Number(s.readNumber());
      if (!Number.isFinite(v) || (t === ScalarType.FLOAT && Math.abs(v) > 3.4028234663852886e38)) typeError(what, 'number (out of range)');
      return v;
    }
    default: {
      if (c !== C.MINUS && !isDigit(c)) typeError(what, kindOf(c));
      const text = s.readNumber();
      // Go parses integer fields with strconv.ParseInt/ParseUint: no fraction, no exponent.
      if (!/^-?\d+$/.test(text)) typeError(what, `number ${text}`);
      const n = BigInt(text);
      const range = INT_RANGES[t];
      if (range && (n < range[0] || n > range[1])) typeError(what, `number ${text}`);
      if (is64(t)) return longAsString ? n.toString() : n;
      return Number(n);
    }
  }
}

function findField(desc: DescMessage, key: string): DescField | undefined {
  for (const f of desc.fields) if (f.name === key) return f;
  const lower = key.toLowerCase();
  for (const f of desc.fields) if (f.name.toLowerCase() === lower) return f;
  return undefined;
}

function decodeInto(s: Scanner, desc: DescMessage, target: AnyMessage, depth: number): void {
  if (depth > MAX_MESSAGE_DEPTH) s.fail('exceeded max depth');
  s.object((key) => {
    const field = findField(desc, key);
    if (!field || field.oneof) {
      s.skipValue();
      return;
    }
    decodeField(s, field, target, depth);
  });
}

function decodeField(s: Scanner, field: DescField, target: AnyMessage, depth: number): void {
  const c = s.peek();
  switch (field.fieldKind) {
    case 'scalar': {
      const v = readScalar(s, field.scalar, field, field.longAsString);
      if (v !== undefined) target[field.localName] = v;
      return;
    }
    case 'enum': {
      const v = readScalar(s, ScalarType.INT32, field, false);
      if (v !== undefined) target[field.localName] = v;
      return;
    }
    case 'message': {
      if (c === 0x6e) {
        s.literal('null');
        target[field.localName] = undefined;
        return;
      }
      if (c !== C.LBRACE) typeError(field, kindOf(c));
      // A repeated key merges into the message decoded so far, as Go reuses the pointer.
      let sub = target[field.localName] as AnyMessage | undefined;
      if (!sub) {
        sub = create(field.message) as unknown as AnyMessage;
        target[field.localName] = sub;
      }
      decodeInto(s, field.message, sub, depth + 1);
      return;
    }
    case 'list': {
      if (c === 0x6e) {
        s.literal('null');
        target[field.localName] = [];
        return;
      }
      if (c !== C.LBRACKET) typeError(field, kindOf(c));
      const out: unknown[] = [];
      s.array(() => {
        const e = s.peek();
        if (field.listKind === 'message') {
          const sub = create(field.message) as unknown as AnyMessage;
          if (e === 0x6e) s.literal('null');
          else if (e === C.LBRACE) decodeInto(s, field.message, sub, depth + 1);
          else typeError(field, kindOf(e));
          out.push(sub);
        } else {
          const t = field.listKind === 'enum' ? ScalarType.INT32 : field.scalar;
          const v = readScalar(s, t, field, field.listKind === 'scalar' ? field.longAsString : false);
          out.push(v === undefined ? zeroScalar(t, field.listKind === 'scalar' && field.longAsString) : v);
        }
      });
      target[field.localName] = out;
      return;
    }
    case 'map': {
      if (c === 0x6e) {
        s.literal('null');
        target[field.localName] = {};
        return;
      }
      if (c !== C.LBRACE) typeError(field, kindOf(c));
      // Go decodes into the existing map, so a repeated key adds entries.
      const out = (target[field.localName] as Record<string, unknown> | undefined) ?? {};
      s.object((key) => {
        const mapKey = mapKeyFromJson(key, field.mapKey, field);
        const e = s.peek();
        if (field.mapKind === 'message') {
          const sub = create(field.message) as unknown as AnyMessage;
          if (e === 0x6e) s.literal('null');
          else if (e === C.LBRACE) decodeInto(s, field.message, sub, depth + 1);
          else typeError(field, kindOf(e));
          out[mapKey] = sub;
        } else {
          const t = field.mapKind === 'enum' ? ScalarType.INT32 : field.scalar;
          const v = readScalar(s, t, field, false);
          out[mapKey] = v === undefined ? zeroScalar(t, false) : v;
        }
      });
      target[field.localName] = out;
      return;
    }
  }
}

function mapKeyFromJson(key: string, t: ScalarType, field: DescField): string {
  if (t === ScalarType.STRING) return key;
  if (t === ScalarType.BOOL) {
    if (key === 'true' || key === 'false') return key;
    return typeError(field, `map key ${JSON.stringify(key)}`);
  }
  if (!/^-?\d+$/.test(key)) typeError(field, `map key ${JSON.stringify(key)}`);
  const n = BigInt(key);
  const range = INT_RANGES[t];
  if (range && (n < range[0] || n > range[1])) typeError(field, `map key ${key}`);
  return n.toString();
}

function zeroScalar(t: ScalarType, longAsString: boolean): unknown {
  switch (t) {
    case ScalarType.STRING:
      return '';
    case ScalarType.BOOL:
      return false;
    case ScalarType.BYTES:
      return new Uint8Array(0);
    default:
      return is64(t) ? (longAsString ? '0' : 0n) : 0;
  }
}

/**
 * Decodes a backend's JSON body into `desc` the way Go's json.Unmarshal fills Centrifugo's
 * structs. Top-level `null` yields an empty message; any syntax or type error throws GoJsonError.
 */
export function decodeGoJson<T extends Message>(desc: DescMessage, body: Uint8Array): T {
  const s = new Scanner(body);
  // Go validates the whole document before decoding.
  s.skipValue();
  if (s.peek() !== -1) s.fail('invalid character after top-level value');
  s.pos = 0;
  const msg = create(desc) as unknown as AnyMessage;
  const c = s.peek();
  if (c === 0x6e) return msg as unknown as T;
  if (c !== C.LBRACE) typeError(desc.name, kindOf(c));
  decodeInto(s, desc, msg, 0);
  return msg as unknown as T;
}

// =============================================================================================
// Encoding (request message -> body)

const HEX = '0123456789abcdef';

/** Go's encodeState.string with HTML escaping (json.Marshal's default). */
export function goQuote(str: string): string {
  let out = '"';
  let run = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      esc = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : c === 0x08 ? '\\b' : c === 0x0c ? '\\f' : `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x22) {
      esc = '\\"';
    } else if (c === 0x5c) {
      esc = '\\\\';
    } else if (c === 0x3c) {
      esc = '\\u003c';
    } else if (c === 0x3e) {
      esc = '\\u003e';
    } else if (c === 0x26) {
      esc = '\\u0026';
    } else if (c === 0x2028) {
      esc = '\\u2028';
    } else if (c === 0x2029) {
      esc = '\\u2029';
    } else if (c >= 0xd800 && c < 0xe000) {
      // Lone surrogates are not valid UTF-8: Go writes U+FFFD.
      const next = str.charCodeAt(i + 1);
      if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        i++;
        continue;
      }
      esc = '\ufffd';
    }
    if (esc !== undefined) {
      out += str.slice(run, i) + esc;
      run = i + 1;
    }
  }
  return out + str.slice(run) + '"';
}

/**
 * Validates raw JSON and compacts it the way Go does for a json.Marshaler's output:
 * insignificant whitespace dropped, `<`, `>`, `&`, U+2028 and U+2029 escaped inside strings.
 */
export function compactRawJson(raw: Uint8Array, what = 'raw value'): string {
  const s = new Scanner(raw);
  try {
    s.skipValue();
    if (s.peek() !== -1) s.fail('invalid character after top-level value');
  } catch (err) {
    throw new GoJsonError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  let plain = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (isWs(c) || c === 0x3c || c === 0x3e || c === 0x26 || c === 0xe2) {
      plain = false;
      break;
    }
  }
  if (plain) return utf8.decode(raw);
  const out: number[] = [];
  let inStr = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inStr) {
      if (c === C.BACKSLASH) {
        out.push(c, raw[i + 1]!);
        i++;
        continue;
      }
      if (c === C.QUOTE) inStr = false;
      if (c === 0x3c || c === 0x3e || c === 0x26) {
        out.push(0x5c, 0x75, 0x30, 0x30, HEX.charCodeAt(c >> 4), HEX.charCodeAt(c & 15));
        continue;
      }
      if (c === 0xe2 && raw[i + 1] === 0x80 && (raw[i + 2] === 0xa8 || raw[i + 2] === 0xa9)) {
        out.push(0x5c, 0x75, 0x32, 0x30, 0x32, raw[i + 2] === 0xa8 ? 0x38 : 0x39);
        i += 2;
        continue;
      }
      out.push(c);
      continue;
    }
    if (isWs(c)) continue;
    if (c === C.QUOTE) inStr = true;
    out.push(c);
  }
  return utf8.decode(Uint8Array.from(out));
}

function isZero(field: DescField, v: unknown): boolean {
  switch (field.fieldKind) {
    case 'scalar':
    case 'enum':
      if (v === undefined || v === null) return true;
      if (typeof v === 'string') return v === '' || (field.fieldKind === 'scalar' && field.longAsString && v === '0');
      if (typeof v === 'number') return v === 0;
      if (typeof v === 'bigint') return v === 0n;
      if (typeof v === 'boolean') return !v;
      if (v instanceof Uint8Array) return v.length === 0;
      return false;
    case 'message':
      return v === undefined || v === null;
    case 'list':
      return !Array.isArray(v) || v.length === 0;
    case 'map':
      return v === undefined || v === null || Object.keys(v as object).length === 0;
  }
}

function encodeScalar(t: ScalarType, v: unknown, path: string): string {
  switch (t) {
    case ScalarType.STRING:
      return goQuote(String(v ?? ''));
    case ScalarType.BOOL:
      return v ? 'true' : 'false';
    case ScalarType.BYTES: {
      const b = v instanceof Uint8Array ? v : new Uint8Array(0);
      // A nil Raw marshals as null; omitempty normally hides it (lists/maps of bytes do not exist here).
      if (b.length === 0) return 'null';
      return compactRawJson(b, path);
    }
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new GoJsonError(`${path}: unsupported value ${n}`);
      return JSON.stringify(n);
    }
    default:
      return typeof v === 'bigint' ? v.toString() : String(v ?? 0);
  }
}

function encodeMessage(desc: DescMessage, msg: AnyMessage, path: string, depth: number): string {
  if (depth > MAX_MESSAGE_DEPTH) throw new GoJsonError(`${path}: exceeded max depth`);
  const parts: string[] = [];
  for (const field of desc.fields) {
    if (field.oneof) continue;
    const v = msg[field.localName];
    if (isZero(field, v) && !ALWAYS_EMIT.has(`${desc.typeName}.${field.name}`)) continue;
    const fpath = `${path}.${field.name}`;
    let text: string;
    switch (field.fieldKind) {
      case 'scalar':
        text = encodeScalar(field.scalar, v, fpath);
        break;
      case 'enum':
        text = String(v ?? 0);
        break;
      case 'message':
        text = encodeMessage(field.message, v as AnyMessage, fpath, depth + 1);
        break;
      case 'list': {
        const items = v as unknown[];
        text = `[${items
          .map((e, i) =>
            field.listKind === 'message'
              ? encodeMessage(field.message, e as AnyMessage, `${fpath}[${i}]`, depth + 1)
              : field.listKind === 'enum'
                ? String(e)
                : encodeScalar(field.scalar, e, `${fpath}[${i}]`),
          )
          .join(',')}]`;
        break;
      }
      case 'map': {
        const obj = v as Record<string, unknown>;
        // Go writes map keys sorted.
        const keys = Object.keys(obj).sort();
        text = `{${keys
          .map((k) => {
            const e = obj[k];
            const val =
              field.mapKind === 'message'
                ? encodeMessage(field.message, e as AnyMessage, `${fpath}[${k}]`, depth + 1)
                : field.mapKind === 'enum'
                  ? String(e)
                  : encodeScalar(field.scalar, e, `${fpath}[${k}]`);
            return `${goQuote(k)}:${val}`;
          })
          .join(',')}}`;
        break;
      }
    }
    parts.push(`${goQuote(field.name)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/** Encodes `msg` as Centrifugo's Go code would send it to an HTTP backend. Throws GoJsonError when a raw field is not JSON. */
export function encodeGoJson(desc: DescMessage, msg: Message): Uint8Array {
  return utf8Encoder.encode(encodeMessage(desc, msg as unknown as AnyMessage, desc.name, 0));
}
