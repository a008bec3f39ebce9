/**
 * Glob patterns in gobwas/glob syntax, for `client.allowed_origins` and the server API `channels`
 * pattern (what Centrifugo compiles with `glob.Compile(pattern)`, no separators): `*` any run of
 * characters (including none), `?` any one character, `[abc]` / `[a-z]` a class, `[!abc]` its negation, `{a,b}`
 * alternatives (which may contain patterns), `\x` a literal x. Compiled to an anchored RegExp.
 */

export class GlobSyntaxError extends Error {
  override readonly name = 'GlobSyntaxError';
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/;

function escapeChar(ch: string): string {
  return REGEX_SPECIAL.test(ch) ? '\\' + ch : ch;
}

function escapeClassChar(ch: string): string {
  return ch === '\\' || ch === ']' || ch === '[' || ch === '^' || ch === '-' ? '\\' + ch : ch;
}

/** Compiles a glob; throws GlobSyntaxError for an unclosed class or brace. */
export function compileGlob(pattern: string): RegExp {
  const chars = [...pattern];
  let i = 0;

  // Parses until one of `stops` (at brace depth > 0) or the end; returns the regex source.
  const parse = (inBraces: boolean): string => {
    let out = '';
    while (i < chars.length) {
      const ch = chars[i]!;
      if (inBraces && (ch === ',' || ch === '}')) return out;
      i++;
      switch (ch) {
        case '*':
          out += '[\\s\\S]*';
          break;
        case '?':
          out += '[\\s\\S]';
          break;
        case '\\': {
          if (i >= chars.length) throw new GlobSyntaxError('pattern ends with an escape');
          out += escapeChar(chars[i++]!);
          break;
        }
        case '[': {
          let negate = false;
          if (chars[i] === '!') {
            negate = true;
            i++;
          }
          let cls = '';
          let closed = false;
          while (i < chars.length) {
            const c = chars[i++]!;
            if (c === ']') {
              closed = true;
              break;
            }
            if (chars[i] === '-' && i + 1 < chars.length && chars[i + 1] !== ']') {
              const hi = chars[i + 1]!;
              i += 2;
              if (hi < c) throw new GlobSyntaxError(`bad range ${c}-${hi}`);
              cls += escapeClassChar(c) + '-' + escapeClassChar(hi);
            } else {
              cls += escapeClassChar(c);
            }
          }
          if (!closed || cls === '') throw new GlobSyntaxError('unclosed or empty character class');
          out += (negate ? '[^' : '[') + cls + ']';
          break;
        }
        case '{': {
          const alts: string[] = [];
          for (;;) {
            alts.push(parse(true));
            if (i >= chars.length) throw new GlobSyntaxError('unclosed {');
            const sep = chars[i++]!;
            if (sep === '}') break;
          }
          out += '(?:' + alts.join('|') + ')';
          break;
        }
        default:
          out += escapeChar(ch);
      }
    }
    return out;
  };

  const source = parse(false);
  return new RegExp('^' + source + '$', 'u');
}

/**
 * `client.allowed_origins` (server.md §2.4): a request without Origin always passes; with an empty
 * list every request that has an Origin is refused; patterns are matched against the lower-cased
 * Origin; `*` allows everything. Patterns are validated when the config loads, so compiling here
 * cannot fail for a loaded config.
 */
export function originChecker(patterns: readonly string[]): (origin: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const compiled = patterns.map((p) => compileGlob(p.toLowerCase()));
  return (origin) => {
    if (origin === '') return true;
    const o = origin.toLowerCase();
    return compiled.some((re) => re.test(o));
  };
}
