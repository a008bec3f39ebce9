/**
 * Finds the first JSON syntax error in a text and says where it is. JSON.parse in Node 20 does not
 * reliably report a position, so when it fails this small scanner walks the same grammar
 * (RFC 8259) and stops at the offending character. Line and column are 1-based and computed from
 * that character's offset: line = 1 + newlines before it, column = code points since the last
 * newline + 1 (the algorithm Centrifugo v3.1–v5 used, reference §2.2).
 */

export interface JsonSyntaxError {
  offset: number;
  line: number;
  column: number;
  message: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Returns the first syntax error of `text`, or null if it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  const scanner = new Scanner(text);
  try {
    scanner.document();
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { offset: e.offset, ...lineColumn(text, e.offset), message: e.reason };
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = Array.from(text.slice(lineStart, offset)).length + 1;
  return { line, column };
}

/** How a character is named in "unexpected X" messages. */
export function describeChar(ch: string): string {
  switch (ch) {
    case '\n':
      return 'newline';
    case '\r':
      return 'carriage return';
    case '\t':
      return 'tab';
    case '\uFEFF':
      return 'byte order mark';
    case "'":
      return `"'"`;
  }
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return `control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${ch}'`;
}

class Scanner {
  private pos = 0;
  private depth = 0;

  constructor(private readonly s: string) {}

  document(): void {
    this.ws();
    if (this.pos >= this.s.length) {
      throw new Stop(this.pos, this.s.length === 0 ? 'unexpected end of input (the file is empty)' : 'unexpected end of input');
    }
    this.value();
    this.ws();
    if (this.pos < this.s.length) this.unexpected();
  }

  private ws(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  /** "unexpected '}'": the message names only the offending character, like the examples users know. */
  private unexpected(): never {
    if (this.pos >= this.s.length) throw new Stop(this.pos, 'unexpected end of input');
    const ch = String.fromCodePoint(this.s.codePointAt(this.pos) ?? 0);
    throw new Stop(this.pos, `unexpected ${describeChar(ch)}`);
  }

  private value(): void {
    const c = this.s[this.pos];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.literal('true');
      case 'f':
        return this.literal('false');
      case 'n':
        return this.literal('null');
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.unexpected();
    }
  }

  private enter(): void {
    // The scanner recurses; config files never nest deeply, so stop long before the stack would.
    if (++this.depth > 1000) throw new Stop(this.pos, 'nesting too deep');
  }

  private object(): void {
    this.enter();
    this.pos++; // {
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      if (this.s[this.pos] !== '"') this.unexpected();
      this.string();
      this.ws();
      if (this.s[this.pos] !== ':') this.unexpected();
      this.pos++;
      this.ws();
      this.value();
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        this.ws();
        continue;
      }
      if (c === '}') {
        this.pos++;
        this.depth--;
        return;
      }
      this.unexpected();
    }
  }

  private array(): void {
    this.enter();
    this.pos++; // [
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      this.value();
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        this.ws();
        continue;
      }
      if (c === ']') {
        this.pos++;
        this.depth--;
        return;
      }
      this.unexpected();
    }
  }

  private string(): void {
    const start = this.pos;
    this.pos++; // opening quote
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return;
      }
      if (c === 0x5c) {
        const e = this.s[this.pos + 1];
        if (e === undefined) break;
        if ('"\\/bfnrt'.includes(e)) {
          this.pos += 2;
          continue;
        }
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.s.slice(this.pos + 2, this.pos + 6))) {
            throw new Stop(this.pos, 'invalid \\u escape in string');
          }
          this.pos += 6;
          continue;
        }
        throw new Stop(this.pos, `invalid escape '\\${e}' in string`);
      }
      if (c === 0x0a || c === 0x0d) {
        throw new Stop(this.pos, `unterminated string (${describeChar(this.s[this.pos]!)} inside the string that starts at ${describeAt(this.s, start)})`);
      }
      if (c < 0x20) throw new Stop(this.pos, `unexpected ${describeChar(this.s[this.pos]!)} in string`);
      this.pos++;
    }
    throw new Stop(this.pos, `unterminated string (the string that starts at ${describeAt(this.s, start)} never ends)`);
  }

  private number(): void {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.pos, this.pos + 400));
    if (!m || m[0] === '-') {
      this.pos += m ? m[0].length : 0;
      this.unexpected();
    }
    this.pos += m[0].length;
    const next = this.s[this.pos];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) this.unexpected();
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.s[this.pos] !== word[i]) this.unexpected();
      this.pos++;
    }
  }
}

function describeAt(text: string, offset: number): string {
  const { line, column } = lineColumn(text, offset);
  return `line ${line}, column ${column}`;
}
