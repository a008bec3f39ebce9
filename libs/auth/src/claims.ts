/**
 * Connection and subscription JWT claims, decoded with the same rules as Centrifugo's
 * `ConnectTokenClaims` / `SubscribeTokenClaims` (internal/jwtverify) on top of cristalhq/jwt's
 * `RegisteredClaims`. Unknown claims are ignored; a known claim of the wrong type makes the whole
 * token invalid.
 */
import {
  ClaimTypeError,
  decodeAudience,
  decodeBoolValue,
  decodeInt64,
  decodeNumericDate,
  decodeString,
  decodeStringList,
  gjsonString,
  structFields,
} from './go_json.js';
import { rawBytes, type JsonNode } from './json_raw.js';

/** Per-subscription option overrides; a field is present only when the token set it. */
export interface SubscribeOptionOverride {
  presence?: boolean;
  joinLeave?: boolean;
  forcePushJoinLeave?: boolean;
  forceRecovery?: boolean;
  forcePositioning?: boolean;
}

/** Options for one server-side subscription from the connection token. */
export interface TokenSubscribeOptions {
  /** Channel info (ClientInfo.chan_info): `b64info` decoded, else the exact JSON bytes of `info`. */
  info?: Uint8Array;
  /** Subscribe data: `b64data` decoded, else the exact JSON bytes of `data`. */
  data?: Uint8Array;
  /** Overrides the server merges over the namespace's channel options. */
  override: SubscribeOptionOverride;
}

/** Registered claims shared by both token kinds (seconds since the epoch, as in the token). */
export interface StandardTokenClaims {
  /** `exp` as written (fractions allowed, as cristalhq/jwt does); undefined = no expiry check. */
  exp?: number;
  iat?: number;
  nbf?: number;
  jti: string;
  iss: string;
  /** `aud` normalised to a list (a single string becomes one element). */
  aud: string[];
}

export interface ConnectTokenClaims extends StandardTokenClaims {
  /** User id: `sub`, or the `user_id_claim` claim when configured. "" = anonymous. */
  user: string;
  /**
   * Connection expiry in Unix seconds, 0 = never: `expire_at` when present (values <= 0 mean
   * never), otherwise floor(`exp`), otherwise 0. `exp` still guards token validity either way.
   */
  expireAt: number;
  /** `expire_at` exactly as in the token (undefined when absent or null). */
  expireAtClaim?: number;
  /** Connection info (ClientInfo.conn_info): `b64info` decoded, else the exact JSON bytes of `info`. */
  info?: Uint8Array;
  /** The `channels` claim as written. */
  channels: string[];
  /**
   * Server-side subscriptions to make on connect, in token order: from `subs` when it has at least
   * one entry (then `channels` is ignored, like Centrifugo), else one entry with empty options per
   * `channels` element. The server still checks each channel's namespace (unknown → error 102).
   */
  subs: Map<string, TokenSubscribeOptions>;
  /** `meta`: exact JSON bytes, kept on the server only (passed to proxies, never to clients). */
  meta?: Uint8Array;
}

export interface SubscriptionTokenClaims extends StandardTokenClaims {
  /** `sub` (or `user_id_claim`); the server must check it equals the connection's user. */
  user: string;
  /** Required; the server must check it equals the requested channel (mismatch → 3500). */
  channel: string;
  /** Optional; when non-empty the server must check it equals the client id (mismatch → 3500). */
  client: string;
  /** Subscription expiry in Unix seconds, 0 = never (same rules as ConnectTokenClaims.expireAt). */
  expireAt: number;
  expireAtClaim?: number;
  info?: Uint8Array;
  data?: Uint8Array;
  override: SubscribeOptionOverride;
}

// ---- raw decoding (before signature checks) -------------------------------------------------

interface DecodedRegistered {
  sub: string;
  iss: string;
  jti: string;
  aud: string[];
  exp?: number;
  nbf?: number;
  iat?: number;
}

interface DecodedSubscribeOptions {
  info?: JsonNode;
  b64info: string;
  data?: JsonNode;
  b64data: string;
  override: SubscribeOptionOverride;
}

export interface DecodedConnectClaims extends DecodedRegistered {
  expireAt?: number;
  info?: JsonNode;
  b64info: string;
  channels?: string[];
  subs?: Map<string, DecodedSubscribeOptions>;
  meta?: JsonNode;
  channel: string;
}

