/**
 * Connection and subscription JWT verification, compatible with Centrifugo v6
 * (internal/jwtverify/token_verifier_jwt.go): a token Centrifugo accepts is accepted here with the
 * same claims, and the same failures map to the same error classes.
 *
 * Order of checks (Centrifugo's, so results agree on tokens with several problems):
 *  1. size (64 KiB), compact form, base64url, header JSON            → invalid
 *  2. payload JSON and claim types                                    → invalid
 *  3. `aud` / `iss` exact match, then `issuer_regex`, `audience_regex` → invalid
 *     (named groups from these fill the JWKS URL template)
 *  4. signature (skipped with insecureSkipSignatureVerify)            → invalid / unavailable
 *  5. connect: a `channel` claim                                      → invalid
 *  6. `exp` not after now, or `nbf` not before now                    → expired
 *  7. subscribe: empty `channel`                                      → invalid
 *  8. `b64info` / `b64data` not valid padded standard base64          → invalid
 *
 * Wiring in the server: make one verifier from `client.token`. When
 * `client.subscription_token.enabled` is true, make a second one from `client.subscription_token`
 * and use it for subscription tokens; otherwise subscription tokens go through the connection
 * verifier. On config reload (SIGHUP) make new verifiers and close() the old ones.
 */
import {
  buildConnectClaims,
  buildSubscribeClaims,
  ClaimEncodingError,
  decodeConnectClaims,
  decodeSubscribeClaims,
  type ConnectTokenClaims,
  type DecodedConnectClaims,
  type DecodedSubscribeClaims,
  type SubscriptionTokenClaims,
} from './claims.js';
import { compileTokenConfig, type CompiledTokenConfig, type TokenConfig } from './config.js';
import { TokenExpiredError, TokenInvalidError, TokenVerifierUnavailableError, isTokenError } from './errors.js';
import { ClaimTypeError } from './go_json.js';
import { DEFAULT_JWKS_OPTIONS, JwksClient } from './jwks.js';
import { fillTemplate, isSafeTemplateValue } from './jwks_template.js';
import { JsonSyntaxError, parseJson, type JsonNode } from './json_raw.js';
import {
  algFamily,
  MalformedTokenError,
  parseCompact,
  verifyAsymmetric,
  verifyHmac,
  type EcAlg,
  type HmacAlg,
  type OkpAlg,
  type ParsedJwt,
  type RsaAlg,
} from './jwt.js';
import type { VerificationKey } from './keys.js';

export interface TokenVerifierOptions {
  /**
   * `client.insecure_skip_token_signature_verify`: decode and check claims without checking the
   * signature (development only). Structure, claim types, aud/iss and expiry are still checked,
   * and `alg: none` is still refused.
   */
  insecureSkipSignatureVerify?: boolean;
  /** Clock in Unix milliseconds (default Date.now). */
  now?: () => number;
  /** Per-attempt JWKS fetch timeout in ms (default 1000; one retry follows a failure). */
  jwksFetchTimeoutMs?: number;
  /** JWKS key-set cache lifetime in ms (default 1 h). */
  jwksCacheTtlMs?: number;
  /** Minimum ms between two fetches of one JWKS URL for unknown kids or after failures (default 10 s). */
  jwksMinRefetchIntervalMs?: number;
}

export interface TokenVerifier {
  /** Verifies a connection JWT (connect and refresh). Rejects with a TokenError subclass. */
  verifyConnectToken(token: string): Promise<ConnectTokenClaims>;
  /** Verifies a subscription JWT (subscribe and sub_refresh). Rejects with a TokenError subclass. */
  verifySubscriptionToken(token: string): Promise<SubscriptionTokenClaims>;
  /** Stops JWKS fetches and drops cached keys; later verifications fail as unavailable. */
  close(): void;
}

/** Longest `iss`/`aud` value run through a configured regex (bounds regex work on untrusted input). */
const MAX_REGEX_INPUT = 2048;

/**
 * Builds a verifier for one `client.token`-shaped config. Throws TokenConfigError when the config
 * is unusable (both audience and audience_regex, bad regex, unsafe JWKS template, bad PEM, …).
 */
