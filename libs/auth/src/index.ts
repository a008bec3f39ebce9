// @gyre/auth — Centrifugo-compatible connection and subscription JWTs.
export {
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './verifier.js';
export { defaultTokenConfig, type TokenConfig } from './config.js';
export type {
  ConnectTokenClaims,
  StandardTokenClaims,
  SubscribeOptionOverride,
  SubscriptionTokenClaims,
  TokenSubscribeOptions,
} from './claims.js';
export {
  TokenConfigError,
  TokenError,
  TokenExpiredError,
  TokenInvalidError,
  TokenVerifierUnavailableError,
  isTokenError,
  type TokenErrorKind,
} from './errors.js';
export {
  describeSubscriptionToken,
  describeToken,
  formatGenSubTokenMessage,
  formatGenTokenMessage,
  formatGoDuration,
  formatTokenDescription,
  generateConnectToken,
  generateSubscriptionToken,
  type ConnectTokenDescription,
  type GenerateConnectTokenOptions,
  type GenerateSubscriptionTokenOptions,
  type SubscriptionTokenDescription,
} from './generate.js';
export { MAX_TOKEN_LENGTH } from './jwt.js';
