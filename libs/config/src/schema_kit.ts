/**
 * The vocabulary the config schema is written in. A schema is a tree of nodes; from that one tree
 * come the TypeScript type of the loaded config (`Infer<typeof node>`), the zero values and
 * defaults, type checking, the environment variable names, unknown-key detection and the key list
 * used for docs. Adding a key means adding one node in schema.ts and nothing else.
 *
 * Node kinds and the loaded representation:
 *   string      string (optionally restricted to `oneOf` values)
 *   int         number (integer, with a min/max range)
 *   bool        boolean
 *   duration    number of milliseconds (files hold Go duration strings; a bare number is ns)
 *   stringList  string[]
 *   stringMap   Record<string, string> (values may use ${CENTRIFUGO_VAR_*} placeholders)
 *   keyValues   { key, value }[] (files: a list of {key, value} or an object)
 *   object      nested object of fields (TLS, proxy and channel-option objects are objects)
 *   array       array of objects; `named` arrays (items with a `name`) also take per-item env
 *               overrides such as CENTRIFUGO_CHANNEL_NAMESPACES_<NAME>_<OPTION>
 */

import { nsToMs, parseGoDuration } from './duration.js';

export interface StringNode<T extends string = string> {
  readonly kind: 'string';
  readonly default: T;
  /** Allowed values (checked after defaults are applied). */
  readonly oneOf?: readonly T[];
  readonly doc?: string;
}

export interface IntNode {
  readonly kind: 'int';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly doc?: string;
}

export interface BoolNode {
  readonly kind: 'bool';
  readonly default: boolean;
  readonly doc?: string;
}

export interface DurationNode {
  readonly kind: 'duration';
  /** Default as written in Go syntax ("25s", '' for none); `defaultMs` is it in milliseconds. */
  readonly default: string;
  readonly defaultMs: number;
  /** Keys that Centrifugo only accepts in whole seconds (history TTLs). */
  readonly wholeSeconds: boolean;
  readonly doc?: string;
}

export interface StringListNode {
  readonly kind: 'stringList';
  readonly default: readonly string[];
  readonly doc?: string;
}

export interface StringMapNode {
  readonly kind: 'stringMap';
  readonly doc?: string;
}

export interface KeyValuesNode {
  readonly kind: 'keyValues';
  readonly doc?: string;
}

export type Fields = { readonly [key: string]: Node };

export interface ObjectNode<F extends Fields = Fields> {
  readonly kind: 'object';
  readonly fields: F;
  readonly doc?: string;
}

export interface ArrayNode<I extends ObjectNode = ObjectNode> {
  readonly kind: 'array';
  readonly item: I;
  /** Items carry a unique `name`, and env vars can override fields of a named item. */
  readonly named: boolean;
  readonly doc?: string;
}

export type LeafNode =
  | StringNode
  | IntNode
  | BoolNode
  | DurationNode
  | StringListNode
  | StringMapNode
  | KeyValuesNode;

export type Node = LeafNode | ObjectNode | ArrayNode;

export interface KeyValue {
  key: string;
  value: string;
}

/** The loaded (TypeScript) shape of a schema node. */
export type Infer<N> = N extends StringNode<infer T>
  ? T
  : N extends IntNode
    ? number
    : N extends BoolNode
      ? boolean
      : N extends DurationNode
        ? number
        : N extends StringListNode
          ? string[]
          : N extends StringMapNode
            ? Record<string, string>
            : N extends KeyValuesNode
              ? KeyValue[]
              : N extends ObjectNode<infer F>
                ? { -readonly [K in keyof F]: Infer<F[K]> }
                : N extends ArrayNode<infer I>
                  ? Array<Infer<I>>
                  : never;

// ---- constructors -------------------------------------------------------------------------

export const INT32_MAX = 2_147_483_647;
export const UINT32_MAX = 4_294_967_295;

export function str(def = '', doc?: string): StringNode<string> {
  return { kind: 'string', default: def, ...(doc ? { doc } : {}) };
}

/** A string restricted to the given values. Include '' in `values` when empty is allowed. */
export function oneOf<const T extends string>(values: readonly T[], def: T, doc?: string): StringNode<T> {
  return { kind: 'string', default: def, oneOf: values, ...(doc ? { doc } : {}) };
}

/** An integer. Config integers are non-negative unless a range says otherwise. */
export function int(def = 0, range: { min?: number; max?: number } = {}, doc?: string): IntNode {
  return {
    kind: 'int',
    default: def,
    min: range.min ?? 0,
    max: range.max ?? Number.MAX_SAFE_INTEGER,
    ...(doc ? { doc } : {}),
  };
}

export function port(def = 0, doc?: string): IntNode {
  return int(def, { min: 0, max: 65535 }, doc);
}