export function createTokenVerifier(cfg: Partial<TokenConfig>, opts: TokenVerifierOptions = {}): TokenVerifier {
  const compiled = compileTokenConfig(cfg);
  const now = opts.now ?? Date.now;
  const jwks = compiled.jwksEndpoint === ''
    ? undefined
    : new JwksClient({
      ...DEFAULT_JWKS_OPTIONS,
      now,
      fetchTimeoutMs: opts.jwksFetchTimeoutMs ?? DEFAULT_JWKS_OPTIONS.fetchTimeoutMs,
      cacheTtlMs: opts.jwksCacheTtlMs ?? DEFAULT_JWKS_OPTIONS.cacheTtlMs,
      minRefetchIntervalMs: opts.jwksMinRefetchIntervalMs ?? DEFAULT_JWKS_OPTIONS.minRefetchIntervalMs,
    });
  return new JwtVerifier(compiled, opts.insecureSkipSignatureVerify === true, now, jwks);
}

interface Prepared<T> {
  jwt: ParsedJwt;
  root: JsonNode;
  claims: T;
}

class JwtVerifier implements TokenVerifier {
  constructor(
    private readonly cfg: CompiledTokenConfig,
    private readonly skipSignature: boolean,
    private readonly now: () => number,
    private readonly jwks: JwksClient | undefined,
  ) {}

  async verifyConnectToken(token: string): Promise<ConnectTokenClaims> {
    return guard(async () => {
      const p = await this.prepare(token, decodeConnectClaims);
      if (p.claims.channel !== '') {
        throw new TokenInvalidError('connection token can not contain channel claim, only subscription token can');
      }
      this.checkTime(p.claims);
      return buildConnectClaims(p.claims, p.root, p.jwt.payload, this.cfg.userIdClaim);
    });
  }

  async verifySubscriptionToken(token: string): Promise<SubscriptionTokenClaims> {
    return guard(async () => {
      const p = await this.prepare(token, decodeSubscribeClaims);
      this.checkTime(p.claims);
      if (p.claims.channel === '') throw new TokenInvalidError('channel claim is required for subscription token');
      return buildSubscribeClaims(p.claims, p.root, p.jwt.payload, this.cfg.userIdClaim);
    });
  }

  close(): void {
    this.jwks?.close();
  }

  /** Steps 1–4: everything up to and including the signature. */
  private async prepare<T extends DecodedConnectClaims | DecodedSubscribeClaims>(
    token: string,
    decode: (root: JsonNode) => T,
  ): Promise<Prepared<T>> {
    if (typeof token !== 'string') throw new TokenInvalidError('token must be a string');
    const jwt = parseCompact(token);
    const root = parseJson(jwt.payload);
    const claims = decode(root);
    const vars = this.checkAudienceAndIssuer(claims);
    if (!this.skipSignature) await this.verifySignature(jwt, vars);
    else if (jwt.header.alg === '' || jwt.header.alg.toLowerCase() === 'none') {
      throw new TokenInvalidError('unsupported JWT algorithm');
    }
    return { jwt, root, claims };
  }

  /** Returns the named-group values for the JWKS URL template. */
  private checkAudienceAndIssuer(claims: DecodedConnectClaims | DecodedSubscribeClaims): Map<string, string> {
    const cfg = this.cfg;
    if (cfg.audience !== '' && !claims.aud.includes(cfg.audience)) throw new TokenInvalidError('invalid audience');
    if (cfg.issuer !== '' && claims.iss !== cfg.issuer) throw new TokenInvalidError('invalid issuer');
    const vars = new Map<string, string>();
    if (cfg.issuerRe !== undefined) {
      const m = claims.iss.length <= MAX_REGEX_INPUT ? cfg.issuerRe.exec(claims.iss) : null;
      if (m === null) throw new TokenInvalidError('issuer not matched');
      for (const [name, value] of Object.entries(m.groups ?? {})) vars.set(name, value ?? '');
    }
    if (cfg.audienceRe !== undefined) {
      let matched = false;
      for (const aud of claims.aud) {
        const m = aud.length <= MAX_REGEX_INPUT ? cfg.audienceRe.exec(aud) : null;
        if (m === null) continue;
        for (const [name, value] of Object.entries(m.groups ?? {})) vars.set(name, value ?? '');
        matched = true;
        break;
      }
      if (!matched) throw new TokenInvalidError('audience not matched');
    }
    return vars;
  }

