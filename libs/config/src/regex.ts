/**
 * `channel_regex` is written for Go's RE2 (Centrifugo compiles it with regexp.Compile); Gyre runs
 * it as a JavaScript RegExp. This module translates the RE2 syntax JavaScript spells differently
 * and rejects what the two do not share, so a config either means the same thing in both or fails
 * to load with a message saying why:
 *
 *   translated: leading (?i) (?s) (?m) flags, (?P<name>...), \A, \z, \Q...\E, \pL, \x{HHHH},
 *               octal escapes (\101), \a,
 *               POSIX classes inside brackets ([[:alpha:]]), a leading ] in a class ([]a]);
 *   rejected:   lookahead/lookbehind and backreferences (RE2 has none, so Centrifugo would refuse
 *               them too), (?U), flags in the middle of a pattern, \C, negated POSIX classes, and
 *               anything JavaScript still cannot compile.
 *
 * Both engines search unanchored (Go MatchString, JS test), so anchors must be written explicitly.
 */

export type RegexCompile = { ok: true; regex: RegExp; source: string; flags: string } | { ok: false; reason: string };

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Unicode general categories RE2 accepts as \p{X}; any other name is a script. */
const GENERAL_CATEGORIES = new Set([
  'C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No',
  'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs',
]);

class Unsupported extends Error {}

export function compileGoRegex(pattern: string): RegexCompile {
  let translated: { source: string; flags: string; needsUnicode: boolean };
  try {
    translated = translate(pattern);
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, reason: e.message };
    throw e;
  }
  const { source, flags, needsUnicode } = translated;
  const attempts = needsUnicode ? [`${flags}u`] : [`${flags}u`, flags];
  let lastError = '';
  for (const f of attempts) {
    try {
      return { ok: true, regex: new RegExp(source, f), source, flags: f };
    } catch (e) {
      lastError = (e as Error).message;
    }
  }
  return { ok: false, reason: `JavaScript cannot compile it: ${lastError}` };
}

function translate(pattern: string): { source: string; flags: string; needsUnicode: boolean } {
  let i = 0;
  let flags = '';
  let needsUnicode = false;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 's' || f === 'm') {
        if (!flags.includes(f)) flags += f;
      } else if (f === 'U') {
        throw new Unsupported('the (?U) ungreedy flag has no JavaScript equivalent');
      } else {
        throw new Unsupported(`unknown flag ${JSON.stringify(f)} in ${JSON.stringify(lead[0])}`);
      }
    }
    i = lead[0].length;
  }

  let out = '';
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const [text, used, unicode] = translateEscape(pattern, i, false);
      out += text;
      i += used;
      needsUnicode ||= unicode;
      continue;
    }
    if (c === '[') {
      const [text, used, unicode] = translateClass(pattern, i);
      out += text;
      i += used;
      needsUnicode ||= unicode;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (rest.startsWith(':') || (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!'))) {
        out += '(?';
        i += 2;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
        throw new Unsupported('lookahead and lookbehind are not supported by Go RE2');
      }
      if (/^[a-zA-Z-]+[:)]/.test(rest)) {
        throw new Unsupported('flag groups such as (?i) are only supported at the very start of the pattern');
      }
      throw new Unsupported(`invalid group syntax at offset ${i}`);
    }
    out += c;
    i++;
  }
  return { source: out, flags, needsUnicode };
}

/** Returns [translated text, characters consumed, needs the u flag]. */
function translateEscape(p: string, i: number, inClass: boolean): [string, number, boolean] {
  const e = p[i + 1];
  if (e === undefined) throw new Unsupported('trailing backslash');
  if (!inClass && e === 'A') return ['(?<![\\s\\S])', 2, false];
  if (!inClass && e === 'z') return ['(?![\\s\\S])', 2, false];
  if (e >= '0' && e <= '7') {
    // RE2: \0 and two- or three-digit runs are octal character codes; a lone \1-\7 would be a
    // backreference, which RE2 does not have.
    const digits = /^[0-7]{1,3}/.exec(p.slice(i + 1))![0];
    if (e !== '0' && digits.length === 1) throw new Unsupported('backreferences are not supported by Go RE2');
    return [`\\u{${parseInt(digits, 8).toString(16)}}`, 1 + digits.length, true];
  }
  if (e === '8' || e === '9') throw new Unsupported('backreferences are not supported by Go RE2');
  if (e === 'a') return ['\\x07', 2, false];
  if (e === 'C') throw new Unsupported('\\C (any byte) has no JavaScript equivalent');
  if (e === 'Q' && !inClass) {
    const end = p.indexOf('\\E', i + 2);
    const literal = end === -1 ? p.slice(i + 2) : p.slice(i + 2, end);
    const used = end === -1 ? p.length - i : end + 2 - i;
    return [literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), used, false];
  }
  if (e === 'p' || e === 'P') {
    let name: string;
    let used: number;
    if (p[i + 2] === '{') {
      const end = p.indexOf('}', i + 3);
      if (end === -1) throw new Unsupported('unterminated \\p{...}');
      name = p.slice(i + 3, end);
      used = end + 1 - i;
    } else {
      name = p[i + 2] ?? '';
      used = 3;
    }
    const negate = name.startsWith('^');
    if (negate) name = name.slice(1);
    if (name === '') throw new Unsupported('empty Unicode class name');
    const js = GENERAL_CATEGORIES.has(name) || name === 'Any' ? name : `Script=${name}`;
    const letter = (e === 'P') !== negate ? 'P' : 'p';
    return [name === 'Any' ? (letter === 'p' ? '[\\s\\S]' : '[^\\s\\S]') : `\\${letter}{${js}}`, used, true];
  }
  if (e === 'x' && p[i + 2] === '{') {
    const end = p.indexOf('}', i + 3);
    if (end === -1) throw new Unsupported('unterminated \\x{...}');
    return [`\\u{${p.slice(i + 3, end)}}`, end + 1 - i, true];
  }
  return [`\\${e}`, 2, false];
}

function translateClass(p: string, start: number): [string, number, boolean] {
  let i = start + 1;
  let out = '[';
  let unicode = false;
  if (p[i] === '^') {
    out += '^';
    i++;
  }
  if (p[i] === ']') {
    out += '\\]'; // RE2: a ] right after [ or [^ is a literal
    i++;
  }
  while (i < p.length) {
    const c = p[i]!;
    if (c === ']') return [`${out}]`, i + 1 - start, unicode];
    if (c === '\\') {
      const [text, used, u] = translateEscape(p, i, true);
      out += text;
      i += used;
      unicode ||= u;
      continue;
    }
    if (c === '[' && p[i + 1] === ':') {
      const end = p.indexOf(':]', i + 2);
      if (end !== -1) {
        const name = p.slice(i + 2, end);
        if (name.startsWith('^')) throw new Unsupported(`negated POSIX class [:${name}:] has no JavaScript equivalent`);
        const ranges = POSIX_CLASSES[name];
        if (ranges === undefined) throw new Unsupported(`unknown POSIX class [:${name}:]`);
        out += ranges;
        i = end + 2;
        continue;
      }
    }
    if (c === '[') {
      out += '\\['; // a literal [ inside a class; must be escaped for the u flag
      i++;
      continue;
    }
    out += c;
    i++;
  }
  throw new Unsupported('missing closing ]');
}
