/**
 * `refresh` and `sub_refresh` (client-protocol.md §3.5, §5.6, §5.7), and their server-side forms
 * through the refresh and sub_refresh proxies (seed 003).
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

/**
 * Server-side refresh through the refresh proxy (client.proxy.refresh), called by the Client when
 * the connection's `expire_at` is reached (as centrifuge's expire()): the RefreshRequest carries
 * client, transport, protocol, user and the connection meta.
 * - `result.expired`, or no result at all → disconnect 3005. Custom errors and disconnects are
 *   not applied to refresh (seed 003: "the client will always be disconnected with expired
 *   disconnect reason"), so a response with only those is "no result".
 * - `expire_at` > 0 replaces the expiry, `info` (when sent) the connection info, `meta` the meta;
 *   an expiry that is still not in the future → 3005.
 * - A transport failure (backend down, timeout, bad answer) keeps the connection: it lives on for
 *   `proxyRetryDelayMs` (Centrifugo: 60 s) and the refresh is tried again then.
 * No push goes to the client: it does not refresh itself (ConnectResult had no `expires`).
 */
export async function refreshConnectionViaProxy(client: Client): Promise<void> {
  const outcome = await callClientProxy(client, 'refresh', DEFAULT_PROXY_NAME, {
    ...requestBase(client),
    user: client.user,
    ...metaField(client),
  });
  client.refreshInFlight = false;
  if (client.closed) return;
  const nowMs = Date.now();
  if ('transportError' in outcome) {
    client.expireAt = Math.ceil((nowMs + client.ctx.settings.proxyRetryDelayMs) / 1000);
    client.expiryChanged(nowMs);
    return;
  }
  const r = outcome.response.result;
  if (!r || r.expired) return client.disconnect(Disconnect.Expired);
  const expireAt = unixSeconds(r.expireAt);
  if (expireAt > 0) {
    client.expireAt = expireAt;
    if (r.info.byteLength > 0) client.connInfo = r.info;
  }
  if (r.meta.byteLength > 0) client.meta = r.meta;
  if (client.expireAt <= Math.floor(nowMs / 1000)) return client.disconnect(Disconnect.Expired);
  client.expiryChanged(nowMs);
}

/**
 * Server-side subscription refresh through the namespace's sub_refresh proxy, for subscriptions
 * the client does not refresh itself (subscribe proxy results with `expire_at` in a namespace with
 * sub_refresh_proxy_enabled, server-side subscriptions with an expiry), called by the Client
 * expired_sub_close_delay after `expire_at` (as centrifuge's checkSubscriptionExpiration).
 * - `result.expired`, no result, or an `expire_at` in the past → the subscription ends: a client
 *   subscription with unsubscribe 2501 (the SDK resubscribes, asking the subscribe proxy again),
 *   a server-side one with disconnect 3006, as an unrefreshed expiry does.
 * - Otherwise `expire_at` replaces the expiry (0: no longer expires) and `info`, when sent, the
 *   channel info (presence, join/leave and publications carry it from then on).
 * - A transport failure keeps the subscription for `proxyRetryDelayMs` more, then tries again.
 */
export async function refreshSubscriptionViaProxy(client: Client, sub: ClientSub): Promise<void> {
  const outcome = await callClientProxy(client, 'sub_refresh', sub.spec.options.sub_refresh_proxy_name, {
    ...requestBase(client),
    user: client.user,
    channel: sub.channel,
    ...metaField(client),
  });
  sub.refreshInFlight = false;
  if (client.closed || sub.removed || client.subs.get(sub.channel) !== sub) return;
  const nowMs = Date.now();
  if ('transportError' in outcome) {
    sub.expireAt = Math.ceil((nowMs + client.ctx.settings.proxyRetryDelayMs) / 1000);
    client.subExpiryChanged(nowMs);
    return;
  }
  const r = outcome.response.result;
  const expireAt = r ? unixSeconds(r.expireAt) : 0;
  if (!r || r.expired || (expireAt > 0 && expireAt < Math.floor(nowMs / 1000))) {
    if (sub.serverSide) client.disconnect(Disconnect.SubExpired);
    else sub.serverUnsubscribe(Unsubscribe.SubscriptionExpired);
    return;
  }
  if (r.info.byteLength > 0) sub.chanInfo = r.info;
  sub.expireAt = expireAt;
  client.subExpiryChanged(nowMs);
}
import type { Client } from './client.js';
import { ttlSeconds } from './expiry.js';
import { DEFAULT_PROXY_NAME, callClientProxy, metaField, requestBase, unixSeconds } from './proxy.js';
import type { ClientSub } from './subscription.js';

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
