// Channel names → bus subjects (`<prefix>.ch.<token>`, see ARCHITECTURE.md "Subjects").
//
// A Centrifugo channel may hold any character, including the ones NATS gives meaning to (`.`, `*`,
// `>`, whitespace) and non-ASCII text, so the channel becomes exactly one subject token through a
// reversible escape:
// - `A-Z a-z 0-9 _ - :` stand for themselves (so `chat:room-1` stays readable in NATS tooling);
// - every other character is written as its UTF-8 bytes, each `%` + two upper-case hex digits
//   (so `.` → `%2E`, `%` → `%25`, `é` → `%C3%A9`).
// The encoding is canonical: one channel has exactly one token, and decoding rejects any token the
// encoder would not produce, so `decode(encode(c)) === c` and `encode(decode(t)) === t`.
import { assertValidSubject } from './subject.js';

export const DEFAULT_SUBJECT_PREFIX = 'gyre';

const PLAIN = /^[A-Za-z0-9_:-]+$/;
const PLAIN_CHAR = /[A-Za-z0-9_:-]/;
const HEX = '0123456789ABCDEF';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a channel name as one subject-safe token. Throws on an empty or ill-formed (lone surrogate) name. */
export function encodeChannelToken(channel: string): string {
  if (typeof channel !== 'string' || channel.length === 0) throw new TypeError('channel must be a non-empty string');
  if (PLAIN.test(channel)) return channel;
  if (LONE_SURROGATE.test(channel)) throw new TypeError('channel contains a lone surrogate and cannot be encoded reversibly');
  let out = '';
  for (const ch of channel) {
    if (PLAIN_CHAR.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of encoder.encode(ch)) out += '%' + HEX[byte >> 4] + HEX[byte & 15];
  }
  return out;
}

/** Inverse of encodeChannelToken. Throws TypeError on a token the encoder would never produce. */
export function decodeChannelToken(token: string): string {
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('empty channel token');
  if (PLAIN.test(token)) return token;
  const bytes: number[] = [];
  let out = '';
  const flush = (): void => {
    if (bytes.length === 0) return;
    let text: string;
    try {
      text = decoder.decode(Uint8Array.from(bytes));
    } catch {
      throw new TypeError(`invalid channel token ${JSON.stringify(token)}: escapes are not UTF-8`);
    }
    bytes.length = 0;
    // Canonical form: an escaped run must not contain characters that are written plainly.
    for (const ch of text) {
      if (PLAIN_CHAR.test(ch)) throw new TypeError(`invalid channel token ${JSON.stringify(token)}: needless escape`);
    }
    out += text;
  };
  for (let i = 0; i < token.length; ) {
    const c = token[i]!;
    if (c === '%') {
      // indexOf('') would be 0, so a truncated escape must be caught before the lookup.
      const hi = i + 2 < token.length ? HEX.indexOf(token[i + 1]!) : -1;
      const lo = i + 2 < token.length ? HEX.indexOf(token[i + 2]!) : -1;
      if (hi < 0 || lo < 0) throw new TypeError(`invalid channel token ${JSON.stringify(token)}: bad escape at ${i}`);
      bytes.push(hi * 16 + lo);
      i += 3;
    } else if (PLAIN_CHAR.test(c)) {
      flush();
      out += c;
      i += 1;
    } else {
      throw new TypeError(`invalid channel token ${JSON.stringify(token)}: unexpected ${JSON.stringify(c)}`);
    }
  }
  flush();
  return out;
}

function checkPrefix(prefix: string): void {
  assertValidSubject(prefix, false);
}

/** `<prefix>.ch.<token>` for a channel; prefix defaults to `gyre`. */
export function channelSubject(channel: string): string;
export function channelSubject(prefix: string, channel: string): string;
export function channelSubject(a: string, b?: string): string {
  const [prefix, channel] = b === undefined ? [DEFAULT_SUBJECT_PREFIX, a] : [a, b];
  checkPrefix(prefix);
  return `${prefix}.ch.${encodeChannelToken(channel)}`;
}

/** The subscription subject matching every channel subject under `prefix` (`<prefix>.ch.*`). */
export function allChannelsSubject(prefix: string = DEFAULT_SUBJECT_PREFIX): string {
  checkPrefix(prefix);
  return `${prefix}.ch.*`;
}

/**
 * Inverse of channelSubject: the channel name carried by `subject`, or null when `subject` is not a
 * channel subject under `prefix` or its token is not a valid encoding.
 */
export function channelFromSubject(subject: string, prefix: string = DEFAULT_SUBJECT_PREFIX): string | null {
  const head = `${prefix}.ch.`;
  if (!subject.startsWith(head)) return null;
  const token = subject.slice(head.length);
  if (token.length === 0 || token.includes('.')) return null;
  try {
    return decodeChannelToken(token);
  } catch {
    return null;
  }
}
