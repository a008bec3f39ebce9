/**
 * Typed token verification errors. Every verification failure is one of the three TokenError
 * subclasses, so callers can map them to protocol codes without string matching:
 *
 * | error                          | connect / refresh            | subscribe / sub_refresh |
 * | ------------------------------ | ---------------------------- | ----------------------- |
 * | TokenExpiredError              | error 109 (refresh: 3005)    | error 109               |
 * | TokenInvalidError              | disconnect 3500              | error 103 (sub_refresh: 3500) |
 * | TokenVerifierUnavailableError  | error 100 (temporary)        | error 100 (temporary)   |
 *
 * `reason` is short, fixed text (or a claim name) that is safe to log: it never contains the
 * token, a secret, a key or a claim value.
 */
export type TokenErrorKind = 'expired' | 'invalid' | 'unavailable';

export abstract class TokenError extends Error {
  abstract readonly kind: TokenErrorKind;
  /** Short, log-safe description of what failed. */
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.reason = reason;
  }
}

/**
 * The token's `exp` is not after now (or, as in Centrifugo, its `nbf` is not before now). The
 * client should fetch a fresh token and retry.
 */
export class TokenExpiredError extends TokenError {
  readonly kind = 'expired' as const;
  override readonly name = 'TokenExpiredError';
}

/** The token is malformed, badly signed, has wrong claim types, or fails an aud/iss check. */
export class TokenInvalidError extends TokenError {
  readonly kind = 'invalid' as const;
  override readonly name = 'TokenInvalidError';
}

/**
 * The token could not be checked because its keys could not be loaded (JWKS endpoint down, slow
 * or answering garbage). Nothing is known about the token; the client may retry later.
 */
export class TokenVerifierUnavailableError extends TokenError {
  readonly kind = 'unavailable' as const;
  override readonly name = 'TokenVerifierUnavailableError';
}

/** The `client.token` configuration is unusable (thrown by createTokenVerifier, at startup). */
export class TokenConfigError extends Error {
  override readonly name = 'TokenConfigError';
}

export function isTokenError(err: unknown): err is TokenError {
  return err instanceof TokenError;
}
