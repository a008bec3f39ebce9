/**
 * `refresh` and `sub_refresh` (client-protocol.md §3.5, §5.6, §5.7).
 *
 * refresh: only for connections refreshed by the client (else 3501); empty token → 3501; invalid
 * token or another user → disconnect 3500; expired token → disconnect 3005; keys unavailable →
 * error 100 (temporary: the SDK retries); expire_at in the past → 110. Success replaces the expiry
 * and the connection info: `{expires, ttl}`.
 *
 * sub_refresh: empty channel → 3501; empty token → 107; not subscribed → 103; a subscription the
 * server refreshes (no token) → 3501; invalid token or channel / user / client mismatch → 3500.
 * An expired token is rejected, never turned into "no expiry" (the quirk of §5.7): the
 * subscription ends with unsubscribe 2501 (the SDK fetches a new token and resubscribes) and the
 * command gets 109.
 */
import { TokenExpiredError, TokenInvalidError, TokenVerifierUnavailableError, type ConnectTokenClaims, type SubscriptionTokenClaims } from '@gyre/auth';
import { Disconnect, Unsubscribe, errors, messages, type protocol } from '@gyre/protocol';
type RefreshRequest = protocol.RefreshRequest;
type SubRefreshRequest = protocol.SubRefreshRequest;
import type { Client } from './client.js';
import { ttlSeconds } from './expiry.js';

export async function handleRefresh(client: Client, req: RefreshRequest, id: number): Promise<void> {
  const ctx = client.ctx;
  if (!client.clientSideRefresh || req.token === '') {
    client.disconnect(Disconnect.BadRequest);
    return;
  }
  let claims: ConnectTokenClaims;
  try {
    claims = await ctx.connVerifier.verifyConnectToken(req.token);
  } catch (err) {
    if (client.closed) return;
    if (err instanceof TokenExpiredError) return client.disconnect(Disconnect.Expired);
    if (err instanceof TokenInvalidError) return client.disconnect(Disconnect.InvalidToken);
    if (err instanceof TokenVerifierUnavailableError) return client.replyError(id, 'refresh', errors.internal);
    throw err;
  }
  if (client.closed) return;
  if (claims.user !== client.user) return client.disconnect(Disconnect.InvalidToken);
  const nowMs = Date.now();
  const expireAt = ctx.settings.insecure ? 0 : claims.expireAt;
  if (expireAt > 0 && expireAt <= Math.floor(nowMs / 1000)) return client.replyError(id, 'refresh', errors.expired);
  client.expireAt = expireAt;
  if (claims.info) client.connInfo = claims.info;
  client.expiryChanged();
  const result = messages.newRefreshResult();
  if (expireAt > 0) {
    result.expires = true;
    result.ttl = ttlSeconds(expireAt, nowMs);
  }
  const reply = messages.newReply();
  reply.id = id;
  reply.refresh = result;
  client.sendReply(reply);
}

export async function handleSubRefresh(client: Client, req: SubRefreshRequest, id: number): Promise<void> {
  const ctx = client.ctx;
  if (req.channel === '') return client.disconnect(Disconnect.BadRequest);
  if (req.token === '') return client.replyError(id, 'sub_refresh', errors.badRequest);
  const sub = client.subs.get(req.channel);
  if (!sub || !sub.committed) return client.replyError(id, 'sub_refresh', errors.permissionDenied);
  if (!sub.spec.clientSideRefresh) return client.disconnect(Disconnect.BadRequest);
  let claims: SubscriptionTokenClaims;
  try {
    claims = await ctx.subVerifier.verifySubscriptionToken(req.token);
  } catch (err) {
    if (client.closed) return;
    if (err instanceof TokenExpiredError) {
      if (client.subs.get(req.channel) === sub) sub.serverUnsubscribe(Unsubscribe.SubscriptionExpired);
      return client.replyError(id, 'sub_refresh', errors.tokenExpired);
    }
    if (err instanceof TokenInvalidError) return client.disconnect(Disconnect.InvalidToken);
    if (err instanceof TokenVerifierUnavailableError) return client.replyError(id, 'sub_refresh', errors.internal);
    throw err;
  }
  if (client.closed) return;
  if (claims.channel !== req.channel || claims.user !== client.user || (claims.client !== '' && claims.client !== client.id)) {
    return client.disconnect(Disconnect.InvalidToken);
  }
  if (client.subs.get(req.channel) !== sub || sub.removed) return client.replyError(id, 'sub_refresh', errors.permissionDenied);
  const nowMs = Date.now();
  const expireAt = ctx.settings.insecure ? 0 : claims.expireAt;
  if (expireAt > 0 && expireAt <= Math.floor(nowMs / 1000)) return client.replyError(id, 'sub_refresh', errors.expired);
  sub.expireAt = expireAt;
  if (claims.info) sub.chanInfo = claims.info;
  client.subExpiryChanged();
  const result = messages.newSubRefreshResult();
  if (expireAt > 0) {
    result.expires = true;
    result.ttl = ttlSeconds(expireAt, nowMs);
  }
  const reply = messages.newReply();
  reply.id = id;
  reply.subRefresh = result;
  client.sendReply(reply);
}
