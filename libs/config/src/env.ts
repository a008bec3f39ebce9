/**
 * Environment variables and command-line overrides (reference §2.1).
 *
 * Names: `CENTRIFUGO_` or `GYRE_` + the key path upper-cased with `.` → `_`
 * (`client.token.hmac_secret_key` → `CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY`). When both are set,
 * GYRE_ wins. Keys of the `gyre` section also have a short form without the section:
 * `gyre.bus.type` → `GYRE_BUS_TYPE` (as well as `GYRE_GYRE_BUS_TYPE` / `CENTRIFUGO_GYRE_BUS_TYPE`).
 *
 * Values: strings as is; integers in decimal; booleans as Go's ParseBool (1 t T TRUE true True,
 * 0 f F FALSE false False); durations as Go duration strings ("30s"); string lists space-separated;
 * string maps and key-values as JSON; arrays of objects as a JSON array, or for named arrays a
 * space-separated list of names. An empty value counts as unset.
 *
 * Named arrays (channel.namespaces, rpc.namespaces, proxies, consumers): a field of an item that is
 * already defined can be set with `CENTRIFUGO_CHANNEL_NAMESPACES_<NAME>_<OPTION>`, NAME being the
 * item name upper-cased with `.` and `-` → `_`.
 *
 * Unknown CENTRIFUGO_* / GYRE_* variables are reported as warnings, except CENTRIFUGO_VAR_* /
 * GYRE_VAR_* (placeholder values) and the service variables Kubernetes injects
 * (`CENTRIFUGO_PORT`, `CENTRIFUGO_SERVICE_HOST`, `CENTRIFUGO_X_PORT_8000_TCP`, ...).
 */
import { ConfigError, quote } from './errors.js';
import { findJsonSyntaxError } from './json_syntax.js';
import { decodeDuration, decodeValue, failAt, isPlainObject, type DecodeContext } from './decode.js';
import { configSchema } from './schema.js';
import { zeroValue, type ArrayNode, type LeafNode, type ObjectNode } from './schema_kit.js';

export const ENV_PREFIXES = ['CENTRIFUGO_', 'GYRE_'] as const;

export interface EnvEntry {
  /** Variable name without prefix: CLIENT_CHANNEL_LIMIT. */
  readonly name: string;
  /** Schema path segments: ['client', 'channel_limit']. */
  readonly path: readonly string[];
  readonly node: LeafNode | ArrayNode;
}

interface NamedArrayEnv {
  /** Variable name part of the array itself: CHANNEL_NAMESPACES. */
  readonly name: string;
  readonly path: readonly string[];
  /** Item fields (other than `name`), named relative to the item: HISTORY_TTL, MAP_MODE. */
  readonly itemEntries: readonly EnvEntry[];
}

function collectEntries(node: ObjectNode, path: string[], out: EnvEntry[], named: NamedArrayEnv[] | null, skip?: string): void {
  for (const [key, child] of Object.entries(node.fields)) {
    if (key === skip) continue;
    const p = [...path, key];
    if (child.kind === 'object') {
      collectEntries(child, p, out, named);
      continue;
    }
    out.push({ name: envName(p), path: p, node: child });
    if (child.kind === 'array' && child.named && named) {
      const itemEntries: EnvEntry[] = [];
      collectEntries(child.item, [], itemEntries, null, 'name');
      named.push({ name: envName(p), path: p, itemEntries });
    }
  }
}

export function envName(path: readonly string[]): string {
  return path.join('_').toUpperCase();
}

const ENTRIES: EnvEntry[] = [];
const NAMED_ARRAYS: NamedArrayEnv[] = [];
collectEntries(configSchema, [], ENTRIES, NAMED_ARRAYS);

/** GYRE_<name> short forms for the gyre section: GYRE_BUS_TYPE for gyre.bus.type. */
const GYRE_SHORT: EnvEntry[] = ENTRIES.filter((e) => e.path[0] === 'gyre').map((e) => ({
  ...e,
  name: envName(e.path.slice(1)),
}));

// Two keys must never share a variable name; fail at import if the schema ever makes them collide.
{
  const seen = new Map<string, string>();
  for (const e of [...ENTRIES, ...GYRE_SHORT]) {
    const key = e.name;
    const prev = seen.get(key);
    const path = e.path.join('.');
    if (prev !== undefined && prev !== path) throw new Error(`config schema: env name ${key} used by ${prev} and ${path}`);
    seen.set(key, path);
  }
}

const ENTRY_BY_PATH = new Map(ENTRIES.map((e) => [e.path.join('.'), e]));

export function envEntries(): readonly EnvEntry[] {
  return ENTRIES;
}

/** Every variable name that sets `path` (dotted), in increasing precedence. */
export function envNamesFor(path: string): string[] {
  const e = ENTRY_BY_PATH.get(path);
  if (!e) return [];
  const names = [`CENTRIFUGO_${e.name}`, `GYRE_${e.name}`];
  if (e.path[0] === 'gyre') names.push(`GYRE_${envName(e.path.slice(1))}`);
  return names;
}

const K8S_SERVICE_VAR = /^(?:CENTRIFUGO|GYRE)(?:_[A-Z]+)?_(?:PORT|SERVICE_)/;

/** GYRE_* variables the repo's tooling uses that are not config keys; never reported as unknown. */
const TOOLING_ENV = new Set(['GYRE_BIN', 'GYRE_NATS_SERVER', 'GYRE_REDIS_SERVER']);

function isIgnoredEnv(name: string): boolean {
  return (
    name.startsWith('CENTRIFUGO_VAR_') ||
    name.startsWith('GYRE_VAR_') ||
    name.startsWith('GYRE_TESTING_') ||
    TOOLING_ENV.has(name) ||
    K8S_SERVICE_VAR.test(name)
  );
}

