/**
 * Turns a parsed value tree (from a file, or from JSON in an env var) into the typed config shape
 * of a schema node: keys are matched case-insensitively (as viper does), every value is type
 * checked, keys the schema does not know are collected with their dotted path, and absent keys
 * get zero values (defaults are applied later, once every source has been merged).
 *
 * Deliberate leniencies, all of which Centrifugo's weakly typed decoding also accepts:
 *   - a number where a string is expected (`"internal_port": 9000`) becomes its decimal string;
 *   - a single string where a string list is expected (`"address": "redis://..."`) is a list of one;
 *   - null (YAML `key:` with nothing after it) means "not set".
 */
import { ConfigError, describeType, quote } from './errors.js';
import { formatDuration, NS_PER_SECOND, nsToMs, parseGoDuration } from './duration.js';
import { setOwn, zeroValue, type KeyValue, type Node, type ObjectNode } from './schema_kit.js';

export interface DecodeContext {
  /** Names the source in error messages ("environment variable CENTRIFUGO_X"); '' for the file. */
  source: string;
  /** Dotted paths of keys the schema does not know. */
  unknownKeys: string[];
  warnings: string[];
  /** Environment used to expand ${CENTRIFUGO_VAR_*} placeholders in map values. */
  env: Readonly<Record<string, string | undefined>>;
}

export function failAt(ctx: Pick<DecodeContext, 'source'>, path: string, message: string): never {
  const where = path === '' ? '' : `${path}: `;
  throw new ConfigError(`${ctx.source ? `${ctx.source}: ` : ''}${where}${message}`, path || undefined);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === null || proto === Object.prototype;
}

const lowerFieldIndex = new WeakMap<ObjectNode, Map<string, string>>();

/** Maps lower-cased key → schema key for an object node (keys are matched case-insensitively). */
export function fieldIndex(node: ObjectNode): Map<string, string> {
  let idx = lowerFieldIndex.get(node);
  if (!idx) {
    idx = new Map(Object.keys(node.fields).map((k) => [k.toLowerCase(), k]));
    lowerFieldIndex.set(node, idx);
  }
  return idx;
}

export function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function decodeValue(node: Node, raw: unknown, path: string, ctx: DecodeContext): unknown {
  if (raw === null || raw === undefined) return zeroValue(node);
  switch (node.kind) {
    case 'string':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
      return failAt(ctx, path, `expected string, got ${describeType(raw)}`);

    case 'int': {
      if (typeof raw !== 'number' || !Number.isInteger(raw)) {
        const shown = typeof raw === 'number' ? ` ${raw}` : '';
        return failAt(ctx, path, `expected integer, got ${describeType(raw)}${shown}`);
      }
      return checkRange(node.min, node.max, raw, path, ctx);
    }

    case 'bool':
      if (typeof raw === 'boolean') return raw;
      return failAt(ctx, path, `expected boolean, got ${describeType(raw)}`);

    case 'duration':
      return decodeDuration(node.wholeSeconds, raw, path, ctx);

    case 'stringList': {
      if (typeof raw === 'string') return [raw];
      if (!Array.isArray(raw)) return failAt(ctx, path, `expected list of strings, got ${describeType(raw)}`);
      return raw.map((item, i) => {
        if (typeof item === 'string') return item;
        if (typeof item === 'number' && Number.isFinite(item)) return String(item);
        return failAt(ctx, `${path}[${i}]`, `expected string, got ${describeType(item)}`);
      });
    }

    case 'stringMap': {
      if (!isPlainObject(raw)) return failAt(ctx, path, `expected object of strings, got ${describeType(raw)}`);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) {
        const itemPath = joinPath(path, k);
        let s: string;
        if (typeof v === 'string') s = v;
        else if (typeof v === 'number' && Number.isFinite(v)) s = String(v);
        else return failAt(ctx, itemPath, `expected string, got ${describeType(v)}`);
        setOwn(out, k, expandPlaceholders(s, itemPath, ctx));
      }
      return out;
    }

    case 'keyValues': {
      const pairs: KeyValue[] = [];
      if (isPlainObject(raw)) {
        for (const [k, v] of Object.entries(raw)) {
          if (typeof v !== 'string') return failAt(ctx, joinPath(path, k), `expected string, got ${describeType(v)}`);
          pairs.push({ key: k, value: v });
        }
      } else if (Array.isArray(raw)) {
        raw.forEach((item, i) => {
          const p = `${path}[${i}]`;
          if (!isPlainObject(item)) return failAt(ctx, p, `expected {"key": ..., "value": ...}, got ${describeType(item)}`);
          const { key, value, ...rest } = item;
          if (typeof key !== 'string') return failAt(ctx, `${p}.key`, `expected string, got ${describeType(key)}`);
          if (typeof value !== 'string') return failAt(ctx, `${p}.value`, `expected string, got ${describeType(value)}`);
          for (const extra of Object.keys(rest)) ctx.unknownKeys.push(`${p}.${extra}`);
          pairs.push({ key, value });
        });
      } else {
        return failAt(ctx, path, `expected a list of {"key", "value"} objects or an object, got ${describeType(raw)}`);
      }
      const seen = new Set<string>();
      for (const pair of pairs) {
        if (seen.has(pair.key)) return failAt(ctx, path, `duplicate key ${quote(pair.key)}`);
        seen.add(pair.key);
        pair.value = expandPlaceholders(pair.value, path, ctx);
      }
      return pairs;
    }

    case 'object': {
      if (!isPlainObject(raw)) return failAt(ctx, path, `expected object, got ${describeType(raw)}`);
      const out = zeroValue(node) as Record<string, unknown>;
      const idx = fieldIndex(node);
      const seen = new Map<string, string>();
      for (const [rawKey, rawValue] of Object.entries(raw)) {
        const key = idx.get(rawKey.toLowerCase());
        if (key === undefined) {
          ctx.unknownKeys.push(joinPath(path, rawKey));
          continue;
        }
        const before = seen.get(key);
        if (before !== undefined) {
          ctx.warnings.push(
            `${ctx.source ? `${ctx.source}: ` : ''}key ${joinPath(path, key)} is given twice (${quote(before)} and ${quote(rawKey)}; keys are case-insensitive), the last one wins`,
          );
        }
        seen.set(key, rawKey);
        out[key] = decodeValue(node.fields[key]!, rawValue, joinPath(path, key), ctx);
      }
      return out;
    }

    case 'array': {
      if (!Array.isArray(raw)) return failAt(ctx, path, `expected array of objects, got ${describeType(raw)}`);
      return raw.map((item, i) => decodeValue(node.item, item, `${path}[${i}]`, ctx));
    }
  }
}