export function uint32(doc?: string): IntNode {
  return int(0, { min: 0, max: UINT32_MAX }, doc);
}

export function bool(def = false, doc?: string): BoolNode {
  return { kind: 'bool', default: def, ...(doc ? { doc } : {}) };
}

/** A duration; `def` is written in Go syntax ("25s"), '' for no default. */
export function dur(def = '', opts: { wholeSeconds?: boolean; doc?: string } = {}): DurationNode {
  let defaultMs = 0;
  if (def !== '') {
    const parsed = parseGoDuration(def);
    if (!parsed.ok) throw new Error(`schema: bad duration default ${def}`);
    defaultMs = nsToMs(parsed.ns);
  }
  return {
    kind: 'duration',
    default: def,
    defaultMs,
    wholeSeconds: opts.wholeSeconds ?? false,
    ...(opts.doc ? { doc: opts.doc } : {}),
  };
}

export function strList(def: readonly string[] = [], doc?: string): StringListNode {
  return { kind: 'stringList', default: def, ...(doc ? { doc } : {}) };
}

export function strMap(doc?: string): StringMapNode {
  return { kind: 'stringMap', ...(doc ? { doc } : {}) };
}

export function keyValues(doc?: string): KeyValuesNode {
  return { kind: 'keyValues', ...(doc ? { doc } : {}) };
}

export function obj<const F extends Fields>(fields: F, doc?: string): ObjectNode<F> {
  return { kind: 'object', fields, ...(doc ? { doc } : {}) };
}

export function arr<I extends ObjectNode>(item: I, opts: { named?: boolean; doc?: string } = {}): ArrayNode<I> {
  return { kind: 'array', item, named: opts.named ?? false, ...(opts.doc ? { doc: opts.doc } : {}) };
}

// ---- zero values and defaults --------------------------------------------------------------

/** Defines an own enumerable property even for keys like "__proto__" (user-supplied map keys). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The value a key has when no source sets it: "", 0, false, [], {} or an object of zeros. */
export function zeroValue(node: Node): unknown {
  switch (node.kind) {
    case 'string':
      return '';
    case 'int':
    case 'duration':
      return 0;
    case 'bool':
      return false;
    case 'stringList':
    case 'keyValues':
    case 'array':
      return [];
    case 'stringMap':
      return {};
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(node.fields)) out[k] = zeroValue(child);
      return out;
    }
  }
}

function isZero(node: LeafNode, value: unknown): boolean {
  switch (node.kind) {
    case 'string':
      return value === '';
    case 'int':
    case 'duration':
      return value === 0;
    case 'bool':
      return value === false;
    case 'stringList':
    case 'keyValues':
      return Array.isArray(value) && value.length === 0;
    case 'stringMap':
      return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  }
}

function defaultOf(node: LeafNode): unknown {
  switch (node.kind) {
    case 'string':
    case 'int':
    case 'bool':
      return node.default;
    case 'duration':
      return node.defaultMs;
    case 'stringList':
      return [...node.default];
    case 'stringMap':
      return {};
    case 'keyValues':
      return [];
  }
}

/**
 * Fills defaults into `value` in place, the way Centrifugo does: a default is applied wherever the
 * value is still the zero value after every source (file, env, flags) was applied. So an option
 * with a non-zero default cannot be set to 0, "" or false through config: `client.channel_limit: 0`
 * loads as 128 again (reference §2.1, §7.7). That is why Centrifugo documents "-1 to disable" for
 * ping/pong. Defaults apply inside array items too (each proxy gets `timeout: 1s`, each namespace
 * `subscribe_proxy_name: "default"`).
 */
export function applyDefaults(node: Node, value: unknown): unknown {
  switch (node.kind) {
    case 'object': {
      const o = value as Record<string, unknown>;
      for (const [k, child] of Object.entries(node.fields)) o[k] = applyDefaults(child, o[k]);
      return o;
    }
    case 'array': {
      const a = value as unknown[];
      for (let i = 0; i < a.length; i++) a[i] = applyDefaults(node.item, a[i]);
      return a;
    }
    default:
      return isZero(node, value) ? defaultOf(node) : value;
  }
}

/** Visits every leaf and array node with its dotted path (arrays' items as `path[]`). */
export function walkSchema(
  node: Node,
  visit: (path: string, node: LeafNode | ArrayNode) => void,
  path = '',
): void {
  if (node.kind === 'object') {
    for (const [k, child] of Object.entries(node.fields)) walkSchema(child, visit, path ? `${path}.${k}` : k);
    return;
  }
  visit(path, node);
  if (node.kind === 'array') walkSchema(node.item, visit, `${path}[]`);
}
