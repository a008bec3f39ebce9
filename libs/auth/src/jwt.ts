/**
 * JWS compact serialization: splitting, strict base64url, header decoding, and signature checks
 * per algorithm family with node:crypto.
 *
 * Families never mix: an HMAC secret only checks HS*, an RSA key only RS and PS, an EC key only
 * the ES algorithm of its curve, an Ed25519 key only EdDSA. `none` is never accepted.
 */
import { createHmac, timingSafeEqual, verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import { ClaimTypeError, decodeString, structFields } from './go_json.js';
import { JsonSyntaxError, parseJson } from './json_raw.js';

/** Tokens longer than this are rejected before any decoding. */
export const MAX_TOKEN_LENGTH = 64 * 1024;

export type HmacAlg = 'HS256' | 'HS384' | 'HS512';
export type RsaAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512';
export type EcAlg = 'ES256' | 'ES384' | 'ES512';
export type OkpAlg = 'EdDSA';
export type SupportedAlg = HmacAlg | RsaAlg | EcAlg | OkpAlg;

export const HMAC_ALGS: readonly HmacAlg[] = ['HS256', 'HS384', 'HS512'];
export const RSA_ALGS: readonly RsaAlg[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
export const EC_ALGS: readonly EcAlg[] = ['ES256', 'ES384', 'ES512'];

export type AlgFamily = 'hmac' | 'rsa' | 'ec' | 'okp';

export function algFamily(alg: string): AlgFamily | undefined {
  if ((HMAC_ALGS as readonly string[]).includes(alg)) return 'hmac';
  if ((RSA_ALGS as readonly string[]).includes(alg)) return 'rsa';
  if ((EC_ALGS as readonly string[]).includes(alg)) return 'ec';
  if (alg === 'EdDSA') return 'okp';
  return undefined;
}

const HASH: Record<string, string> = {
  HS256: 'sha256', HS384: 'sha384', HS512: 'sha512',
  RS256: 'sha256', RS384: 'sha384', RS512: 'sha512',
  PS256: 'sha256', PS384: 'sha384', PS512: 'sha512',
  ES256: 'sha256', ES384: 'sha384', ES512: 'sha512',
};

/** Raw r||s signature length per ES algorithm (RFC 7518 §3.4). */
const EC_SIG_LENGTH: Record<EcAlg, number> = { ES256: 64, ES384: 96, ES512: 132 };

/** The curve (node's name) each ES algorithm requires. */
export const EC_CURVE_FOR_ALG: Record<EcAlg, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

export class MalformedTokenError extends Error {
  override readonly name = 'MalformedTokenError';
}

export interface JwtHeader {
  alg: string;
  kid: string;
  typ: string;
}

export interface ParsedJwt {
  header: JwtHeader;
  /** The bytes that were signed: ASCII `base64url(header) "." base64url(payload)`. */
  signingInput: Buffer;
  payload: Uint8Array;
  signature: Uint8Array;
}

const B64URL_RE = /^[A-Za-z0-9_-]*$/;

/** Strict unpadded base64url (RFC 7515 §2); returns undefined when malformed. */
export function decodeBase64Url(s: string): Buffer | undefined {
  if (!B64URL_RE.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s, 'base64url');
}

/**
 * Splits and decodes a compact JWS. Like cristalhq/jwt, the header is everything before the first
 * dot and the signature everything after the last one, so a token with more than two dots fails
 * on the dot inside the payload part.
 */
export function parseCompact(token: string): ParsedJwt {
  if (token.length > MAX_TOKEN_LENGTH) throw new MalformedTokenError('token too large');
  const dot1 = token.indexOf('.');
  const dot2 = token.lastIndexOf('.');
  if (dot1 < 0 || dot2 <= dot1) throw new MalformedTokenError('malformed token');
  const headerBytes = decodeBase64Url(token.slice(0, dot1));
  const payload = decodeBase64Url(token.slice(dot1 + 1, dot2));
  const signature = decodeBase64Url(token.slice(dot2 + 1));
  if (headerBytes === undefined || payload === undefined || signature === undefined) {
    throw new MalformedTokenError('malformed token');
  }
  let header: JwtHeader;
  try {
    const f = structFields(parseJson(headerBytes, 16), ['alg', 'typ', 'cty', 'kid'], 'header');
    header = {
      alg: decodeString(f.get('alg'), 'alg') ?? '',
      kid: decodeString(f.get('kid'), 'kid') ?? '',
      typ: decodeString(f.get('typ'), 'typ') ?? '',
    };
    decodeString(f.get('cty'), 'cty');
  } catch (err) {
    if (err instanceof JsonSyntaxError || err instanceof ClaimTypeError) {
      throw new MalformedTokenError('malformed token header');
    }
    throw err;
  }
  return { header, signingInput: Buffer.from(token.slice(0, dot2), 'latin1'), payload, signature };
}

/** HMAC check in constant time (the length of a MAC is public). */
export function verifyHmac(alg: HmacAlg, secret: Buffer, signingInput: Buffer, signature: Uint8Array): boolean {
  const mac = createHmac(HASH[alg]!, secret).update(signingInput).digest();
  return mac.length === signature.length && timingSafeEqual(mac, signature);
}

/**
 * Asymmetric check. The caller has already matched `alg` to the key's family; this re-checks it so
 * a key can never be used for another family by mistake.
 */
export function verifyAsymmetric(alg: RsaAlg | EcAlg | OkpAlg, key: KeyObject, signingInput: Buffer, signature: Uint8Array): boolean {
  try {
    const type = key.asymmetricKeyType;
    if (alg.startsWith('RS')) {
      if (type !== 'rsa') return false;
      return cryptoVerify(HASH[alg]!, signingInput, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    }
    if (alg.startsWith('PS')) {
      if (type !== 'rsa' && type !== 'rsa-pss') return false;
      return cryptoVerify(HASH[alg]!, signingInput, {
        key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      }, signature);
    }
    if (alg.startsWith('ES')) {
      const ecAlg = alg as EcAlg;
      if (type !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== EC_CURVE_FOR_ALG[ecAlg]) return false;
      if (signature.length !== EC_SIG_LENGTH[ecAlg]) return false;
      return cryptoVerify(HASH[alg]!, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (alg === 'EdDSA') {
      if (type !== 'ed25519') return false;
      return cryptoVerify(null, signingInput, key, signature);
    }
    return false;
  } catch {
    return false; // malformed signature bytes for this key
  }
}