export interface DecodedSubscribeClaims extends DecodedRegistered, DecodedSubscribeOptions {
  channel: string;
  client: string;
  expireAt?: number;
}

const REGISTERED = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'] as const;
const SUB_OPTIONS = ['info', 'b64info', 'data', 'b64data', 'override'] as const;
const OVERRIDE = ['presence', 'join_leave', 'force_push_join_leave', 'force_positioning', 'force_recovery'] as const;

function decodeRegistered(f: Map<string, JsonNode>): DecodedRegistered {
  const out: DecodedRegistered = {
    sub: decodeString(f.get('sub'), 'sub') ?? '',
    iss: decodeString(f.get('iss'), 'iss') ?? '',
    jti: decodeString(f.get('jti'), 'jti') ?? '',
    aud: decodeAudience(f.get('aud'), 'aud'),
  };
  const exp = decodeNumericDate(f.get('exp'), 'exp');
  const nbf = decodeNumericDate(f.get('nbf'), 'nbf');
  const iat = decodeNumericDate(f.get('iat'), 'iat');
  if (exp !== undefined) out.exp = exp;
  if (nbf !== undefined) out.nbf = nbf;
  if (iat !== undefined) out.iat = iat;
  return out;
}

function decodeOverride(node: JsonNode | undefined, path: string): SubscribeOptionOverride {
  const out: SubscribeOptionOverride = {};
  if (node === undefined || node.type === 'null') return out;
  const f = structFields(node, OVERRIDE, path);
  const set = (name: (typeof OVERRIDE)[number], key: keyof SubscribeOptionOverride): void => {
    const v = decodeBoolValue(f.get(name), `${path}.${name}`);
    if (v !== undefined) out[key] = v;
  };
  set('presence', 'presence');
  set('join_leave', 'joinLeave');
  set('force_push_join_leave', 'forcePushJoinLeave');
  set('force_recovery', 'forceRecovery');
  set('force_positioning', 'forcePositioning');
  return out;
}

function decodeSubscribeOptions(f: Map<string, JsonNode>, path: string): DecodedSubscribeOptions {
  const prefix = path === '' ? '' : `${path}.`;
  const out: DecodedSubscribeOptions = {
    b64info: decodeString(f.get('b64info'), `${prefix}b64info`) ?? '',
    b64data: decodeString(f.get('b64data'), `${prefix}b64data`) ?? '',
    override: decodeOverride(f.get('override'), `${prefix}override`),
  };
  const info = f.get('info');
  const data = f.get('data');
  if (info !== undefined) out.info = info; // json.RawMessage keeps even a literal null
  if (data !== undefined) out.data = data;
  return out;
}

/** Decodes a connection token payload. Throws ClaimTypeError on a wrong claim type. */
export function decodeConnectClaims(root: JsonNode): DecodedConnectClaims {
  const f = structFields(root, [...REGISTERED, 'expire_at', 'info', 'b64info', 'channels', 'subs', 'meta', 'channel'], '');
  const out: DecodedConnectClaims = {
    ...decodeRegistered(f),
    b64info: decodeString(f.get('b64info'), 'b64info') ?? '',
    channel: decodeString(f.get('channel'), 'channel') ?? '',
  };
  const expireAt = decodeInt64(f.get('expire_at'), 'expire_at');
  if (expireAt !== undefined) out.expireAt = expireAt;
  const info = f.get('info');
  if (info !== undefined) out.info = info;
  const meta = f.get('meta');
  if (meta !== undefined) out.meta = meta;
  const channels = decodeStringList(f.get('channels'), 'channels');
  if (channels !== undefined) out.channels = channels;
  const subs = f.get('subs');
  if (subs !== undefined && subs.type !== 'null') {
    if (subs.type !== 'object') throw new ClaimTypeError('subs');
    const map = new Map<string, DecodedSubscribeOptions>();
    for (const [channel, value] of subs.members) {
      // Go map decoding: each value starts from zero; a repeated key replaces the earlier one.
      map.set(channel, decodeSubscribeOptions(structFields(value, SUB_OPTIONS, 'subs.*'), 'subs.*'));
    }
    out.subs = map;
  }
  return out;
}

