/**
 * A strict JSON parser over bytes that keeps every value's byte span.
 *
 * Why not JSON.parse: Centrifugo keeps `info`, `data` and `meta` as Go `json.RawMessage`, i.e. the
 * exact bytes the token carried (whitespace, key order, number spelling, big integers). JSON.parse
 * loses all of that. This parser validates the whole document like Go's encoding/json (RFC 8259
 * grammar, no BOM, no trailing data) and gives each node its [start, end) offsets into the input.
 *
 * Invalid UTF-8 inside strings is replaced with U+FFFD when the string is decoded, as Go does;
 * raw spans keep the original bytes.
 */

export type JsonNode =
  | { readonly type: 'object'; readonly start: number; readonly end: number; readonly members: ReadonlyArray<readonly [string, JsonNode]> }
  | { readonly type: 'array'; readonly start: number; readonly end: number; readonly items: readonly JsonNode[] }
  | { readonly type: 'string'; readonly start: number; readonly end: number; readonly value: string }
  | { readonly type: 'number'; readonly start: number; readonly end: number; readonly text: string }
  | { readonly type: 'boolean'; readonly start: number; readonly end: number; readonly value: boolean }
  | { readonly type: 'null'; readonly start: number; readonly end: number };

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

/** Go's encoding/json allows 10000 levels; claims never need more than a handful. */
export const DEFAULT_MAX_DEPTH = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function parseJson(bytes: Uint8Array, maxDepth: number = DEFAULT_MAX_DEPTH): JsonNode {
  const p = new Parser(bytes, maxDepth);
  p.skipWs();
  const node = p.value(0);
  p.skipWs();
  if (p.pos !== bytes.length) throw new JsonSyntaxError('unexpected data after top-level value');
  return node;
}

/** Returns the exact bytes of a node (a copy, so the token buffer can be released). */
export function rawBytes(bytes: Uint8Array, node: JsonNode): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes, node.start, node.end);
}

/** RFC 8259 number grammar, which is also what Go accepts. */
export const JSON_NUMBER_RE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

class Parser {
  pos = 0;
  constructor(private readonly b: Uint8Array, private readonly maxDepth: number) {}

  skipWs(): void {
    const b = this.b;
    while (this.pos < b.length) {
      const c = b[this.pos];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  value(depth: number): JsonNode {
    if (depth > this.maxDepth) throw new JsonSyntaxError('nesting too deep');
    const c = this.b[this.pos];
    switch (c) {
      case 0x7b: return this.object(depth);
      case 0x5b: return this.array(depth);
      case QUOTE: {
        const start = this.pos;
        const value = this.string();
        return { type: 'string', start, end: this.pos, value };
      }
      case 0x74: return this.literal('true', { type: 'boolean', value: true });
      case 0x66: return this.literal('false', { type: 'boolean', value: false });
      case 0x6e: return this.literal('null', { type: 'null' });
      default:
        if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
        throw new JsonSyntaxError(c === undefined ? 'unexpected end of input' : 'unexpected character');
    }
  }

  private literal<T extends object>(word: string, node: T): JsonNode {
    const start = this.pos;
    for (let i = 0; i < word.length; i++) {
      if (this.b[this.pos + i] !== word.charCodeAt(i)) throw new JsonSyntaxError('invalid literal');
    }
    this.pos += word.length;
    return { ...node, start, end: this.pos } as unknown as JsonNode;
  }

  private number(): JsonNode {
    const b = this.b;
    const start = this.pos;
    let i = start;
    if (b[i] === 0x2d) i++;
    if (b[i] === 0x30) {
      i++;
    } else if (isDigit(b[i])) {
      while (isDigit(b[i])) i++;
    } else {
      throw new JsonSyntaxError('invalid number');
    }
    if (b[i] === 0x2e) {
      i++;
      if (!isDigit(b[i])) throw new JsonSyntaxError('invalid number');
      while (isDigit(b[i])) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!isDigit(b[i])) throw new JsonSyntaxError('invalid number');
      while (isDigit(b[i])) i++;
    }
    this.pos = i;
    return { type: 'number', start, end: i, text: latin1(b, start, i) };
  }

  /** Parses a string starting at the opening quote; returns its decoded value. */
  string(): string {
    const b = this.b;
    const start = this.pos;
    let i = start + 1;
    let simple = true; // no escapes and ASCII only: decode without JSON.parse
    for (;;) {
      const c = b[i];
      if (c === undefined) throw new JsonSyntaxError('unterminated string');
      if (c === QUOTE) break;
      if (c < 0x20) throw new JsonSyntaxError('control character in string');
      if (c === BACKSLASH) {
        simple = false;
        const e = b[i + 1];
        if (e === 0x75) { // \uXXXX
          for (let k = 2; k < 6; k++) {
            if (!isHex(b[i + k])) throw new JsonSyntaxError('invalid unicode escape');
          }
          i += 6;
          continue;
        }
        if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
          continue;
        }
        throw new JsonSyntaxError('invalid escape');
      }
      if (c >= 0x80) simple = false;
      i++;
    }
    this.pos = i + 1;
    if (simple) return latin1(b, start + 1, i);
    // The span is a valid JSON string literal; let the engine unescape it. Decoding the bytes as
    // UTF-8 first replaces invalid sequences with U+FFFD, like Go.
    return JSON.parse(Buffer.from(b.buffer, b.byteOffset + start, i + 1 - start).toString('utf8')) as string;
  }

  private object(depth: number): JsonNode {
    const start = this.pos;
    this.pos++; // {
    const members: Array<readonly [string, JsonNode]> = [];
    this.skipWs();
    if (this.b[this.pos] === 0x7d) {
      this.pos++;
      return { type: 'object', start, end: this.pos, members };
    }
    for (;;) {
      this.skipWs();
      if (this.b[this.pos] !== QUOTE) throw new JsonSyntaxError('expected object key');
      const key = this.string();
      this.skipWs();
      if (this.b[this.pos] !== 0x3a) throw new JsonSyntaxError('expected colon');
      this.pos++;
      this.skipWs();
      members.push([key, this.value(depth + 1)]);
      this.skipWs();
      const c = this.b[this.pos];
      if (c === 0x2c) { this.pos++; continue; }
      if (c === 0x7d) { this.pos++; break; }
      throw new JsonSyntaxError('expected comma or closing brace');
    }
    return { type: 'object', start, end: this.pos, members };
  }

  private array(depth: number): JsonNode {
    const start = this.pos;
    this.pos++; // [
    const items: JsonNode[] = [];
    this.skipWs();
    if (this.b[this.pos] === 0x5d) {
      this.pos++;
      return { type: 'array', start, end: this.pos, items };
    }
    for (;;) {
      this.skipWs();
      items.push(this.value(depth + 1));
      this.skipWs();
      const c = this.b[this.pos];
      if (c === 0x2c) { this.pos++; continue; }
      if (c === 0x5d) { this.pos++; break; }
      throw new JsonSyntaxError('expected comma or closing bracket');
    }
    return { type: 'array', start, end: this.pos, items };
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}
