/**
 * The `client.token` (and `client.subscription_token`) section, with Centrifugo's exact
 * snake_case keys, and its startup validation. Everything that can be wrong with it is reported
 * here, once, as a TokenConfigError; verification never re-parses configuration.
 */
import { Buffer } from 'node:buffer';
import { TokenConfigError } from './errors.js';
import { compileGoRegex } from '@gyre/config';
import { extractPlaceholders, validateJwksEndpointSafety } from './jwks_template.js';
import { loadEcdsaPublicKey, loadRsaPublicKey, type VerificationKey } from './keys.js';

export interface TokenConfig {
  /** HS256/384/512 secret ("" = HMAC tokens disabled). */
  hmac_secret_key: string;
  /** Previous HMAC secret, still accepted during rotation (v6.6.1). */
  hmac_previous_secret_key: string;
  /** Unix seconds after which the previous secret is refused; 0 = no limit. */
  hmac_previous_secret_key_valid_until: number;
  /** PEM public key enabling RS256/384/512 and PS256/384/512. */
  rsa_public_key: string;
  /** PEM public key enabling the ES algorithm of its curve (P-256 → ES256, …). */
  ecdsa_public_key: string;
  /** JWKS URL, possibly with `{{name}}` placeholders. When set, only JWKS keys are used. */
  jwks_public_endpoint: string;
  audience: string;
  audience_regex: string;
  issuer: string;
  issuer_regex: string;
  /** Claim holding the user id instead of `sub` (must match ^[a-zA-Z_]+$). */
  user_id_claim: string;
  insecure_skip_jwks_endpoint_safety_check: boolean;
}

export function defaultTokenConfig(): TokenConfig {
  return {
    hmac_secret_key: '',
    hmac_previous_secret_key: '',
    hmac_previous_secret_key_valid_until: 0,
    rsa_public_key: '',
    ecdsa_public_key: '',
    jwks_public_endpoint: '',
    audience: '',
    audience_regex: '',
    issuer: '',
    issuer_regex: '',
    user_id_claim: '',
    insecure_skip_jwks_endpoint_safety_check: false,
  };
}

/** The validated, ready-to-use form of a TokenConfig. */
export interface CompiledTokenConfig {
  hmacSecret?: Buffer;
  hmacPreviousSecret?: Buffer;
  /** Unix ms after which the previous secret is refused; Infinity = no limit. */
  hmacPreviousValidUntilMs: number;
  rsaKey?: VerificationKey;
  ecdsaKey?: VerificationKey;
  jwksEndpoint: string;
  jwksPlaceholders: string[];
  audience: string;
  audienceRe?: RegExp;
  issuer: string;
  issuerRe?: RegExp;
  userIdClaim: string;
  skipJwksSafetyCheck: boolean;
}

const USER_ID_CLAIM_RE = /^[a-zA-Z_]+$/;

