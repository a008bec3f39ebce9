/**
 * Dynamic JWKS endpoints: `jwks_public_endpoint` may contain `{{name}}` placeholders filled from
 * the named groups of `issuer_regex` / `audience_regex` matched against the (not yet verified)
 * token. Because those values come from an unverified token, Centrifugo v6.7 requires every group
 * used in the URL to be an explicit list of fixed strings (`acme|globex`): otherwise an attacker
 * could point the key fetch at a server they control. This module reproduces that startup check
 * (internal/jwtverify/validate.go), and adds a runtime check that each substituted value is a
 * plain host/path segment. `insecure_skip_jwks_endpoint_safety_check` turns both off.
 */

export class JwksTemplateError extends Error {
  override readonly name = 'JwksTemplateError';
}

/** Names of all `{{name}}` placeholders, in order (like Centrifugo's extractTemplatePlaceholders). */
export function extractPlaceholders(s: string): string[] {
  const out: string[] = [];
  let rest = s;
  for (;;) {
    const start = rest.indexOf('{{');
    if (start < 0) break;
    const after = rest.slice(start + 2);
    const end = after.indexOf('}}');
    if (end < 0) break;
    out.push(after.slice(0, end));
    rest = after.slice(end + 2);
  }
  return out;
}

/** Replaces each `{{name}}` with vars[name] (fasttemplate semantics: the tag text is the key). */
export function fillTemplate(template: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  let rest = template;
  for (;;) {
    const start = rest.indexOf('{{');
    if (start < 0) break;
    const after = rest.slice(start + 2);
    const end = after.indexOf('}}');
    if (end < 0) break;
    out += rest.slice(0, start) + (vars.get(after.slice(0, end)) ?? '');
    rest = after.slice(end + 2);
  }
  return out + rest;
}

/** Character classes are refused anywhere in a regex whose groups feed the URL. */
function rejectCharClassSyntax(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[') return 'contains character class syntax';
    if (c === '\\' && i + 1 < pattern.length) {
      const n = pattern[i + 1]!;
      if ('dDwWsSpP'.includes(n)) return `contains character class shorthand (\\${n})`;
      i++;
    }
  }
  return undefined;
}

interface GroupInfo { literal: boolean }

/**
 * A small RE2 parser that reports, for each named capture, whether its sub-expression can only
 * match a finite set of fixed strings: literals, escaped punctuation, alternation, concatenation
 * and (non-)capturing groups. Any wildcard, repetition, anchor or assertion makes it non-literal.
 */
class LiteralAnalyzer {
  private i = 0;
  readonly groups = new Map<string, GroupInfo>();
  constructor(private readonly s: string) {}

  run(): void {
    // A leading flag group such as (?i) does not change literal-ness.
    const lead = /^\(\?[a-zA-Z]+\)/.exec(this.s);
    if (lead !== null) this.i = lead[0].length;
    this.alternation();
    if (this.i < this.s.length) throw new JwksTemplateError('unbalanced parenthesis');
  }

  /** Returns whether the parsed alternation is a literal tree. */
  private alternation(): boolean {
    let literal = this.concat();
    while (this.s[this.i] === '|') {
      this.i++;
      literal = this.concat() && literal;
    }
    return literal;
  }

  private concat(): boolean {
    let literal = true;
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      literal = this.repeat() && literal;
    }
    return literal;
  }

  private repeat(): boolean {
    let literal = this.atom();
    for (;;) {
      const c = this.s[this.i];
      if (c === '*' || c === '+' || c === '?') {
        this.i++;
        literal = false;
      } else if (c === '{' && /^\{[0-9]+(?:,[0-9]*)?\}/.test(this.s.slice(this.i))) {
        this.i = this.s.indexOf('}', this.i) + 1;
        literal = false;
      } else {
        break;
      }
      if (this.s[this.i] === '?') this.i++; // lazy modifier
    }
    return literal;
  }

  private atom(): boolean {
    const s = this.s;
    const c = s[this.i]!;
    if (c === '(') {
      const rest = s.slice(this.i);
      const named = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(rest);
      let name: string | undefined;
      if (named !== null) {
        name = named[1];
        this.i += named[0].length;
      } else if (rest.startsWith('(?:')) {
        this.i += 3;
      } else if (/^\(\?[a-zA-Z]*:/.test(rest)) {
        this.i += /^\(\?[a-zA-Z]*:/.exec(rest)![0].length;
      } else if (rest.startsWith('(?')) {
        throw new JwksTemplateError('unsupported group syntax');
      } else {
        this.i += 1;
      }
      const literal = this.alternation();
      if (s[this.i] !== ')') throw new JwksTemplateError('missing closing parenthesis');
      this.i++;
      if (name !== undefined) this.groups.set(name, { literal });
      return literal;
    }
    if (c === '\\') {
      const n = s[this.i + 1];
      if (n === undefined) throw new JwksTemplateError('trailing backslash');
      if (n === 'Q') {
        const end = s.indexOf('\\E', this.i + 2);
        this.i = end < 0 ? s.length : end + 2;
        return true;
      }
      if (n === 'x') {
        const m = /^\\x(?:\{[0-9a-fA-F]+\}|[0-9a-fA-F]{2})/.exec(s.slice(this.i));
        if (m === null) throw new JwksTemplateError('invalid escape');
        this.i += m[0].length;
        return true;
      }
      if (n >= '0' && n <= '7') {
        this.i += 1 + /^[0-7]{1,3}/.exec(s.slice(this.i + 1))![0].length;
        return true;
      }
      this.i += 2;
      if ('aftnrv'.includes(n)) return true; // control characters
      return !/[A-Za-z0-9]/.test(n); // escaped punctuation is a literal; \b \A \z etc. are not
    }
    this.i++;
    return !'.^$'.includes(c);
  }
}

/**
 * The startup safety check (Centrifugo v6.7 validateJWKSEndpointSafety). Throws JwksTemplateError
 * naming the offending option and group.
 */
export function validateJwksEndpointSafety(endpoint: string, issuerRegex: string, audienceRegex: string): void {
  const placeholders = new Set(extractPlaceholders(endpoint));
  if (placeholders.size === 0) return;
  for (const [option, pattern] of [['issuer_regex', issuerRegex], ['audience_regex', audienceRegex]] as const) {
    if (pattern === '') continue;
    const classProblem = rejectCharClassSyntax(pattern);
    if (classProblem !== undefined) {
      throw new JwksTemplateError(
        `${option} ${classProblem} which is not allowed when JWKS endpoint URL template is used — use an explicit list of allowed values (e.g., value1|value2|value3)`,
      );
    }
    const analyzer = new LiteralAnalyzer(pattern);
    analyzer.run();
    for (const [name, info] of analyzer.groups) {
      if (placeholders.has(name) && !info.literal) {
        throw new JwksTemplateError(
          `${option} named group "${name}" is used in JWKS endpoint URL template — only an explicit list of allowed values is permitted (e.g., value1|value2|value3)`,
        );
      }
    }
  }
}

/** A value may be substituted only if it is one plain host or path segment. */
const SAFE_SEGMENT_RE = /^[A-Za-z0-9._~:-]+$/;

export function isSafeTemplateValue(value: string): boolean {
  return SAFE_SEGMENT_RE.test(value) && value !== '.' && value !== '..';
}
