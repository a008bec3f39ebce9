/**
 * Centrifugo's `audience_regex` / `issuer_regex` are Go (RE2) patterns, compiled with
 * regexp.Compile and applied with FindStringSubmatch: an unanchored search, so a pattern only
 * anchors where it says `^`/`$`. This module turns the RE2 syntax a config may use into an
 * equivalent JavaScript RegExp, and refuses (at startup) what it cannot translate faithfully
 * rather than silently matching something else.
 *
 * Translated: `(?P<name>…)` named groups, leading flag groups `(?i)` `(?s)` `(?m)`, `\A`, `\z`,
 * `\Q…\E`, octal and `\x{…}` escapes, `\a`, a leading `]` in a class, ASCII POSIX classes
 * (`[[:alpha:]]`). Refused: `\p`/`\P` Unicode classes, `\C`, flags in the middle of a pattern,
 * ungreedy `U`, and JS-only syntax Go rejects (lookaround, backreferences).
 */

export class GoRegexError extends Error {
  override readonly name = 'GoRegexError';
}

const POSIX: Record<string, string> = {
  alnum: 'A-Za-z0-9', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: 'A-Za-z0-9_', xdigit: '0-9A-Fa-f',
};

const SIMPLE_ESCAPES = new Set(['f', 't', 'n', 'r', 'v', 'd', 'D', 'w', 'W', 's', 'S', 'b', 'B']);

function hexEscape(code: number): string {
  if (code > 0x10ffff) throw new GoRegexError('invalid character code');
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  // Outside the BMP without the `u` flag: match the surrogate pair literally.
  const s = String.fromCodePoint(code);
  return `\\u${s.charCodeAt(0).toString(16)}\\u${s.charCodeAt(1).toString(16)}`;
}

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Reads an escape at src[i] === '\\'; returns [JS text, next index]. */
function translateEscape(src: string, i: number, inClass: boolean, multiline: boolean): [string, number] {
  const n = src[i + 1];
  if (n === undefined) throw new GoRegexError('trailing backslash');
  if (n >= '0' && n <= '7') {
    const m = /^[0-7]{1,3}/.exec(src.slice(i + 1))![0];
    if (n !== '0' && m.length === 1) throw new GoRegexError('backreferences are not supported');
    return [hexEscape(parseInt(m, 8)), i + 1 + m.length];
  }
  if (n === 'x') {
    if (src[i + 2] === '{') {
      const end = src.indexOf('}', i + 3);
      const hex = end < 0 ? '' : src.slice(i + 3, end);
      if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) throw new GoRegexError('invalid \\x{} escape');
      return [hexEscape(parseInt(hex, 16)), end + 1];
    }
    const hex = src.slice(i + 2, i + 4);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new GoRegexError('invalid \\x escape');
    return [`\\x${hex}`, i + 4];
  }
  if (n === 'a') return ['\\x07', i + 2];
  if (n === 'p' || n === 'P') throw new GoRegexError('Unicode classes (\\p, \\P) are not supported');
  if (n === 'C') throw new GoRegexError('\\C is not supported');
  if (!inClass && n === 'Q') {
    const end = src.indexOf('\\E', i + 2);
    const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
    return [escapeLiteral(lit), end < 0 ? src.length : end + 2];
  }
  if (!inClass && (n === 'A' || n === 'z')) {
    if (multiline) throw new GoRegexError('\\A and \\z are not supported with the m flag');
    return [n === 'A' ? '^' : '$', i + 2];
  }
  if (SIMPLE_ESCAPES.has(n)) {
    if (inClass && (n === 'b' || n === 'B')) throw new GoRegexError('invalid escape in class');
    return [`\\${n}`, i + 2];
  }
  if (/[A-Za-z0-9]/.test(n)) throw new GoRegexError(`invalid escape \\${n}`);
  return [`\\${n}`, i + 2]; // escaped punctuation is a literal in both
}

/** Translates an RE2 pattern to a JavaScript RegExp (no `g`/`y`, so exec() is stateless). */
export function compileGoRegex(src: string): RegExp {
  let flags = '';
  let i = 0;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(src);
  if (lead !== null) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 's' || f === 'm') { if (!flags.includes(f)) flags += f; }
      else throw new GoRegexError(`unsupported flag ${f}`);
    }
    i = lead[0].length;
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const [text, next] = translateEscape(src, i, inClass, multiline);
      out += text;
      i = next;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        const name = end < 0 ? '' : src.slice(i + 2, end);
        const cls = POSIX[name];
        if (cls === undefined) throw new GoRegexError('unsupported POSIX class');
        out += cls;
        i = end + 2;
        continue;
      }
      if (c === '[') { out += '\\['; i++; continue; }
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      i++;
      if (src[i] === '^') { out += '^'; i++; }
      if (src[i] === ']') { out += '\\]'; i++; } // a leading ']' is a literal in RE2
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i);
      const named = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(rest);
      if (named !== null) {
        if (/^[0-9]/.test(named[1]!)) throw new GoRegexError('group names must not start with a digit');
        out += `(?<${named[1]}>`;
        i += named[0].length;
        continue;
      }
      if (rest.startsWith('(?:')) { out += '(?:'; i += 3; continue; }
      if (/^\(\?<?[=!]/.test(rest)) throw new GoRegexError('lookaround is not supported by Go regexp');
      throw new GoRegexError('flag groups are only supported at the start of the pattern');
    }
    out += c;
    i++;
  }
  if (inClass) throw new GoRegexError('missing closing ]');
  try {
    return new RegExp(out, flags);
  } catch (err) {
    throw new GoRegexError((err as Error).message);
  }
}