  private async verifySignature(jwt: ParsedJwt, vars: Map<string, string>): Promise<void> {
    const alg = jwt.header.alg;
    const family = algFamily(alg);
    if (family === undefined) throw new TokenInvalidError('unsupported JWT algorithm');
    if (this.jwks !== undefined) {
      // When a JWKS endpoint is configured only JWKS keys are used, as in Centrifugo.
      if (family === 'hmac') throw new TokenInvalidError('disabled JWT algorithm');
      if (jwt.header.kid === '') throw new TokenInvalidError('kid is not provided');
      const key = await this.jwks.getKey(this.jwksUrl(vars), jwt.header.kid);
      this.verifyWithKey(key, alg as RsaAlg | EcAlg | OkpAlg, jwt);
      return;
    }
    const cfg = this.cfg;
    switch (family) {
      case 'hmac': {
        if (cfg.hmacSecret === undefined && cfg.hmacPreviousSecret === undefined) {
          throw new TokenInvalidError('disabled JWT algorithm');
        }
        if (cfg.hmacSecret !== undefined && verifyHmac(alg as HmacAlg, cfg.hmacSecret, jwt.signingInput, jwt.signature)) return;
        // Rotation: the previous secret only while now is before its cutoff (server time, never a claim).
        if (cfg.hmacPreviousSecret !== undefined && this.now() < cfg.hmacPreviousValidUntilMs &&
          verifyHmac(alg as HmacAlg, cfg.hmacPreviousSecret, jwt.signingInput, jwt.signature)) return;
        throw new TokenInvalidError('invalid signature');
      }
      case 'rsa':
        if (cfg.rsaKey === undefined) throw new TokenInvalidError('disabled JWT algorithm');
        this.verifyWithKey(cfg.rsaKey, alg as RsaAlg, jwt);
        return;
      case 'ec':
        if (cfg.ecdsaKey === undefined) throw new TokenInvalidError('disabled JWT algorithm');
        this.verifyWithKey(cfg.ecdsaKey, alg as EcAlg, jwt);
        return;
      case 'okp':
        throw new TokenInvalidError('disabled JWT algorithm'); // EdDSA keys only come from JWKS
    }
  }

  private verifyWithKey(key: VerificationKey, alg: RsaAlg | EcAlg | OkpAlg, jwt: ParsedJwt): void {
    if (!key.algs.has(alg)) throw new TokenInvalidError('disabled JWT algorithm');
    if (!verifyAsymmetric(alg, key.key, jwt.signingInput, jwt.signature)) throw new TokenInvalidError('invalid signature');
  }

  private jwksUrl(vars: Map<string, string>): string {
    const cfg = this.cfg;
    if (cfg.jwksPlaceholders.length === 0) return cfg.jwksEndpoint;
    for (const name of cfg.jwksPlaceholders) {
      const value = vars.get(name);
      if (value === undefined || value === '') throw new TokenInvalidError('JWKS endpoint variable not resolved');
      if (!cfg.skipJwksSafetyCheck && !isSafeTemplateValue(value)) {
        throw new TokenInvalidError('unsafe JWKS endpoint variable');
      }
    }
    const url = fillTemplate(cfg.jwksEndpoint, vars);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TokenInvalidError('invalid JWKS endpoint URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TokenInvalidError('invalid JWKS endpoint URL');
    return url;
  }

  /** Step 6, with cristalhq/jwt's comparisons: valid while exp > now and nbf < now. */
  private checkTime(claims: { exp?: number; nbf?: number }): void {
    const nowMs = this.now();
    if (claims.exp !== undefined && !(claims.exp * 1000 > nowMs)) throw new TokenExpiredError('token expired');
    if (claims.nbf !== undefined && !(claims.nbf * 1000 < nowMs)) throw new TokenExpiredError('token not valid yet');
  }
}

/** Maps internal decoding failures to TokenInvalidError; lets TokenErrors through. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isTokenError(err)) throw err;
    if (err instanceof MalformedTokenError) throw new TokenInvalidError(err.message);
    if (err instanceof JsonSyntaxError) throw new TokenInvalidError('token payload is not valid JSON');
    if (err instanceof ClaimTypeError) throw new TokenInvalidError(`invalid claim type: ${err.claim}`);
    if (err instanceof ClaimEncodingError) throw new TokenInvalidError(`invalid base64 in claim: ${err.claim}`);
    // Anything else is a bug; never let it escape as a non-token error from a verification.
    throw new TokenVerifierUnavailableError('internal error verifying token', { cause: err });
  }
}
