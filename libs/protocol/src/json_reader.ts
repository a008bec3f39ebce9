// A small pull scanner over UTF-8 JSON bytes, just enough for the client protocol codecs.
//
// Why not JSON.parse: `bytes` fields of the protocol carry embedded raw JSON that must reach
// subscribers byte for byte (big integers, number formatting, key order and unicode escapes
// all preserved), and 64-bit integers must not pass through float64. The scanner therefore
// captures raw value spans and parses integers itself.
//
// What must hold:
// - Every failure is a ProtocolDecodeError (never a RangeError, TypeError or a hang): the
//   scanner never recurses on input nesting (skipValue is iterative, depth-capped like Go's
//   encoding/json at 10000) and every loop advances `pos`.
// - Values are validated as strict JSON (RFC 8259): no trailing commas, no leading zeros, no
//   raw control characters in strings, only the standard escapes, valid UTF-8 in decoded
//   strings.
import { ProtocolDecodeError } from './errors.js';

const MAX_DEPTH = 10_000;
const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Byte constants.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class JsonReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  fail(message: string, at = this.pos): never {
    throw new ProtocolDecodeError(message, at);
  }

  /** Skips JSON whitespace (space, tab, CR, LF). */
  ws(): void {
    const b = this.buf;
    let p = this.pos;
    const e = this.end;
    while (p < e) {
      const c = b[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  /** Skips whitespace other than LF (frame separator). */
  wsInline(): void {
    const b = this.buf;
    let p = this.pos;
    const e = this.end;
    while (p < e) {
      const c = b[p]!;
      if (c !== 0x20 && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Next byte after whitespace, or -1 at the end. Does not consume it. */
  peek(): number {
    this.ws();
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }

  private expectByte(c: number, what: string): void {
    if (this.pos >= this.end) this.fail(`unexpected end of JSON, expected ${what}`);
    if (this.buf[this.pos] !== c) this.fail(`invalid JSON, expected ${what}`);
    this.pos++;
  }

  // -------------------------------------------------------------------------------------------
  // Objects. Usage: for (let k = r.objectStart(); k !== null; k = r.objectNext()) { ...value... }

  /** Consumes `{` and returns the first key, or null for an empty object. */
  objectStart(): string | null {
    this.ws();
    if (this.pos >= this.end) this.fail('unexpected end of JSON, expected object');
    if (this.buf[this.pos] !== LBRACE) this.fail(this.typeName() + ' where an object was expected');
    this.pos++;
    this.ws();
    if (this.pos < this.end && this.buf[this.pos] === RBRACE) {
      this.pos++;
      return null;
    }
    return this.key();
  }

  /** After a member value: returns the next key, or null when the object closes. */
  objectNext(): string | null {
    this.ws();
    if (this.pos >= this.end) this.fail('unexpected end of JSON inside object');
    const c = this.buf[this.pos];
    if (c === COMMA) {
      this.pos++;
      this.ws();
      return this.key();
    }
    if (c === RBRACE) {
      this.pos++;
      return null;
    }
    return this.fail("invalid JSON, expected ',' or '}' in object");
  }

  private key(): string {
    if (this.pos >= this.end || this.buf[this.pos] !== QUOTE) this.fail('invalid JSON, expected object key');
    this.pos++;
    const k = this.stringBody();
    this.ws();
    this.expectByte(COLON, "':'");
    return k;
  }

  // -------------------------------------------------------------------------------------------
  // Arrays. Usage: for (let more = r.arrayStart(); more; more = r.arrayNext()) { ...value... }

  /** Consumes `[`; returns false for an empty array. */
  arrayStart(): boolean {
    this.ws();
    if (this.pos >= this.end) this.fail('unexpected end of JSON, expected array');
    if (this.buf[this.pos] !== LBRACKET) this.fail(this.typeName() + ' where an array was expected');
    this.pos++;
    this.ws();
    if (this.pos < this.end && this.buf[this.pos] === RBRACKET) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** After an element: true if another element follows, false when the array closes. */
  arrayNext(): boolean {
    this.ws();
    if (this.pos >= this.end) this.fail('unexpected end of JSON inside array');
    const c = this.buf[this.pos];
    if (c === COMMA) {
      this.pos++;
      return true;
    }
    if (c === RBRACKET) {
      this.pos++;
      return false;
    }
    return this.fail("invalid JSON, expected ',' or ']' in array");
  }

  // -------------------------------------------------------------------------------------------
  // Scalars. `null` reads as the zero value, like Go's decoder leaving the field untouched.

  /** Consumes `null` if it is the next token. */
  takeNull(): boolean {
    this.ws();
    const b = this.buf;
    const p = this.pos;
    if (p < this.end && b[p] === 0x6e) {
      if (p + 4 > this.end || b[p + 1] !== 0x75 || b[p + 2] !== 0x6c || b[p + 3] !== 0x6c) {
        this.fail('invalid JSON literal');
      }
      this.pos = p + 4;
      return true;
    }
    return false;
  }

  readString(): string {
    if (this.takeNull()) return '';
    if (this.pos >= this.end) this.fail('unexpected end of JSON, expected string');
    if (this.buf[this.pos] !== QUOTE) this.fail(this.typeName() + ' where a string was expected');
    this.pos++;
    return this.stringBody();
  }

  readBool(): boolean {
    if (this.takeNull()) return false;
    const b = this.buf;
    const p = this.pos;
    if (p + 4 <= this.end && b[p] === 0x74 && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
      this.pos = p + 4;
      return true;
    }
    if (
      p + 5 <= this.end &&
      b[p] === 0x66 &&
      b[p + 1] === 0x61 &&
      b[p + 2] === 0x6c &&
      b[p + 3] === 0x73 &&
      b[p + 4] === 0x65
    ) {
      this.pos = p + 5;
      return false;
    }
    if (p >= this.end) this.fail('unexpected end of JSON, expected bool');
    return this.fail(this.typeName() + ' where a bool was expected');
  }

  readUint32(): number {
    if (this.takeNull()) return 0;
    const v = this.integerToken(false, false);
    if (typeof v !== 'number' || v > UINT32_MAX) this.fail('number out of range for uint32');
    return v;
  }

  readInt32(): number {
    if (this.takeNull()) return 0;
    const v = this.integerToken(true, false);
    if (typeof v !== 'number' || v < INT32_MIN || v > INT32_MAX) this.fail('number out of range for int32');
    return v;
  }

  /** JSON number, or (for safety with clients that quote 64-bit values) a quoted integer. */
  readUint64(): bigint {
    if (this.takeNull()) return 0n;
    const v = BigInt(this.integerToken(false, true));
    if (v > UINT64_MAX) this.fail('number out of range for uint64');
    return v;
  }

  readInt64(): bigint {
    if (this.takeNull()) return 0n;
    const v = BigInt(this.integerToken(true, true));
    if (v < INT64_MIN || v > INT64_MAX) this.fail('number out of range for int64');
    return v;
  }

  /**
   * Parses an integer literal (optionally quoted when allowQuoted). Returns a number when it is
   * exactly representable, otherwise the digit string (for BigInt). Fractions and exponents are
   * type errors, as in Go's strconv-based integer decoding.
   */
  private integerToken(signed: boolean, allowQuoted: boolean): number | string {
    const b = this.buf;
    let p = this.pos;
    if (p >= this.end) this.fail('unexpected end of JSON, expected number');
    let quoted = false;
    if (b[p] === QUOTE) {
      if (!allowQuoted) this.fail('string where a number was expected');
      quoted = true;
      p++;
    }
    const start = p;
    let neg = false;
    if (p < this.end && b[p] === MINUS) {
      if (!signed) this.fail('negative number for an unsigned field', p);
      neg = true;
      p++;
    }
    const digitsStart = p;
    if (p >= this.end || !isDigit(b[p]!)) {
      this.fail(quoted ? 'quoted value is not an integer' : this.typeName() + ' where a number was expected', p);
    }
    if (b[p] === ZERO && p + 1 < this.end && isDigit(b[p + 1]!)) this.fail('invalid JSON number (leading zero)', p);
    let n = 0;
    while (p < this.end && isDigit(b[p]!)) {
      n = n * 10 + (b[p]! - ZERO);
      p++;
    }
    const ndigits = p - digitsStart;
    if (p < this.end) {
      const c = b[p];
      if (c === DOT || c === LOWER_E || c === UPPER_E) {
        // A valid JSON number but not an integer: report it as a type error after checking
        // that it is at least well-formed.
        this.pos = start;
        if (!quoted) this.skipNumber();
        this.fail('non-integer number for an integer field', start);
      }
    }
    if (quoted) {
      if (p >= this.end || b[p] !== QUOTE) this.fail('quoted value is not an integer', p);
      this.pos = p + 1;
    } else {
      this.pos = p;
    }
    if (ndigits <= 15) return neg ? (n === 0 ? 0 : -n) : n;
    let s = '';
    for (let i = start; i < p; i++) s += String.fromCharCode(b[i]!);
    return s;
  }

  /**
   * Raw JSON of the next value, copied out of the frame (the frame buffer may be reused by the
   * transport once the handler returns). Leading whitespace is not part of the value.
   */
  readRaw(): Uint8Array {
    this.ws();
    const start = this.pos;
    this.skipValue();
    // new Uint8Array(view) copies; Buffer#slice (ws delivers Buffers) would only alias.
    return new Uint8Array(this.buf.subarray(start, this.pos));
  }

  /** Validates and skips one JSON value of any type. Iterative: input nesting cannot overflow the stack. */
  skipValue(): void {
    const b = this.buf;
    const stack: number[] = []; // 1 = object, 2 = array
    for (;;) {
      // Expecting a value.
      this.ws();
      if (this.pos >= this.end) this.fail('unexpected end of JSON, expected value');
      const c = b[this.pos]!;
      if (c === LBRACE) {
        this.pos++;
        this.ws();
        if (this.pos < this.end && b[this.pos] === RBRACE) {
          this.pos++;
        } else {
          if (stack.length >= MAX_DEPTH) this.fail('JSON nested too deeply');
          stack.push(1);
          this.key();
          continue;
        }
      } else if (c === LBRACKET) {
        this.pos++;
        this.ws();
        if (this.pos < this.end && b[this.pos] === RBRACKET) {
          this.pos++;
        } else {
          if (stack.length >= MAX_DEPTH) this.fail('JSON nested too deeply');
          stack.push(2);
          continue;
        }
      } else if (c === QUOTE) {
        this.pos++;
        this.skipStringBody();
      } else if (c === MINUS || isDigit(c)) {
        this.skipNumber();
      } else {
        this.skipLiteral();
      }
      // After a complete value: close containers or move to the next member.
      for (;;) {
        const top = stack.length === 0 ? 0 : stack[stack.length - 1]!;
        if (top === 0) return;
        this.ws();
        if (this.pos >= this.end) this.fail('unexpected end of JSON inside ' + (top === 1 ? 'object' : 'array'));
        const d = b[this.pos];
        if (d === COMMA) {
          this.pos++;
          if (top === 1) {
            this.ws();
            this.key();
          }
          break;
        }
        if ((top === 1 && d === RBRACE) || (top === 2 && d === RBRACKET)) {
          this.pos++;
          stack.pop();
          continue;
        }
        this.fail(top === 1 ? "invalid JSON, expected ',' or '}' in object" : "invalid JSON, expected ',' or ']' in array");
      }
    }
  }

  private skipLiteral(): void {
    const b = this.buf;
    const p = this.pos;
    const e = this.end;
    const c = b[p];
    if (c === 0x74 && p + 4 <= e && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
      this.pos = p + 4;
    } else if (
      c === 0x66 &&
      p + 5 <= e &&
      b[p + 1] === 0x61 &&
      b[p + 2] === 0x6c &&
      b[p + 3] === 0x73 &&
      b[p + 4] === 0x65
    ) {
      this.pos = p + 5;
    } else if (c === 0x6e && p + 4 <= e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
      this.pos = p + 4;
    } else {
      this.fail('invalid JSON value');
    }
  }

  private skipNumber(): void {
    const b = this.buf;
    const e = this.end;
    let p = this.pos;
    if (b[p] === MINUS) p++;
    if (p >= e || !isDigit(b[p]!)) this.fail('invalid JSON number', p);
    if (b[p] === ZERO) {
      p++;
      if (p < e && isDigit(b[p]!)) this.fail('invalid JSON number (leading zero)', p);
    } else {
      while (p < e && isDigit(b[p]!)) p++;
    }
    if (p < e && b[p] === DOT) {
      p++;
      if (p >= e || !isDigit(b[p]!)) this.fail('invalid JSON number', p);
      while (p < e && isDigit(b[p]!)) p++;
    }
    if (p < e && (b[p] === LOWER_E || b[p] === UPPER_E)) {
      p++;
      if (p < e && (b[p] === PLUS || b[p] === MINUS)) p++;
      if (p >= e || !isDigit(b[p]!)) this.fail('invalid JSON number', p);
      while (p < e && isDigit(b[p]!)) p++;
    }
    this.pos = p;
  }

  /** Skips a string body (after the opening quote) validating escapes and control characters. */
  private skipStringBody(): void {
    const b = this.buf;
    const e = this.end;
    let p = this.pos;
    for (;;) {
      if (p >= e) this.fail('unexpected end of JSON inside string', p);
      const c = b[p]!;
      if (c === QUOTE) {
        this.pos = p + 1;
        return;
      }
      if (c < 0x20) this.fail('invalid control character in string', p);
      if (c === BACKSLASH) {
        p++;
        if (p >= e) this.fail('unexpected end of JSON inside string', p);
        const x = b[p]!;
        if (x === 0x75) {
          if (p + 4 >= e) this.fail('unexpected end of JSON inside string', p);
          for (let i = 1; i <= 4; i++) if (hexVal(b[p + i]!) < 0) this.fail('invalid \\u escape', p);
          p += 5;
          continue;
        }
        if (
          x !== QUOTE &&
          x !== BACKSLASH &&
          x !== 0x2f &&
          x !== 0x62 &&
          x !== 0x66 &&
          x !== 0x6e &&
          x !== 0x72 &&
          x !== 0x74
        ) {
          this.fail('invalid escape in string', p);
        }
        p++;
        continue;
      }
      p++;
    }
  }

  /** Decodes a string body (after the opening quote) and consumes the closing quote. */
  private stringBody(): string {
    const b = this.buf;
    const e = this.end;
    const start = this.pos;
    let p = start;
    let ascii = true;
    // Fast scan: find the closing quote; bail out to the slow path on the first escape.
    for (;;) {
      if (p >= e) this.fail('unexpected end of JSON inside string', p);
      const c = b[p]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) return this.stringBodySlow(start);
      if (c < 0x20) this.fail('invalid control character in string', p);
      if (c >= 0x80) ascii = false;
      p++;
    }
    this.pos = p + 1;
    if (ascii && p - start <= 64) {
      let s = '';
      for (let i = start; i < p; i++) s += String.fromCharCode(b[i]!);
      return s;
    }
    return this.utf8(start, p);
  }

  private stringBodySlow(start: number): string {
    const b = this.buf;
    const e = this.end;
    let p = start;
    let out = '';
    let seg = start;
    for (;;) {
      if (p >= e) this.fail('unexpected end of JSON inside string', p);
      const c = b[p]!;
      if (c === QUOTE) {
        if (seg < p) out += this.utf8(seg, p);
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) this.fail('invalid control character in string', p);
      if (c !== BACKSLASH) {
        p++;
        continue;
      }
      if (seg < p) out += this.utf8(seg, p);
      p++;
      if (p >= e) this.fail('unexpected end of JSON inside string', p);
      const x = b[p]!;
      switch (x) {
        case QUOTE:
          out += '"';
          break;
        case BACKSLASH:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          if (p + 4 >= e) this.fail('unexpected end of JSON inside string', p);
          let u = 0;
          for (let i = 1; i <= 4; i++) {
            const h = hexVal(b[p + i]!);
            if (h < 0) this.fail('invalid \\u escape', p);
            u = (u << 4) | h;
          }
          p += 4;
          out += String.fromCharCode(u);
          break;
        }
        default:
          this.fail('invalid escape in string', p);
      }
      p++;
      seg = p;
    }
  }

  private utf8(start: number, end: number): string {
    try {
      return utf8Fatal.decode(this.buf.subarray(start, end));
    } catch {
      return this.fail('invalid UTF-8 in string', start);
    }
  }

  /** Name of the JSON type at pos, for type-mismatch messages. */
  private typeName(): string {
    const c = this.buf[this.pos];
    if (c === LBRACE) return 'object';
    if (c === LBRACKET) return 'array';
    if (c === QUOTE) return 'string';
    if (c === 0x74 || c === 0x66) return 'bool';
    if (c === 0x6e) return 'null';
    if (c === MINUS || (c !== undefined && isDigit(c))) return 'number';
    return 'invalid JSON';
  }
}

/**
 * True if `bytes` is exactly one JSON value, optionally surrounded by whitespace.
 * Used before embedding raw `bytes` fields into a JSON frame.
 */
export function isSingleJsonValue(bytes: Uint8Array): boolean {
  const r = new JsonReader(bytes);
  try {
    r.skipValue();
    r.ws();
    return r.atEnd();
  } catch (e) {
    if (e instanceof ProtocolDecodeError) return false;
    throw e;
  }
}
