/**
 * Client tags filters (`SubscribeRequest.tf`, client-protocol.md §3.8): a FilterNode tree compiled
 * once per subscription into a predicate over `Publication.tags`. A filter that does not validate
 * is rejected at subscribe with 107 (bad request).
 *
 * - `op` "" is a leaf: `key` + `cmp` (+ `val` / `vals`); "and" / "or" need one node or more,
 *   "not" exactly one.
 * - eq / sw / ew / ct / in / gt… require the key to be present; neq / nin hold for a missing key;
 *   ex / nex test presence. Numeric comparisons parse both sides as numbers (a value that is not
 *   a number never matches).
 */
import type { protocol } from '@gyre/protocol';
type FilterNode = protocol.FilterNode;

export type TagsPredicate = (tags: { readonly [key: string]: string }) => boolean;

const MAX_DEPTH = 32;
const MAX_NODES = 256;

export class InvalidFilterError extends Error {
  override readonly name = 'InvalidFilterError';
}

const has = (tags: { readonly [key: string]: string }, key: string): boolean => Object.prototype.hasOwnProperty.call(tags, key);

function num(s: string): number | null {
  if (s.trim() === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function compileLeaf(n: FilterNode): TagsPredicate {
  const { key, val, vals } = n;
  if (key === '') throw new InvalidFilterError('filter leaf without key');
  if (n.nodes.length > 0) throw new InvalidFilterError('filter leaf with nodes');
  switch (n.cmp) {
    case 'eq':
      return (t) => has(t, key) && t[key] === val;
    case 'neq':
      return (t) => !has(t, key) || t[key] !== val;
    case 'in': {
      if (vals.length === 0) throw new InvalidFilterError('"in" without vals');
      const set = new Set(vals);
      return (t) => has(t, key) && set.has(t[key]!);
    }
    case 'nin': {
      if (vals.length === 0) throw new InvalidFilterError('"nin" without vals');
      const set = new Set(vals);
      return (t) => !has(t, key) || !set.has(t[key]!);
    }
    case 'ex':
      return (t) => has(t, key);
    case 'nex':
      return (t) => !has(t, key);
    case 'sw':
      return (t) => has(t, key) && t[key]!.startsWith(val);
    case 'ew':
      return (t) => has(t, key) && t[key]!.endsWith(val);
    case 'ct':
      return (t) => has(t, key) && t[key]!.includes(val);
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const want = num(val);
      if (want === null) throw new InvalidFilterError(`"${n.cmp}" needs a numeric val`);
      const cmp = n.cmp;
      return (t) => {
        if (!has(t, key)) return false;
        const got = num(t[key]!);
        if (got === null) return false;
        return cmp === 'lt' ? got < want : cmp === 'lte' ? got <= want : cmp === 'gt' ? got > want : got >= want;
      };
    }
    default:
      throw new InvalidFilterError(`unknown filter comparison ${JSON.stringify(n.cmp)}`);
  }
}

function compileNode(n: FilterNode, depth: number, count: { n: number }): TagsPredicate {
  if (depth > MAX_DEPTH) throw new InvalidFilterError('filter nested too deeply');
  if (++count.n > MAX_NODES) throw new InvalidFilterError('filter has too many nodes');
  switch (n.op) {
    case '':
      return compileLeaf(n);
    case 'and':
    case 'or': {
      if (n.nodes.length === 0) throw new InvalidFilterError(`"${n.op}" without nodes`);
      const parts = n.nodes.map((c) => compileNode(c, depth + 1, count));
      return n.op === 'and' ? (t) => parts.every((p) => p(t)) : (t) => parts.some((p) => p(t));
    }
    case 'not': {
      if (n.nodes.length !== 1) throw new InvalidFilterError('"not" needs exactly one node');
      const inner = compileNode(n.nodes[0]!, depth + 1, count);
      return (t) => !inner(t);
    }
    default:
      throw new InvalidFilterError(`unknown filter op ${JSON.stringify(n.op)}`);
  }
}

/** Compiles a filter; throws InvalidFilterError when the tree is malformed. */
export function compileTagsFilter(node: FilterNode): TagsPredicate {
  return compileNode(node, 0, { n: 0 });
}
