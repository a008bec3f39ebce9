/**
 * Public keys: PEM keys from the config and keys from a JWKS document, each tied to the
 * algorithms it may verify.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { EC_ALGS, EC_CURVE_FOR_ALG, RSA_ALGS, type EcAlg, type SupportedAlg } from './jwt.js';

export class KeyLoadError extends Error {
  override readonly name = 'KeyLoadError';
}

/** A verification key and the only algorithms it may be used with. */
export interface VerificationKey {
  key: KeyObject;
  algs: ReadonlySet<SupportedAlg>;
}

function loadPublicPem(pem: string, what: string): KeyObject {
  if (/PRIVATE KEY/.test(pem)) throw new KeyLoadError(`${what} must be a public key, not a private key`);
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyLoadError(`${what} is not a valid PEM public key`);
  }
}

/** `rsa_public_key`: PKIX/PKCS#1 PEM or certificate; enables RS256/384/512 and PS256/384/512. */
export function loadRsaPublicKey(pem: string): VerificationKey {
  const key = loadPublicPem(pem, 'rsa_public_key');
  if (key.asymmetricKeyType !== 'rsa') throw new KeyLoadError('rsa_public_key is not an RSA key');
  return { key, algs: new Set(RSA_ALGS) };
}

/** `ecdsa_public_key`: enables exactly the ES algorithm matching the key's curve. */
export function loadEcdsaPublicKey(pem: string): VerificationKey {
  const key = loadPublicPem(pem, 'ecdsa_public_key');
  if (key.asymmetricKeyType !== 'ec') throw new KeyLoadError('ecdsa_public_key is not an ECDSA key');
  const alg = ecAlgForCurve(key.asymmetricKeyDetails?.namedCurve);
  if (alg === undefined) throw new KeyLoadError('ecdsa_public_key must use curve P-256, P-384 or P-521');
  return { key, algs: new Set([alg]) };
}

function ecAlgForCurve(curve: string | undefined): EcAlg | undefined {
  return EC_ALGS.find((a) => EC_CURVE_FOR_ALG[a] === curve);
}

const JWK_CRV_TO_ALG: Record<string, EcAlg> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

export interface JwksKey extends VerificationKey {
  kid: string;
}

/**
 * Turns one JWKS entry into a key, or undefined when Gyre must ignore it: no `kid`, `use` other
 * than `sig`, unsupported `kty`/`crv`, an `alg` that does not fit the key type, or bad key
 * material. Only public members are read, so a JWKS that wrongly publishes private parts still
 * yields only public keys.
 */
export function parseJwk(raw: unknown): JwksKey | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const k = raw as Record<string, unknown>;
  const kid = k['kid'];
  const kty = k['kty'];
  const use = k['use'];
  const alg = k['alg'];
  if (typeof kid !== 'string' || kid === '') return undefined;
  if (use !== undefined && use !== 'sig') return undefined;
  if (alg !== undefined && typeof alg !== 'string') return undefined;
  const str = (name: string): string | undefined => (typeof k[name] === 'string' ? (k[name] as string) : undefined);
  let jwk: JsonWebKey;
  let algs: SupportedAlg[];
  if (kty === 'RSA') {
    const n = str('n');
    const e = str('e');
    if (n === undefined || e === undefined) return undefined;
    jwk = { kty, n, e };
    algs = alg === undefined ? [...RSA_ALGS] : RSA_ALGS.filter((a) => a === alg);
  } else if (kty === 'EC') {
    const crv = str('crv');
    const x = str('x');
    const y = str('y');
    const curveAlg = crv === undefined ? undefined : JWK_CRV_TO_ALG[crv];
    if (curveAlg === undefined || x === undefined || y === undefined) return undefined;
    jwk = { kty, crv, x, y };
    algs = alg === undefined || alg === curveAlg ? [curveAlg] : [];
  } else if (kty === 'OKP') {
    const x = str('x');
    if (str('crv') !== 'Ed25519' || x === undefined) return undefined;
    jwk = { kty, crv: 'Ed25519', x };
    algs = alg === undefined || alg === 'EdDSA' || alg === 'Ed25519' ? ['EdDSA'] : [];
  } else {
    return undefined;
  }
  if (algs.length === 0) return undefined;
  try {
    return { kid, key: createPublicKey({ key: jwk, format: 'jwk' }), algs: new Set(algs) };
  } catch {
    return undefined;
  }
}
