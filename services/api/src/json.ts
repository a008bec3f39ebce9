/**
 * JSON primitives with Go encoding/json semantics, byte-exact and without JSON.parse:
 *
 * - JsonScanner reads a document from bytes. Numbers come back as their literal text, so 64-bit
 *   offsets and versions keep every digit (JSON.parse rounds above 2^53), and raw values (the
 *   server API's `data` / `info` / `params`) are taken as the exact byte span the client sent.
 * - JsonOut writes a document the way Go's json.Marshal does: strings with HTML-safe escapes
 *   (`<` → `\u003c`, ...), raw values compacted and validated (invalid raw JSON is an encode
 *   error, as Go's Marshaler check makes it), bigints as plain digits.
 *
 * Nesting is limited to Go's 10000 levels; the scanner never recurses while skipping values, so a
 * deep document cannot overflow the stack.
 */

/** Malformed JSON: Centrifugo answers 400 Bad Request for it. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

/** Well-formed JSON whose value does not fit the target field (Go's UnmarshalTypeError). */
export class JsonTypeError extends Error {
  override readonly name = 'JsonTypeError';
}

/** A raw value that is not valid JSON cannot be embedded (Go's MarshalerError). */
export class JsonEncodeError extends Error {
  override readonly name = 'JsonEncodeError';
}

export const MAX_DEPTH = 10000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

export type JsonValueKind = 'object' | 'array' | 'string' | 'number' | 'true' | 'false' | 'null';

export class JsonScanner {
  pos = 0;

  constructor(readonly buf: Uint8Array, readonly maxDepth: number = MAX_DEPTH) {}

  skipWs(): void {
    const b = this.buf;
    while (this.pos < b.length && isWs(b[this.pos]!)) this.pos++;
  }

  /** True when only whitespace is left. */
  atEnd(): boolean {
    this.skipWs();
    return this.pos >= this.buf.length;
  }

  /** The kind of the value starting at the current position (after whitespace). */
  kind(): JsonValueKind {
    this.skipWs();
    const c = this.buf[this.pos];
    switch (c) {
      case LBRACE: return 'object';
      case LBRACKET: return 'array';
      case QUOTE: return 'string';
      case 0x74: return 'true';
      case 0x66: return 'false';
      case 0x6e: return 'null';
      default:
        if (c !== undefined && (c === MINUS || isDigit(c))) return 'number';
        throw this.syntax(c === undefined ? 'unexpected end of JSON input' : `invalid character ${JSON.stringify(String.fromCharCode(c))} looking for beginning of value`);
    }
  }

  syntax(message: string): JsonSyntaxError {
    return new JsonSyntaxError(`${message} (offset ${this.pos})`);
  }

  expect(c: number): void {
    this.skipWs();
    if (this.buf[this.pos] !== c) {
      const got = this.buf[this.pos];
      throw this.syntax(got === undefined ? 'unexpected end of JSON input' : `expected ${JSON.stringify(String.fromCharCode(c))}`);
    }
    this.pos++;
  }