/** Decodes a subscription token payload. Throws ClaimTypeError on a wrong claim type. */
export function decodeSubscribeClaims(root: JsonNode): DecodedSubscribeClaims {
  const f = structFields(root, [...REGISTERED, ...SUB_OPTIONS, 'channel', 'client', 'expire_at'], '');
  const out: DecodedSubscribeClaims = {
    ...decodeRegistered(f),
    ...decodeSubscribeOptions(f, ''),
    channel: decodeString(f.get('channel'), 'channel') ?? '',
    client: decodeString(f.get('client'), 'client') ?? '',
  };
  const expireAt = decodeInt64(f.get('expire_at'), 'expire_at');
  if (expireAt !== undefined) out.expireAt = expireAt;
  return out;
}

// ---- final shape (after all checks) ---------------------------------------------------------

/** A b64info/b64data value Go's base64.StdEncoding would reject. */
export class ClaimEncodingError extends Error {
  override readonly name = 'ClaimEncodingError';
  constructor(readonly claim: string) {
    super(`invalid base64 in claim "${claim}"`);
  }
}

/** Go base64.StdEncoding.DecodeString: padded standard alphabet; CR and LF are skipped. */
export function decodeStdBase64(s: string, claim: string): Uint8Array {
  const clean = s.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new ClaimEncodingError(claim);
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

function effectiveExpireAt(expireAtClaim: number | undefined, exp: number | undefined): number {
  if (expireAtClaim !== undefined) return expireAtClaim > 0 ? expireAtClaim : 0;
  if (exp !== undefined) return Math.floor(exp); // time.Unix(sec, nsec).Unix()
  return 0;
}

function binaryOrRaw(b64: string, raw: JsonNode | undefined, bytes: Uint8Array, claim: string): Uint8Array | undefined {
  if (b64 !== '') return decodeStdBase64(b64, claim);
  return raw === undefined ? undefined : rawBytes(bytes, raw);
}

function standardOf(d: DecodedRegistered): StandardTokenClaims {
  const out: StandardTokenClaims = { jti: d.jti, iss: d.iss, aud: d.aud };
  if (d.exp !== undefined) out.exp = d.exp;
  if (d.iat !== undefined) out.iat = d.iat;
  if (d.nbf !== undefined) out.nbf = d.nbf;
  return out;
}

function userOf(d: DecodedRegistered, userIdClaim: string, root: JsonNode, bytes: Uint8Array): string {
  return userIdClaim === '' ? d.sub : gjsonString(root, userIdClaim, bytes);
}

export function buildConnectClaims(d: DecodedConnectClaims, root: JsonNode, bytes: Uint8Array, userIdClaim: string): ConnectTokenClaims {
  const subs = new Map<string, TokenSubscribeOptions>();
  if (d.subs !== undefined && d.subs.size > 0) {
    for (const [channel, o] of d.subs) {
      const opts: TokenSubscribeOptions = { override: o.override };
      const info = binaryOrRaw(o.b64info, o.info, bytes, 'subs.*.b64info');
      const data = binaryOrRaw(o.b64data, o.data, bytes, 'subs.*.b64data');
      if (info !== undefined) opts.info = info;
      if (data !== undefined) opts.data = data;
      subs.set(channel, opts);
    }
  } else if (d.channels !== undefined) {
    for (const channel of d.channels) subs.set(channel, { override: {} });
  }
  const out: ConnectTokenClaims = {
    ...standardOf(d),
    user: userOf(d, userIdClaim, root, bytes),
    expireAt: effectiveExpireAt(d.expireAt, d.exp),
    channels: d.channels ?? [],
    subs,
  };
  if (d.expireAt !== undefined) out.expireAtClaim = d.expireAt;
  const info = binaryOrRaw(d.b64info, d.info, bytes, 'b64info');
  if (info !== undefined) out.info = info;
  if (d.meta !== undefined) out.meta = rawBytes(bytes, d.meta);
  return out;
}

export function buildSubscribeClaims(d: DecodedSubscribeClaims, root: JsonNode, bytes: Uint8Array, userIdClaim: string): SubscriptionTokenClaims {
  const out: SubscriptionTokenClaims = {
    ...standardOf(d),
    user: userOf(d, userIdClaim, root, bytes),
    channel: d.channel,
    client: d.client,
    expireAt: effectiveExpireAt(d.expireAt, d.exp),
    override: d.override,
  };
  if (d.expireAt !== undefined) out.expireAtClaim = d.expireAt;
  const info = binaryOrRaw(d.b64info, d.info, bytes, 'b64info');
  const data = binaryOrRaw(d.b64data, d.data, bytes, 'b64data');
  if (info !== undefined) out.info = info;
  if (data !== undefined) out.data = data;
  return out;
}
