/**
 * Glob patterns as Centrifugo compiles them (gobwas/glob without separators), used for
 * `client.allowed_origins` and the `pattern` of a channels survey: `*` any run of characters,
 * `?` one character, `[abc]` / `[a-z]` / `[!abc]` classes, `{a,b}` alternatives, `\` escapes.
 * Compiled once to an anchored RegExp. A malformed pattern (unclosed class or group) matches its
 * text literally, so a typo never widens what is allowed.
 */

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/-]/g;
const escapeRe = (s: string): string => s.replace(REGEX_SPECIAL, '\\$&');

function translate(p: string, i: number, inGroup: boolean): [string, number] {
  let out = '';
  while (i < p.length) {
    const c = p[i]!;
    if (inGroup && (c === ',' || c === '}')) return [out, i];
    if (c === '\\') {
      if (i + 1 < p.length) out += escapeRe(p[i + 1]!);
      i += 2;
      continue;
    }
    if (c === '*') {
      out += '[\\s\\S]*';
      i++;
      continue;
    }
    if (c === '?') {
      out += '[\\s\\S]';
      i++;
      continue;
    }
    if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end === -1) throw new SyntaxError('unclosed class');
      let body = p.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!')) {
        negate = true;
        body = body.slice(1);
      }
      if (body === '') throw new SyntaxError('empty class');
      let cls = '';
      for (let k = 0; k < body.length; k++) {
        if (body[k + 1] === '-' && k + 2 < body.length) {
          cls += `${escapeRe(body[k]!)}-${escapeRe(body[k + 2]!)}`;
          k += 2;
        } else {
          cls += escapeRe(body[k]!);
        }
      }
      out += `[${negate ? '^' : ''}${cls}]`;
      i = end + 1;
      continue;
    }
    if (c === '{') {
      const alternatives: string[] = [];
      let j = i + 1;
      for (;;) {
        const [alt, next] = translate(p, j, true);
        alternatives.push(alt);
        if (next >= p.length) throw new SyntaxError('unclosed group');
        j = next + 1;
        if (p[next] === '}') break;
      }
      out += `(?:${alternatives.join('|')})`;
      i = j;
      continue;
    }
    out += escapeRe(c);
    i++;
  }
  if (inGroup) throw new SyntaxError('unclosed group');
  return [out, i];
}

/** Compiles a glob into an anchored RegExp. */
export function compileGlob(pattern: string): RegExp {
  try {
    return new RegExp(`^${translate(pattern, 0, false)[0]}$`);
  } catch {
    return new RegExp(`^${escapeRe(pattern)}$`);
  }
}

/**
 * `client.allowed_origins` (server.md §2.4): a request without Origin always passes; with an empty
 * list every request that has an Origin is refused; patterns are matched against the lower-cased
 * Origin, `*` allows everything.
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