  /** Consumes `c` (after whitespace) when it is next; returns whether it did. */
  consume(c: number): boolean {
    this.skipWs();
    if (this.buf[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  readLiteral(word: 'true' | 'false' | 'null'): void {
    this.skipWs();
    const b = this.buf;
    for (let i = 0; i < word.length; i++) {
      if (b[this.pos + i] !== word.charCodeAt(i)) throw this.syntax(`invalid literal, expected ${word}`);
    }
    this.pos += word.length;
  }

  /** Reads a number and returns its literal text (Go's grammar: no leading zeros, no `+`, no bare `.`). */
  readNumber(): string {
    this.skipWs();
    const b = this.buf;
    const start = this.pos;
    let p = this.pos;
    if (b[p] === MINUS) p++;
    if (b[p] === 0x30) {
      p++;
    } else if (b[p] !== undefined && b[p]! >= 0x31 && b[p]! <= 0x39) {
      while (p < b.length && isDigit(b[p]!)) p++;
    } else {
      this.pos = p;
      throw this.syntax('invalid number');
    }
    if (b[p] === 0x2e) {
      p++;
      if (!isDigit(b[p] ?? -1)) { this.pos = p; throw this.syntax('invalid number: digit expected after decimal point'); }
      while (p < b.length && isDigit(b[p]!)) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p++;
      if (b[p] === 0x2b || b[p] === MINUS) p++;
      if (!isDigit(b[p] ?? -1)) { this.pos = p; throw this.syntax('invalid number: digit expected in exponent'); }
      while (p < b.length && isDigit(b[p]!)) p++;
    }
    this.pos = p;
    let s = '';
    for (let i = start; i < p; i++) s += String.fromCharCode(b[i]!);
    return s;
  }

  /**
   * Reads a string and returns its value. Invalid UTF-8 and lone surrogate escapes become U+FFFD,
   * as in Go; raw control characters are a syntax error.
   */
  readString(): string {
    this.skipWs();
    const b = this.buf;
    if (b[this.pos] !== QUOTE) throw this.syntax('expected string');
    let p = this.pos + 1;
    let segStart = p;
    let out = '';
    let ascii = true;
    for (;;) {
      if (p >= b.length) { this.pos = p; throw this.syntax('unexpected end of JSON input in string'); }
      const c = b[p]!;
      if (c === QUOTE) {
        out += ascii ? latin(b, segStart, p) : utf8.decode(b.subarray(segStart, p));
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) { this.pos = p; throw this.syntax('invalid control character in string'); }
      if (c >= 0x80) { ascii = false; p++; continue; }
      if (c !== BACKSLASH) { p++; continue; }
      out += ascii ? latin(b, segStart, p) : utf8.decode(b.subarray(segStart, p));
      ascii = true;
      const e = b[p + 1];
      switch (e) {
        case QUOTE: out += '"'; p += 2; break;
        case BACKSLASH: out += '\\'; p += 2; break;
        case 0x2f: out += '/'; p += 2; break;
        case 0x62: out += '\b'; p += 2; break;
        case 0x66: out += '\f'; p += 2; break;
        case 0x6e: out += '\n'; p += 2; break;
        case 0x72: out += '\r'; p += 2; break;
        case 0x74: out += '\t'; p += 2; break;
        case 0x75: {
          const u = this.hex4(p + 2);
          p += 6;
          if (u >= 0xd800 && u < 0xdc00) {
            // A high surrogate pairs only with an escaped low surrogate right after it.
            if (b[p] === BACKSLASH && b[p + 1] === 0x75) {
              const lo = this.hex4(p + 2);
              if (lo >= 0xdc00 && lo < 0xe000) {
                out += String.fromCharCode(u, lo);
                p += 6;
                break;
              }
            }
            out += '\ufffd';
          } else if (u >= 0xdc00 && u < 0xe000) {
            out += '\ufffd';
          } else {
            out += String.fromCharCode(u);
          }
          break;
        }
        default:
          this.pos = p;
          throw this.syntax('invalid escape in string');
      }
      segStart = p;
    }
  }

  private hex4(at: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const h = hexVal(this.buf[at + i] ?? -1);
      if (h < 0) { this.pos = at + i; throw this.syntax('invalid \\u escape'); }
      v = v * 16 + h;
    }
    return v;
  }

  /** Skips a string without decoding it (validates escapes and control characters). */
  private skipString(): void {
    const b = this.buf;
    let p = this.pos + 1;
    for (;;) {
      if (p >= b.length) { this.pos = p; throw this.syntax('unexpected end of JSON input in string'); }
      const c = b[p]!;
      if (c === QUOTE) { this.pos = p + 1; return; }
      if (c < 0x20) { this.pos = p; throw this.syntax('invalid control character in string'); }
      if (c !== BACKSLASH) { p++; continue; }
      const e = b[p + 1];
      if (e === 0x75) {
        this.hex4(p + 2);
        p += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        p += 2;
      } else {
        this.pos = p;
        throw this.syntax('invalid escape in string');
      }
    }
  }

  /**
   * Skips one complete value, validating it, and returns its byte span [start, end). Iterative:
   * nesting costs heap, not stack.
   */
  skipValue(depth = 0): [number, number] {
    this.skipWs();
    const b = this.buf;
    const start = this.pos;
    // Stack of open containers: true = object, false = array.
    const stack: boolean[] = [];
    for (;;) {
      // Parse the start of a value.
      this.skipWs();
      const c = b[this.pos];
      if (c === LBRACE || c === LBRACKET) {
        const isObj = c === LBRACE;
        this.pos++;
        if (!this.consume(isObj ? RBRACE : RBRACKET)) {
          if (depth + stack.length + 1 > this.maxDepth) throw this.syntax('exceeded max depth');
          stack.push(isObj);
          if (isObj) {
            this.skipWs();
            if (b[this.pos] !== QUOTE) throw this.syntax('expected object key');
            this.skipString();
            this.expect(COLON);
          }
          continue;
        }
      } else if (c === QUOTE) {
        this.skipString();
      } else if (c === 0x74) {
        this.readLiteral('true');
      } else if (c === 0x66) {
        this.readLiteral('false');
      } else if (c === 0x6e) {
        this.readLiteral('null');
      } else {
        this.readNumber();
      }
      // After a value: close containers or move to the next element.
      for (;;) {
        if (stack.length === 0) return [start, this.pos];
        const isObj = stack[stack.length - 1]!;
        this.skipWs();
        const n = b[this.pos];
        if (n === COMMA) {
          this.pos++;
          if (isObj) {
            this.skipWs();
            if (b[this.pos] !== QUOTE) throw this.syntax('expected object key');
            this.skipString();
            this.expect(COLON);
          }
          break;
        }
        if (n === (isObj ? RBRACE : RBRACKET)) {
          this.pos++;
          stack.pop();
          continue;
        }
        throw this.syntax(n === undefined ? 'unexpected end of JSON input' : `invalid character after ${isObj ? 'object value' : 'array element'}`);
      }
    }
  }

  /** Copies the bytes of the next value (validated): a raw field's content. */
  readRaw(depth = 0): Uint8Array {
    const [start, end] = this.skipValue(depth);
    return this.buf.slice(start, end);
  }
}

function latin(b: Uint8Array, from: number, to: number): string {
  if (to - from < 64) {
    let s = '';
    for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1');
}

/** True when `bytes` hold exactly one valid JSON value (surrounding whitespace allowed). */
export function isValidJson(bytes: Uint8Array): boolean {
  try {
    const sc = new JsonScanner(bytes);
    sc.skipValue();
    return sc.atEnd();
  } catch (err) {
    if (err instanceof JsonSyntaxError) return false;
    throw err;
  }
}

/** True when `bytes` hold one valid JSON object. */
export function isJsonObject(bytes: Uint8Array): boolean {
  if (!isValidJson(bytes)) return false;
  const sc = new JsonScanner(bytes);
  return sc.kind() === 'object';
}

// ---- output ------------------------------------------------------------------------------------

const HEX = '0123456789abcdef';
// Printable ASCII without `"`, `\`, `<`, `>`, `&`: what Go writes unescaped with escapeHTML.
const SAFE = /^[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x5b\x5d-\x7e]*$/;

/** A JSON string literal exactly as Go's json.Marshal writes it (HTML-safe escapes, U+2028/9). */
export function goQuote(s: string): string {
  if (SAFE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else if (c === 0x3c || c === 0x3e || c === 0x26) out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
      else out += s[i];
      continue;
    }
    if (c < 0x20) {
      switch (c) {
        case 0x08: out += '\\b'; break;
        case 0x0c: out += '\\f'; break;
        case 0x0a: out += '\\n'; break;
        case 0x0d: out += '\\r'; break;
        case 0x09: out += '\\t'; break;
        default: out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
      }
      continue;
    }
    if (c === 0x2028 || c === 0x2029) {
      out += c === 0x2028 ? '\\u2028' : '\\u2029';
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else {
        out += '\ufffd';
      }
      continue;
    }
    if (c >= 0xdc00 && c < 0xe000) {
      out += '\ufffd';
      continue;
    }
    out += s[i];
  }
  return out + '"';
}

/**
 * A raw JSON value compacted the way Go embeds a json.Marshaler's output: whitespace outside
 * strings dropped, `<`, `>`, `&`, U+2028 and U+2029 escaped. Throws JsonEncodeError when the bytes
 * are not one valid JSON value.
 */
export function compactRaw(raw: Uint8Array): Uint8Array {
  if (!isValidJson(raw)) throw new JsonEncodeError('raw value is not valid JSON');
  // Fast path: nothing to drop or escape.
  let needsWork = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (isWs(c) || c === 0x3c || c === 0x3e || c === 0x26 || c === 0xe2) { needsWork = true; break; }
  }
  if (!needsWork) return raw;
  const out: number[] = [];
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (!inString && isWs(c)) continue;
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
    if (inString) {
      if (c === BACKSLASH) {
        out.push(raw[++i]!);
      } else if (c === QUOTE) {
        inString = false;
      }
    } else if (c === QUOTE) {
      inString = true;
    }
  }
  return Uint8Array.from(out);
}

/**
 * Go's float formatting for JSON: shortest round-trip digits, exponent form below 1e-6 and from
 * 1e21 up, "e-7" not "e-07". JavaScript's Number#toString follows the same rules.
 */
export function goFloat(f: number): string {
  if (!Number.isFinite(f)) throw new JsonEncodeError(`unsupported value: ${f}`);
  return Object.is(f, -0) ? '-0' : String(f);
}

/** Collects a JSON document as text and byte chunks; raw values stay bytes. */
export class JsonOut {
  private readonly parts: (string | Uint8Array)[] = [];
  private text = '';

  str(s: string): this {
    this.text += s;
    return this;
  }

  bytes(b: Uint8Array): this {
    if (this.text) {
      this.parts.push(this.text);
      this.text = '';
    }
    this.parts.push(b);
    return this;
  }

  finish(): Buffer {
    if (this.text) {
      this.parts.push(this.text);
      this.text = '';
    }
    return Buffer.concat(this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  }
}

export function utf8Bytes(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}