function str(cfg: Partial<TokenConfig>, key: keyof TokenConfig): string {
  const v = cfg[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new TokenConfigError(`token ${key} must be a string`);
  return v;
}

function regex(pattern: string, key: string): RegExp | undefined {
  if (pattern === '') return undefined;
  // The same RE2 → JavaScript translation as channel_regex (libs/config), so one pattern means
  // one thing everywhere; anything it cannot translate faithfully is refused at start.
  const compiled = compileGoRegex(pattern);
  if (!compiled.ok) throw new TokenConfigError(`error compiling ${key}: ${compiled.reason}`);
  return compiled.regex;
}

/** Validates and compiles a token config. Missing keys take their zero values. */
export function compileTokenConfig(cfg: Partial<TokenConfig>): CompiledTokenConfig {
  const audience = str(cfg, 'audience');
  const audienceRegex = str(cfg, 'audience_regex');
  const issuer = str(cfg, 'issuer');
  const issuerRegex = str(cfg, 'issuer_regex');
  if (audience !== '' && audienceRegex !== '') {
    throw new TokenConfigError('can not use both token audience and audience_regex, configure only one of them');
  }
  if (issuer !== '' && issuerRegex !== '') {
    throw new TokenConfigError('can not use both token issuer and issuer_regex, configure only one of them');
  }
  const userIdClaim = str(cfg, 'user_id_claim');
  if (userIdClaim !== '' && !USER_ID_CLAIM_RE.test(userIdClaim)) {
    throw new TokenConfigError('token user_id_claim must match ^[a-zA-Z_]+$');
  }
  const validUntil = cfg.hmac_previous_secret_key_valid_until ?? 0;
  if (typeof validUntil !== 'number' || !Number.isFinite(validUntil) || validUntil < 0) {
    throw new TokenConfigError('token hmac_previous_secret_key_valid_until must be a Unix timestamp in seconds (0 = no limit)');
  }
  const skip = cfg.insecure_skip_jwks_endpoint_safety_check ?? false;
  if (typeof skip !== 'boolean') throw new TokenConfigError('token insecure_skip_jwks_endpoint_safety_check must be a boolean');

  const out: CompiledTokenConfig = {
    hmacPreviousValidUntilMs: validUntil === 0 ? Infinity : validUntil * 1000,
    jwksEndpoint: str(cfg, 'jwks_public_endpoint'),
    jwksPlaceholders: [],
    audience,
    issuer,
    userIdClaim,
    skipJwksSafetyCheck: skip,
  };
  const audienceRe = regex(audienceRegex, 'audience_regex');
  const issuerRe = regex(issuerRegex, 'issuer_regex');
  if (audienceRe !== undefined) out.audienceRe = audienceRe;
  if (issuerRe !== undefined) out.issuerRe = issuerRe;

  const hmac = str(cfg, 'hmac_secret_key');
  const hmacPrevious = str(cfg, 'hmac_previous_secret_key');
  if (hmac !== '') out.hmacSecret = Buffer.from(hmac, 'utf8');
  if (hmacPrevious !== '') out.hmacPreviousSecret = Buffer.from(hmacPrevious, 'utf8');
  try {
    const rsa = str(cfg, 'rsa_public_key');
    const ecdsa = str(cfg, 'ecdsa_public_key');
    if (rsa !== '') out.rsaKey = loadRsaPublicKey(rsa);
    if (ecdsa !== '') out.ecdsaKey = loadEcdsaPublicKey(ecdsa);
  } catch (err) {
    throw new TokenConfigError((err as Error).message);
  }

  if (out.jwksEndpoint !== '') {
    out.jwksPlaceholders = [...new Set(extractPlaceholders(out.jwksEndpoint))];
    let probe: URL;
    try {
      probe = new URL(out.jwksEndpoint.replace(/\{\{[^}]*\}\}/g, 'x'));
    } catch {
      throw new TokenConfigError('token jwks_public_endpoint is not a valid URL');
    }
    if (probe.protocol !== 'http:' && probe.protocol !== 'https:') {
      throw new TokenConfigError('token jwks_public_endpoint must have http:// or https:// scheme');
    }
    const groups = new Set([...namedGroups(issuerRegex), ...namedGroups(audienceRegex)]);
    for (const p of out.jwksPlaceholders) {
      if (!groups.has(p)) {
        throw new TokenConfigError(`token jwks_public_endpoint placeholder {{${p}}} is not a named group of issuer_regex or audience_regex`);
      }
    }
    if (!skip) {
      try {
        validateJwksEndpointSafety(out.jwksEndpoint, issuerRegex, audienceRegex);
      } catch (err) {
        throw new TokenConfigError((err as Error).message);
      }
    }
  }
  return out;
}

function namedGroups(pattern: string): string[] {
  return [...pattern.matchAll(/\(\?P?<([A-Za-z0-9_]+)>/g)].map((m) => m[1]!);
}
