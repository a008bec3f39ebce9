/**
 * `subscribe` and `unsubscribe` (client-protocol.md §5.5, server.md §2.7 "Subscribe").
 *
 * Check order, library level first: empty channel → 3501; unknown delta type → 3501; already
 * subscribed (or in flight) → 105; longer than channel.max_length → 107; channel_limit → 106.
 * Then Centrifugo's: unknown namespace → 102; regex / ASCII → 107; a subscription type this server
 * does not serve → 103; `$` channel without a token → 103; with a token: expired → 109, invalid →
 * 103, channel / user / client mismatch → disconnect 3500, expire_at in the past → 110; without
 * one: user-limited channel listing the user; else (not user-limited) the subscribe proxy when
 * the namespace has subscribe_proxy_enabled (seed 003: custom error / disconnect reach the
 * client, no answer → 100 temporary, the result's override / expire_at / info / data / b64 are
 * applied, expire_at in the past → 110); else a subscribe_stream namespace opens the backend stream (proxy_stream.ts; answers as the
 * subscribe proxy's, no recovery / positioning, its publications only to this subscriber);
 * else allow_subscribe_for_client (+ anonymous), insecure, else 103. Then the grants: positioning / recovery when forced, or asked and allowed (allow_* or
 * history access), and only on history channels; join/leave pushes when forced, or asked with
 * join_leave on and presence access; tags filter only when allow_tags_filter (else 107), never
 * together with delta (107); delta when `fossil` is in allowed_delta_types.
 */
import { TokenExpiredError, TokenInvalidError, TokenVerifierUnavailableError, type SubscribeOptionOverride, type SubscriptionTokenClaims } from '@gyre/auth';
import { isPrivateChannel, userLimitedUsers, type ChannelOptions } from '@gyre/config';
import { Disconnect, create, errors, messages, proxy as pp, type protocol } from '@gyre/protocol';
type SubscribeRequest = protocol.SubscribeRequest;
type UnsubscribeRequest = protocol.UnsubscribeRequest;
import type { Client } from './client.js';
import { allowed, checkChannel, historyEnabled, subscribeAllowed } from './permissions.js';
import { callClientProxy, customDisconnect, customError, metaField, overrideFrom, requestBase, unixSeconds } from './proxy.js';
import { openProxyStream, type ProxyStream } from './proxy_stream.js';
import { commitSubscription, prepareSubscription, type SubSpec } from './subscription.js';
import { InvalidFilterError, compileTagsFilter, type TagsPredicate } from './tags_filter.js';

/** The recover part of a SubscribeRequest (connect.subs values), or nothing. */
interface RecoverHint {
  recover: boolean;
  offset: bigint;
  epoch: string;
}

/**
 * A server-side subscription (connection token `subs`/`channels`, personal channel, requested
 * `connect.subs`, server API subscribe): the namespace options with the token's overrides, no
 * client requests, recovery from the client's hint when the subscription is recoverable.
 */
export function serverSideSpec(
  channel: string,
  o: Readonly<ChannelOptions>,
  override: SubscribeOptionOverride,
  chanInfo: Uint8Array | undefined,
  data: Uint8Array | undefined,
  hint: RecoverHint | undefined,
  expireAt = 0,
): SubSpec {
  const hist = historyEnabled(o);
  const recoverable = hist && (override.forceRecovery ?? o.force_recovery);
  const positioned = hist && (override.forcePositioning ?? o.force_positioning);
  const emitJoinLeave = override.joinLeave ?? o.join_leave;
  return {
    channel,
    serverSide: true,
    options: o,
    positioned: positioned || recoverable,
    recoverable,
    recoveryMode: o.force_recovery_mode === 'cache' ? 'cache' : 'stream',
    pushJoinLeave: emitJoinLeave && (override.forcePushJoinLeave ?? o.force_push_join_leave),
    emitJoinLeave,
    presence: override.presence ?? o.presence,
    delta: false,
    filter: null,
    chanInfo,
    data,
    expireAt,
    clientSideRefresh: false,
    recover: recoverable && hint?.recover ? { offset: hint.offset, epoch: hint.epoch } : autoCacheRecover(o, recoverable),
    rejectUnrecovered: false,
  };
}

/**
 * auto_cache_recover (v6.8.3): with force_recovery in cache mode, a subscription that did not ask
 * to recover gets the latest publication anyway (`was_recovering` true), as if it recovered from
 * nothing.
 */
function autoCacheRecover(o: Readonly<ChannelOptions>, recoverable: boolean): { offset: bigint; epoch: string } | null {
  return recoverable && o.auto_cache_recover && o.force_recovery && o.force_recovery_mode === 'cache' ? { offset: 0n, epoch: '' } : null;
}

