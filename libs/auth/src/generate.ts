/**
 * Token generation and inspection for the CLI (`gentoken`, `gensubtoken`, `checktoken`,
 * `checksubtoken`), producing the same tokens and messages as Centrifugo's CLI.
 */
import { createHmac } from 'node:crypto';
import type { ConnectTokenClaims, SubscriptionTokenClaims } from './claims.js';
import { TokenConfigError } from './errors.js';
import type { TokenVerifier } from './verifier.js';

export interface GenerateConnectTokenOptions {
  /** `client.token.hmac_secret_key`; generation needs HMAC (RSA/ECDSA/JWKS setups cannot sign). */
  hmacSecretKey: string;
  /** User id for `sub`; "" makes an anonymous token (then `sub` is omitted, as Go's omitempty does). */
  user: string;
  /** Seconds until `exp`; 0 or negative (the CLI's -1) means no `exp`. */
  ttlSeconds: number;
  /** Extra claims (info, channels, subs, meta, …); `sub`, `iat` and `exp` always come from the options. */
  claims?: Record<string, unknown>;
  /** `client.token.user_id_claim`: the user id is also written under this claim. */
  userIdClaim?: string;
  /** Clock in Unix milliseconds (default Date.now). */
  now?: () => number;
}

export interface GenerateSubscriptionTokenOptions extends GenerateConnectTokenOptions {
  channel: string;
}

function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url');
}

function signHs256(secret: string, payload: Record<string, unknown>): string {
  const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest())}`;
}

function basePayload(o: GenerateConnectTokenOptions): Record<string, unknown> {
  if (o.hmacSecretKey === '') throw new TokenConfigError('no HMAC secret key set');
  if (!Number.isFinite(o.ttlSeconds)) throw new RangeError('ttlSeconds must be a finite number');
  const nowSec = Math.floor((o.now ?? Date.now)() / 1000);
  const payload: Record<string, unknown> = { ...(o.claims ?? {}) };
  delete payload['sub'];
  delete payload['exp'];
  delete payload['iat'];
  if (o.user !== '') payload['sub'] = o.user;
  payload['iat'] = nowSec;
  if (o.ttlSeconds > 0) payload['exp'] = nowSec + Math.floor(o.ttlSeconds);
  if (o.userIdClaim !== undefined && o.userIdClaim !== '') payload[o.userIdClaim] = o.user;
  return payload;
}

/** HS256 connection JWT with `sub`, `iat` and (when ttlSeconds > 0) `exp`, like `centrifugo gentoken`. */
export function generateConnectToken(o: GenerateConnectTokenOptions): string {
  const payload = basePayload(o);
  if (payload['channel'] !== undefined) throw new RangeError('a connection token can not contain a channel claim');
  return signHs256(o.hmacSecretKey, payload);
}

/** HS256 subscription JWT with `sub`, `channel`, `iat` and optional `exp`, like `centrifugo gensubtoken`. */
export function generateSubscriptionToken(o: GenerateSubscriptionTokenOptions): string {
  if (o.channel === '') throw new RangeError('channel is required');
  const payload = basePayload(o);
  payload['channel'] = o.channel;
  return signHs256(o.hmacSecretKey, payload);
}

/** Go's time.Duration.String() for whole seconds (604800 → "168h0m0s"). */
export function formatGoDuration(seconds: number): string {
  const s = Math.trunc(seconds);
  if (s === 0) return '0s';
  const sign = s < 0 ? '-' : '';
  const a = Math.abs(s);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const sec = a % 60;
  if (h > 0) return `${sign}${h}h${m}m${sec}s`;
  if (m > 0) return `${sign}${m}m${sec}s`;
  return `${sign}${sec}s`;
}

function userPhrase(user: string, quoted: boolean): string {
  if (user === '') return 'anonymous user';
  return quoted ? `user "${user}"` : `user ${user}`;
}

function expiryPhrase(ttlSeconds: number): string {
  return ttlSeconds >= 0 ? `with expiration TTL ${formatGoDuration(ttlSeconds)}` : 'without expiration';
}

/** The non-quiet `gentoken` output (Centrifugo's wording). */
export function formatGenTokenMessage(user: string, ttlSeconds: number, token: string): string {
  return `HMAC SHA-256 JWT for ${userPhrase(user, true)} ${expiryPhrase(ttlSeconds)}:\n${token}\n`;
}

/** The non-quiet `gensubtoken` output (Centrifugo's wording). */
export function formatGenSubTokenMessage(user: string, channel: string, ttlSeconds: number, token: string): string {
  return `HMAC SHA-256 JWT for ${userPhrase(user, true)} and channel "${channel}" ${expiryPhrase(ttlSeconds)}:\n${token}\n`;
}

export interface ConnectTokenDescription {
  kind: 'connect';
  user: string;
  /** `exp` in Unix seconds; undefined = the token never expires. */
  expiresAt?: number;
  /** The token payload exactly as signed (JSON text). */
  payload: string;
  claims: ConnectTokenClaims;
}

export interface SubscriptionTokenDescription {
  kind: 'subscription';
  user: string;
  channel: string;
  expiresAt?: number;
  payload: string;
  claims: SubscriptionTokenClaims;
}

function payloadText(token: string): string {
  const dot1 = token.indexOf('.');
  const dot2 = token.lastIndexOf('.');
  return Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString('utf8');
}

/** `checktoken`: verifies a connection token and describes it. Rejects with the verifier's TokenError. */
export async function describeToken(verifier: TokenVerifier, token: string): Promise<ConnectTokenDescription> {
  const claims = await verifier.verifyConnectToken(token);
  const out: ConnectTokenDescription = { kind: 'connect', user: claims.user, payload: payloadText(token), claims };
  if (claims.exp !== undefined) out.expiresAt = claims.exp;
  return out;
}

/** `checksubtoken`: verifies a subscription token and describes it. */
export async function describeSubscriptionToken(verifier: TokenVerifier, token: string): Promise<SubscriptionTokenDescription> {
  const claims = await verifier.verifySubscriptionToken(token);
  const out: SubscriptionTokenDescription = {
    kind: 'subscription', user: claims.user, channel: claims.channel, payload: payloadText(token), claims,
  };
  if (claims.exp !== undefined) out.expiresAt = claims.exp;
  return out;
}

/** The `checktoken` / `checksubtoken` success output (Centrifugo's wording). */
export function formatTokenDescription(d: ConnectTokenDescription | SubscriptionTokenDescription): string {
  if (d.kind === 'connect') return `valid token for ${userPhrase(d.user, false)}\npayload: ${d.payload}\n`;
  return `valid subscription token for ${userPhrase(d.user, true)} and channel "${d.channel}"\npayload: ${d.payload}\n`;
}
