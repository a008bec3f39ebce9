// Subject syntax shared by every Bus implementation, so that they reject the same inputs.
// NATS rules: `.`-separated tokens, each non-empty and free of whitespace; `*` as a whole token
// matches exactly one token, `>` as the whole last token matches one or more tokens. A `*` or `>`
// inside a longer token is an ordinary character.
import { BusInvalidSubjectError } from './bus.js';

// NATS splits protocol lines on whitespace; NUL is no better.
const WHITESPACE = /\s|\0/;

/** Throws BusInvalidSubjectError unless `subject` is a valid subject (wildcards allowed when asked). */
export function assertValidSubject(subject: string, allowWildcards: boolean): void {
  if (typeof subject !== 'string' || subject.length === 0) {
    throw new BusInvalidSubjectError(String(subject), 'empty');
  }
  if (WHITESPACE.test(subject)) throw new BusInvalidSubjectError(subject, 'contains whitespace');
  const tokens = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.length === 0) throw new BusInvalidSubjectError(subject, 'empty token');
    if (t === '*' || t === '>') {
      if (!allowWildcards) throw new BusInvalidSubjectError(subject, 'wildcards are not allowed here');
      if (t === '>' && i !== tokens.length - 1) throw new BusInvalidSubjectError(subject, '`>` must be the last token');
    }
  }
}

/** Throws unless `queue` is a valid queue group name (non-empty, no whitespace). */
export function assertValidQueue(queue: string): void {
  if (typeof queue !== 'string' || queue.length === 0 || WHITESPACE.test(queue)) {
    throw new BusInvalidSubjectError(String(queue), 'invalid queue group name');
  }
}

/** True when the literal `subject` matches the subscription `pattern` (which may hold wildcards). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i]!;
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return p.length === s.length;
}
