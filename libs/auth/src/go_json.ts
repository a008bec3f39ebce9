/**
 * Decoding helpers that reproduce how Go's encoding/json fills Centrifugo's claim structs, so a
 * token means the same thing here as in Centrifugo:
 *
 * - object keys match struct fields case-insensitively (Go folds ASCII case, plus U+017F 'ſ' to
 *   's' and U+212A KELVIN SIGN to 'k'); with repeated keys the last one in the document wins;
 * - `null` leaves a string/pointer/slice field at its zero value (absent);
 * - any other type mismatch is an error (json.Unmarshal fails, Centrifugo answers invalid token).
 */
import { JSON_NUMBER_RE, type JsonNode } from './json_raw.js';

/** A claim had a type Centrifugo's decoder rejects. `claim` is the field path, never its value. */
export class ClaimTypeError extends Error {
  override readonly name = 'ClaimTypeError';
  constructor(readonly claim: string) {
    super(`invalid type for claim "${claim}"`);
  }
}

/** Go's foldName for the ASCII field names we use. */
export function goFoldKey(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === '\u017f') out += 'S';
    else if (ch === '\u212a') out += 'K';
    else if (ch.length === 1 && ch >= 'a' && ch <= 'z') out += ch.toUpperCase();
    else out += ch;
  }
  return out;
}

/**
 * Picks the members of an object node that Go would decode into a struct with the given JSON
 * field names. `null` yields an empty map (Go leaves the struct untouched); a non-object throws.
 */
export function structFields(node: JsonNode, names: readonly string[], path: string): Map<string, JsonNode> {
  const out = new Map<string, JsonNode>();
  if (node.type === 'null') return out;
  if (node.type !== 'object') throw new ClaimTypeError(path);
  const byFold = new Map<string, string>();
  for (const n of names) byFold.set(goFoldKey(n), n);
  for (const [key, value] of node.members) {
    const field = byFold.get(goFoldKey(key));
    if (field !== undefined) out.set(field, value); // document order: the last duplicate wins
  }
  return out;
}

/** Go `string`: null or absent → undefined. */
export function decodeString(node: JsonNode | undefined, path: string): string | undefined {
  if (node === undefined || node.type === 'null') return undefined;
  if (node.type !== 'string') throw new ClaimTypeError(path);
  return node.value;
}

/**
 * cristalhq/jwt `*NumericDate`: a JSON number, or a string holding a valid JSON number
 * (Go's json.Number accepts both); fractions allowed; null → absent.
 */
export function decodeNumericDate(node: JsonNode | undefined, path: string): number | undefined {
  if (node === undefined || node.type === 'null') return undefined;
  let text: string;
  if (node.type === 'number') text = node.text;
  else if (node.type === 'string' && JSON_NUMBER_RE.test(node.value)) text = node.value;
  else throw new ClaimTypeError(path);
  const v = Number(text);
  if (!Number.isFinite(v)) throw new ClaimTypeError(path); // strconv.ParseFloat: out of range
  return v;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go `*int64`: an integer literal (no fraction, no exponent) within int64; null → absent. */
export function decodeInt64(node: JsonNode | undefined, path: string): number | undefined {
  if (node === undefined || node.type === 'null') return undefined;
  if (node.type !== 'number' || !/^-?[0-9]+$/.test(node.text)) throw new ClaimTypeError(path);
  const big = BigInt(node.text);
  if (big < INT64_MIN || big > INT64_MAX) throw new ClaimTypeError(path);
  return Number(big);
}

/** cristalhq/jwt `Audience`: a string or an array of strings. Anything else, null included, fails. */
export function decodeAudience(node: JsonNode | undefined, path: string): string[] {
  if (node === undefined) return [];
  if (node.type === 'string') return [node.value];
  if (node.type !== 'array') throw new ClaimTypeError(path);
  return node.items.map((item) => {
    if (item.type !== 'string') throw new ClaimTypeError(path);
    return item.value;
  });
}

/** Go `[]string`: null → absent; null elements become "". */
export function decodeStringList(node: JsonNode | undefined, path: string): string[] | undefined {
  if (node === undefined || node.type === 'null') return undefined;
  if (node.type !== 'array') throw new ClaimTypeError(path);
  return node.items.map((item) => {
    if (item.type === 'null') return '';
    if (item.type !== 'string') throw new ClaimTypeError(path);
    return item.value;
  });
}

/** Go `*BoolValue{Value bool}`: null → absent; `{}` or `{"value":null}` → false. */
export function decodeBoolValue(node: JsonNode | undefined, path: string): boolean | undefined {
  if (node === undefined || node.type === 'null') return undefined;
  const f = structFields(node, ['value'], path);
  const v = f.get('value');
  if (v === undefined || v.type === 'null') return false;
  if (v.type !== 'boolean') throw new ClaimTypeError(`${path}.value`);
  return v.value;
}

/**
 * gjson's Result.String() for a top-level key, which Centrifugo uses for `user_id_claim`: the
 * first member with exactly that key; strings as is, integers as written, other numbers in Go's
 * %f shortest form, true/false as words, null or missing as "", objects/arrays as raw JSON.
 */
export function gjsonString(root: JsonNode, key: string, bytes: Uint8Array): string {
  if (root.type !== 'object') return '';
  const hit = root.members.find(([k]) => k === key);
  if (hit === undefined) return '';
  const node = hit[1];
  switch (node.type) {
    case 'string': return node.value;
    case 'boolean': return node.value ? 'true' : 'false';
    case 'null': return '';
    case 'number': return /^-?[0-9]+$/.test(node.text) ? node.text : formatFloatF(Number(node.text));
    default: return Buffer.from(bytes.buffer, bytes.byteOffset + node.start, node.end - node.start).toString('utf8');
  }
}

/** strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const s = String(f);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const sign = m[1] ?? '';
  const digits = (m[2] ?? '') + (m[3] ?? '');
  const point = (m[2] ?? '').length + Number(m[4]);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