const BOOL_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const BOOL_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Converts one env or flag string to the typed value of `node`. */
export function convertString(node: LeafNode | ArrayNode, value: string, path: string, ctx: DecodeContext): unknown {
  switch (node.kind) {
    case 'string':
      return value;
    case 'int': {
      const t = value.trim();
      if (!/^[+-]?\d+$/.test(t)) return failAt(ctx, path, `expected integer, got ${quote(value)}`);
      return decodeValue(node, Number(t), path, ctx);
    }
    case 'bool':
      if (BOOL_TRUE.has(value.trim())) return true;
      if (BOOL_FALSE.has(value.trim())) return false;
      return failAt(ctx, path, `expected boolean (true/false, 1/0, t/f), got ${quote(value)}`);
    case 'duration':
      return decodeDuration(node.wholeSeconds, value, path, ctx);
    case 'stringList':
      return value.split(/\s+/).filter((s) => s !== '');
    case 'stringMap':
    case 'keyValues':
      return decodeValue(node, parseJsonValue(value, path, ctx), path, ctx);
    case 'array': {
      const t = value.trim();
      if (t.startsWith('[')) return decodeValue(node, parseJsonValue(t, path, ctx), path, ctx);
      if (!node.named) return failAt(ctx, path, `expected a JSON array of objects, got ${quote(value)}`);
      // Named arrays also take space-separated names: items with defaults, fields then set by
      // CENTRIFUGO_<ARRAY>_<NAME>_<OPTION> variables.
      return t
        .split(/\s+/)
        .filter((s) => s !== '')
        .map((name) => ({ ...(zeroValue(node.item) as Record<string, unknown>), name }));
    }
  }
}

function parseJsonValue(text: string, path: string, ctx: DecodeContext): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const err = findJsonSyntaxError(text);
    const where = err ? ` at column ${err.column}${err.line > 1 ? ` of line ${err.line}` : ''}: ${err.message}` : '';
    return failAt(ctx, path, `invalid JSON${where}`);
  }
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = target;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]!] as Record<string, unknown>;
  o[path[path.length - 1]!] = value;
}

function getAt(target: Record<string, unknown>, path: readonly string[]): unknown {
  let o: unknown = target;
  for (const p of path) o = (o as Record<string, unknown>)[p];
  return o;
}

export interface EnvResult {
  warnings: string[];
  unknownKeys: string[];
}

/**
 * Applies environment variables onto `config` (the merged, not yet defaulted config object).
 * Throws ConfigError naming the variable when a value does not convert.
 */
export function applyEnv(config: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, warnings: string[]): string[] {
  const known = new Set<string>();
  const unknownKeys: string[] = [];

  const lookup = (names: string[]): { name: string; value: string } | null => {
    let found: { name: string; value: string } | null = null;
    for (const n of names) {
      const v = env[n];
      if (v === undefined) continue;
      known.add(n);
      if (v !== '') found = { name: n, value: v }; // later names have higher precedence
    }
    return found;
  };

  const apply = (entry: EnvEntry, names: string[], target: Record<string, unknown>, fullPath: string): void => {
    const hit = lookup(names);
    if (!hit) return;
    const ctx: DecodeContext = { source: `environment variable ${hit.name}`, unknownKeys: [], warnings, env };
    setAt(target, entry.path, convertString(entry.node, hit.value, fullPath, ctx));
    for (const k of ctx.unknownKeys) unknownKeys.push(`${k} (from ${hit.name})`);
  };

  for (const entry of ENTRIES) {
    const names = [`CENTRIFUGO_${entry.name}`, `GYRE_${entry.name}`];
    if (entry.path[0] === 'gyre') names.push(`GYRE_${envName(entry.path.slice(1))}`);
    apply(entry, names, config, entry.path.join('.'));
  }

  for (const arrayEnv of NAMED_ARRAYS) {
    const items = getAt(config, arrayEnv.path);
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      if (!isPlainObject(item) || typeof item.name !== 'string' || item.name === '') return;
      const itemName = item.name.toUpperCase().replace(/[.-]/g, '_');
      for (const entry of arrayEnv.itemEntries) {
        const suffix = `${arrayEnv.name}_${itemName}_${entry.name}`;
        apply(entry, [`CENTRIFUGO_${suffix}`, `GYRE_${suffix}`], item, `${arrayEnv.path.join('.')}[${i}].${entry.path.join('.')}`);
      }
    });
  }

  const unknownVars = Object.keys(env)
    .filter((n) => ENV_PREFIXES.some((p) => n.startsWith(p)) && !known.has(n) && !isIgnoredEnv(n))
    .sort();
  for (const n of unknownVars) warnings.push(`unknown environment variable ${n}`);
  return unknownKeys;
}

/**
 * Applies explicit overrides (command-line flags) given as dotted key → string, converted like
 * env values. Keys are matched case-insensitively; an unknown key is an error, since flags are
 * defined by the CLI and a mismatch is a bug to surface, not to ignore.
 */
export function applyOverrides(
  config: Record<string, unknown>,
  overrides: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  warnings: string[],
): string[] {
  const unknownKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(overrides)) {
    const key = rawKey.trim().toLowerCase();
    const entry = ENTRY_BY_PATH.get(key);
    if (!entry) {
      throw new ConfigError(`override ${quote(rawKey)}: unknown config key`);
    }
    if (value === '') continue; // as with env: empty means unset
    const ctx: DecodeContext = { source: `override ${key}`, unknownKeys: [], warnings, env };
    setAt(config, entry.path, convertString(entry.node, value, key, ctx));
    for (const k of ctx.unknownKeys) unknownKeys.push(`${k} (from override ${key})`);
  }
  return unknownKeys;
}