export async function handleSubscribe(client: Client, req: SubscribeRequest, id: number): Promise<void> {
  const held: { stream: ProxyStream | null } = { stream: null };
  try {
    await subscribe(client, req, id, held);
  } finally {
    // A subscribe_stream that did not end up attached to a committed subscription is cancelled.
    held.stream?.close();
  }
}

async function subscribe(client: Client, req: SubscribeRequest, id: number, held: { stream: ProxyStream | null }): Promise<void> {
  const ctx = client.ctx;
  const s = ctx.settings;
  const channel = req.channel;
  if (channel === '' || (req.delta !== '' && req.delta !== 'fossil')) {
    client.disconnect(Disconnect.BadRequest);
    return;
  }
  if (client.subs.has(channel)) return client.replyError(id, 'subscribe', errors.alreadySubscribed);
  if (ctx.config.channel.max_length > 0 && Buffer.byteLength(channel) > ctx.config.channel.max_length) {
    return client.replyError(id, 'subscribe', errors.badRequest);
  }
  if (client.subs.size >= s.channelLimit) return client.replyError(id, 'subscribe', errors.limitExceeded);
  const checked = checkChannel(ctx.config, channel);
  if (!checked.ok) return client.replyError(id, 'subscribe', checked.error);
  const o = checked.resolved.options;
  const streamType = o.subscription_type === '' || o.subscription_type === 'stream';
  if (!streamType || req.type !== 0) return client.replyError(id, 'subscribe', errors.permissionDenied);

  let claims: SubscriptionTokenClaims | null = null;
  /** The subscribe proxy's result when the proxy allowed the subscription. */
  let proxied: pp.SubscribeResult | null = null;
  if (req.token !== '') {
    try {
      claims = await ctx.subVerifier.verifySubscriptionToken(req.token);
    } catch (err) {
      if (client.closed) return;
      if (err instanceof TokenExpiredError) return client.replyError(id, 'subscribe', errors.tokenExpired);
      if (err instanceof TokenVerifierUnavailableError) return client.replyError(id, 'subscribe', errors.internal);
      if (err instanceof TokenInvalidError) return client.replyError(id, 'subscribe', errors.permissionDenied);
      throw err;
    }
    if (client.closed) return;
    if (claims.channel !== channel || claims.user !== client.user || (claims.client !== '' && claims.client !== client.id)) {
      client.disconnect(Disconnect.InvalidToken);
      return;
    }
    if (claims.expireAt > 0 && claims.expireAt <= Math.floor(Date.now() / 1000)) {
      return client.replyError(id, 'subscribe', errors.expired);
    }
    if (client.subs.has(channel)) return client.replyError(id, 'subscribe', errors.alreadySubscribed);
  } else {
    if (isPrivateChannel(ctx.config, channel)) return client.replyError(id, 'subscribe', errors.permissionDenied);
    const limitedTo = userLimitedUsers(ctx.config, channel);
    const userLimited = limitedTo !== null && o.allow_user_limited_channels;
    const listed = userLimited && client.user !== '' && limitedTo.includes(client.user);
    if (!listed && !userLimited && o.subscribe_proxy_enabled) {
      // §2.7 step 5: the subscribe proxy decides (never for token or user-limited subscriptions).
      const outcome = await callClientProxy(client, 'subscribe', o.subscribe_proxy_name, {
        ...requestBase(client),
        user: client.user,
        channel,
        data: req.data,
        ...metaField(client),
      });
      if (client.closed) return;
      if ('transportError' in outcome) return client.replyError(id, 'subscribe', errors.internal);
      const response = outcome.response;
      if (response.disconnect) return client.disconnect(customDisconnect(response.disconnect));
      if (response.error) return client.replyError(id, 'subscribe', customError(response.error));
      proxied = response.result ?? create(pp.SubscribeResultSchema);
      if (client.subs.has(channel)) return client.replyError(id, 'subscribe', errors.alreadySubscribed);
    } else if (!listed && !userLimited && o.subscribe_stream_proxy_enabled) {
      // §2.7 step 6: the subscribe stream proxy (proxy_stream.ts). Its first answer is mapped
      // like the subscribe proxy's; the subscription then gets no recovery / positioning and
      // refreshes client-side (Centrifugo's subscribe stream handler).
      const opened = await openProxyStream(client, channel, o.subscribe_stream_proxy_name, o.subscribe_stream_proxy_bidirectional, req.data);
      if ('stream' in opened) held.stream = opened.stream;
      if (client.closed) return;
      if ('transportError' in opened) return client.replyError(id, 'subscribe', errors.internal);
      const response = opened.response;
      if (response.disconnect) return client.disconnect(customDisconnect(response.disconnect));
      if (response.error) return client.replyError(id, 'subscribe', customError(response.error));
      proxied = response.result ?? create(pp.SubscribeResultSchema);
      if (client.subs.has(channel)) return client.replyError(id, 'subscribe', errors.alreadySubscribed);
    } else if (!subscribeAllowed(o, client.user, limitedTo, s.insecure)) {
      return client.replyError(id, 'subscribe', errors.permissionDenied);
    }
  }

  // With the subscribe proxy the options are the namespace's force_* ones with the result's
  // overrides; the client's own positioned / recoverable / join_leave asks are not grants then
  // (as Centrifugo's subscribe proxy handler builds SubscribeOptions).
  const viaProxy = proxied !== null;
  const override: SubscribeOptionOverride = claims?.override ?? (proxied ? overrideFrom(proxied.override) : {});
  const viaStream = held.stream !== null;
  const hist = historyEnabled(o) && !viaStream;
  const historyAccess = !viaProxy && allowed('history', o, client.user, true, s.insecure);
  const presenceAccess = !viaProxy && allowed('presence', o, client.user, true, s.insecure);
  const recoverable = hist && ((override.forceRecovery ?? o.force_recovery) || (!viaProxy && req.recoverable && (o.allow_recovery || historyAccess)));
  const positioned =
    hist && (recoverable || (override.forcePositioning ?? o.force_positioning) || (!viaProxy && req.positioned && (o.allow_positioning || historyAccess)));
  const emitJoinLeave = override.joinLeave ?? o.join_leave;
  const pushJoinLeave = emitJoinLeave && ((override.forcePushJoinLeave ?? o.force_push_join_leave) || (!viaProxy && req.joinLeave && presenceAccess));

  let filter: TagsPredicate | null = null;
  if (req.tf !== undefined) {
    if (!o.allow_tags_filter || req.delta !== '') return client.replyError(id, 'subscribe', errors.badRequest);
    try {
      filter = compileTagsFilter(req.tf);
    } catch (err) {
      if (err instanceof InvalidFilterError) return client.replyError(id, 'subscribe', errors.badRequest);
      throw err;
    }
  }
  const delta = req.delta === 'fossil' && o.allowed_delta_types.includes('fossil') && positioned;
  const expireAt = claims ? (s.insecure ? 0 : claims.expireAt) : proxied ? Math.max(0, unixSeconds(proxied.expireAt)) : 0;
  if (proxied && expireAt > 0 && expireAt <= Math.floor(Date.now() / 1000)) return client.replyError(id, 'subscribe', errors.expired);

  const spec: SubSpec = {
    channel,
    serverSide: false,
    options: o,
    positioned,
    recoverable,
    recoveryMode: o.force_recovery_mode === 'cache' ? 'cache' : 'stream',
    pushJoinLeave,
    emitJoinLeave,
    presence: override.presence ?? o.presence,
    delta,
    filter,
    chanInfo: claims ? claims.info : proxied && proxied.info.byteLength > 0 ? proxied.info : undefined,
    data: claims ? claims.data : proxied && proxied.data.byteLength > 0 ? proxied.data : undefined,
    expireAt,
    // Token subscriptions refresh themselves; subscribe proxy ones too unless the namespace's
    // sub_refresh proxy does it (Centrifugo: ClientSideRefresh = !sub_refresh_proxy_enabled).
    clientSideRefresh: claims !== null || viaStream || (proxied !== null && !o.sub_refresh_proxy_enabled),
    recover: recoverable && req.recover ? { offset: req.offset, epoch: req.epoch } : autoCacheRecover(o, recoverable),
    rejectUnrecovered: (req.flag & 2n) !== 0n,
  };
  const prepared = await prepareSubscription(client, spec);
  if (client.closed) return;
  if ('code' in prepared) return client.replyError(id, 'subscribe', prepared);
  const reply = messages.newReply();
  reply.id = id;
  reply.subscribe = prepared.result;
  client.sendReply(reply, delta);
  commitSubscription(prepared);
  if (held.stream && prepared.sub.committed && !prepared.sub.removed) {
    held.stream.attach(prepared.sub);
    held.stream = null;
  }
}

/** Unsubscribing from a channel that is not subscribed succeeds with `{}` (§3.4). */
export function handleUnsubscribe(client: Client, req: UnsubscribeRequest, id: number): void {
  if (req.channel === '') {
    client.disconnect(Disconnect.BadRequest);
    return;
  }
  const sub = client.subs.get(req.channel);
  if (sub) {
    sub.teardown(true);
    client.subs.delete(req.channel);
    if (sub.expireAt > 0) client.subExpiryChanged();
  }
  const reply = messages.newReply();
  reply.id = id;
  reply.unsubscribe = messages.newUnsubscribeResult();
  client.sendReply(reply);
}