function checkRange(min: number, max: number, v: number, path: string, ctx: DecodeContext): number {
  if (v >= min && v <= max) return v;
  if (max >= Number.MAX_SAFE_INTEGER) {
    return failAt(ctx, path, min === 0 ? `must not be negative, got ${v}` : `must be at least ${min}, got ${v}`);
  }
  return failAt(ctx, path, `must be between ${min} and ${max}, got ${v}`);
}

export function decodeDuration(wholeSeconds: boolean, raw: unknown, path: string, ctx: DecodeContext): number {
  let ns: bigint;
  if (typeof raw === 'string') {
    const s = raw.trim();
    if (s === '-1') return -1; // "-1 disables", also written as a string
    const parsed = parseGoDuration(s);
    if (!parsed.ok) {
      return failAt(ctx, path, `${parsed.reason}; use Go duration syntax such as "500ms", "25s" or "1h30m"`);
    }
    ns = parsed.ns;
  } else if (typeof raw === 'number' && Number.isFinite(raw)) {
    // A bare number is nanoseconds, as in Centrifugo (time.Duration is an int64 of ns).
    if (Math.abs(raw) > 9.2e18) return failAt(ctx, path, `duration ${raw}ns is out of range`);
    ns = BigInt(Math.trunc(raw));
  } else {
    return failAt(ctx, path, `expected duration such as "25s", got ${describeType(raw)}`);
  }
  if (wholeSeconds && ns > 0n && ns % NS_PER_SECOND !== 0n) {
    const hint = typeof raw === 'number' ? ` (a bare number means nanoseconds: write "${raw}s" for seconds)` : '';
    return failAt(
      ctx,
      path,
      `malformed duration ${formatDuration(nsToMs(ns))}, sub-second precision is not supported for this key${hint}`,
    );
  }
  return nsToMs(ns);
}

const PLACEHOLDER = /\$\{((?:CENTRIFUGO|GYRE)_VAR_[^}]+)\}/g;

/** Expands ${CENTRIFUGO_VAR_X} (and ${GYRE_VAR_X}) from the environment; unset variables are errors. */
export function expandPlaceholders(value: string, path: string, ctx: DecodeContext): string {
  if (!value.includes('${')) return value;
  return value.replace(PLACEHOLDER, (_m, name: string) => {
    const v = ctx.env[name];
    if (v === undefined) return failAt(ctx, path, `placeholder \${${name}} refers to an unset environment variable`);
    return v;
  });
}
