/**
 * Go duration syntax, as Centrifugo reads it (`time.ParseDuration`): a sequence of decimal numbers
 * with units, optionally signed: "500ms", "25s", "1h30m", "1.5h", "300us", "300µs", "10ns".
 * The loaded config holds durations as milliseconds (possibly fractional below 1ms); parsing works
 * in integer nanoseconds so that whole-second checks and overflow match Go exactly.
 */

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_INT64 = (1n << 63n) - 1n;
export const NS_PER_MS = 1_000_000;
export const NS_PER_SECOND = 1_000_000_000n;

export type DurationParse = { ok: true; ns: bigint } | { ok: false; reason: string };

/** Parses a Go duration string into nanoseconds. Mirrors time.ParseDuration's accepted language. */
export function parseGoDuration(input: string): DurationParse {
  let s = input;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, ns: 0n };
  if (s === '') return { ok: false, reason: `invalid duration ${JSON.stringify(input)}` };
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    const intPart = m?.[1] ?? '';
    const fracPart = m?.[2];
    const consumed = m?.[0].length ?? 0;
    if (intPart === '' && (fracPart === undefined || fracPart === '')) {
      return { ok: false, reason: `invalid duration ${JSON.stringify(input)}` };
    }
    s = s.slice(consumed);
    let i = 0;
    while (i < s.length && s[i] !== '.' && !(s[i]! >= '0' && s[i]! <= '9')) i++;
    if (i === 0) return { ok: false, reason: `missing unit in duration ${JSON.stringify(input)}` };
    const unitName = s.slice(0, i);
    s = s.slice(i);
    const unit = NS_PER_UNIT[unitName];
    if (unit === undefined) {
      return { ok: false, reason: `unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(input)}` };
    }
    let v = (intPart === '' ? 0n : BigInt(intPart)) * unit;
    if (fracPart) {
      // Go truncates the fraction below nanosecond precision.
      v += (BigInt(fracPart) * unit) / 10n ** BigInt(fracPart.length);
    }
    total += v;
    if (total > MAX_INT64 + (neg ? 1n : 0n)) {
      return { ok: false, reason: `invalid duration ${JSON.stringify(input)} (out of range)` };
    }
  }
  return { ok: true, ns: neg ? -total : total };
}

/** Nanoseconds to the loaded representation: milliseconds; any negative value becomes -1. */
export function nsToMs(ns: bigint): number {
  if (ns < 0n) return -1;
  const whole = ns / 1_000_000n;
  const rem = ns % 1_000_000n;
  return Number(whole) + Number(rem) / NS_PER_MS;
}

/** Formats milliseconds the way Go's time.Duration.String does: "720h0m0s", "1.5s", "500ms", "0s". */
export function formatDuration(ms: number): string {
  if (ms < 0) return ms === -1 ? '-1' : `-${formatDuration(-ms)}`;
  const ns = BigInt(Math.round(ms * NS_PER_MS));
  if (ns === 0n) return '0s';
  if (ns < NS_PER_SECOND) {
    if (ns < 1_000n) return `${ns}ns`;
    if (ns < 1_000_000n) return `${fraction(ns, 1_000n)}µs`;
    return `${fraction(ns, 1_000_000n)}ms`;
  }
  const h = ns / 3_600_000_000_000n;
  let rest = ns % 3_600_000_000_000n;
  const m = rest / 60_000_000_000n;
  rest %= 60_000_000_000n;
  const sec = fraction(rest, NS_PER_SECOND);
  if (h > 0n) return `${h}h${m}m${sec}s`;
  if (m > 0n) return `${m}m${sec}s`;
  return `${sec}s`;
}

function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rem = value % unit;
  if (rem === 0n) return `${whole}`;
  const digits = unit.toString().length - 1;
  return `${whole}.${rem.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}
