/**
 * `connect` (client-protocol.md §5.1–5.4, server.md §2.7 "Connect").
 *
 * Credentials: a JWT (verified by @gyre/auth: expired → error 109, invalid → disconnect 3500,
 * keys unavailable → error 100 temporary; an anonymous token with
 * disallow_anonymous_connection_tokens → 3507), else the connect proxy when
 * client.proxy.connect.enabled (seed 003: ConnectRequest with client, transport, protocol,
 * name, version, data, the requested channels and the selected headers; the result gives user,
 * expire_at, info, data for the reply, channels / subs, meta; custom error / disconnect reach
 * the client; no answer → 100), else the user named by the client.user_id_http_header request
 * header, else anonymous when allow_anonymous_connect_without_token or client.insecure, else
 * disconnect 3501 ("client credentials not found"). Then: expire_at in the past → 110;
 * user_connection_limit → 3504; server-side subscriptions (token `subs`/`channels` or the
 * proxy's `channels`/`subs`, the personal channel, requested `connect.subs` the client could
 * subscribe to itself when no proxy authenticated): unknown namespace from token or proxy → 102,
 * a requested one → 3501, more than channel_limit → 3505. They are prepared before the reply,
 * reported in `ConnectResult.subs`, and start delivering only after the reply went out.
 *
 * An error reply leaves the connection unusable (the rest of the frame is dropped).
 */
import { TokenExpiredError, TokenInvalidError, TokenVerifierUnavailableError, type ConnectTokenClaims, type TokenSubscribeOptions } from '@gyre/auth';
import { isPrivateChannel, personalChannel, resolveChannel, userLimitedUsers } from '@gyre/config';
import { create, toBinary } from '@bufbuild/protobuf';
import { Disconnect, bus as busPb, errors, messages, type ProtocolError, type protocol, type proxy as pp } from '@gyre/protocol';
type ConnectRequest = protocol.ConnectRequest;
import type { Client } from './client.js';
import { subscribeAllowed } from './permissions.js';
import { serverSideSpec } from './handler_subscribe.js';
import { abortSubscription, commitSubscription, prepareSubscription, type Prepared, type SubSpec } from './subscription.js';
import { ttlSeconds } from './expiry.js';
import { DEFAULT_PROXY_NAME, callClientProxy, customDisconnect, customError, overrideFrom, requestBase, unixSeconds } from './proxy.js';

function connectError(client: Client, id: number, err: ProtocolError): void {
  client.replyError(id, 'connect', err);
  client.unusable = true;
  client.dropQueued();
}

/**
 * subscribe_to_user_personal_channel.single_connection (server.md §5.1): when the personal
 * channel's presence shows the user connected already, every other connection of the user, on
 * every node, is closed with 3504 through a control broadcast that spares this one. Best effort,
 * like Centrifugo: a store that does not answer lets the connect through.
 */
async function enforceSingleConnection(client: Client, user: string): Promise<void> {
  const ctx = client.ctx;
  let present: number;
  try {
    present = (await ctx.presence.presenceStats(personalChannel(ctx.config, user))).numClients;
  } catch (err) {
    ctx.logger.debug({ err }, 'single connection check skipped: presence unavailable');
    return;
  }
  if (present === 0) return;
  const ctl = create(busPb.ControlSchema, {
    originNode: ctx.nodeId,
    sentAtMs: BigInt(Date.now()),
    command: {
      case: 'disconnect',
      value: create(busPb.ControlDisconnectSchema, {
        target: create(busPb.ControlTargetSchema, { user }),
        whitelist: [client.id],
        code: Disconnect.ConnectionLimit.code,
        reason: Disconnect.ConnectionLimit.reason,
      }),
    },
  });
  try {
    ctx.bus.publish(`${ctx.prefix}.ctl`, toBinary(busPb.ControlSchema, ctl));
  } catch (err) {
    ctx.logger.debug({ err }, 'single connection broadcast not sent');
  }
}

export async function handleConnect(client: Client, req: ConnectRequest, id: number): Promise<void> {
  const ctx = client.ctx;
  const s = ctx.settings;
  client.name = req.name;
  client.version = req.version;
  // Headers emulation: kept for every proxy call of this connection, as Centrifugo keeps them in
  // the connection's context.
  client.emulatedHeaders = { ...req.headers };

  let claims: ConnectTokenClaims | null = null;
  if (req.token !== '') {
    try {
      claims = await ctx.connVerifier.verifyConnectToken(req.token);
    } catch (err) {
      if (client.closed) return;
      if (err instanceof TokenExpiredError) return connectError(client, id, errors.tokenExpired);
      if (err instanceof TokenVerifierUnavailableError) return connectError(client, id, errors.internal);
      if (err instanceof TokenInvalidError) {
        ctx.logger.debug({ client: client.id, reason: err.reason }, 'invalid connection token');
        client.disconnect(Disconnect.InvalidToken);
        return;
      }
      throw err;
    }
    if (client.closed) return;
    if (claims.user === '' && s.disallowAnonymousConnectionTokens) {
      client.disconnect(Disconnect.PermissionDenied);
      return;
    }
  }

  // Without a token: the connect proxy, when enabled (seed 003). Its `disconnect` closes the
  // connection, its `error` is the connect error, no answer at all is error 100 (temporary; a
  // unidirectional client gets it as disconnect 3004 or its connect_code_to_unidirectional_disconnect
  // mapping), and a response without `result` means "no credentials" (anonymous when allowed).
  let proxied: pp.ConnectResult | null = null;
  if (claims === null && s.connectProxy) {
    const outcome = await callClientProxy(client, 'connect', DEFAULT_PROXY_NAME, {
      ...requestBase(client),
      name: req.name,
      version: req.version,
      data: req.data,
      channels: Object.keys(req.subs),
    });
    if (client.closed) return;
    if ('transportError' in outcome) return connectError(client, id, errors.internal);
    const response = outcome.response;
    if (response.disconnect) {
      client.disconnect(customDisconnect(response.disconnect));
      return;
    }
    if (response.error) return connectError(client, id, customError(response.error));
    proxied = response.result ?? null;
  }

  // Otherwise a user set by an authenticating proxy in client.user_id_http_header, else anonymous
  // when allowed.
  const headerName = ctx.config.client.user_id_http_header.toLowerCase();
  const noCredentials = claims === null && proxied === null;
  const headerUser = noCredentials && headerName !== '' ? (client.headers[headerName] ?? '') : '';
  if (noCredentials && headerUser === '' && !s.allowAnonymousConnectWithoutToken && !s.insecure) {
    client.disconnect(Disconnect.BadRequest);
    return;
  }

  const user = claims?.user ?? proxied?.user ?? headerUser;
  const nowMs = Date.now();
  const nowSec = Math.floor(nowMs / 1000);
  // client.insecure ignores token expiry (Centrifugo zeroes it for tokens only).
  const expireAt = claims ? (s.insecure ? 0 : claims.expireAt) : proxied ? Math.max(0, unixSeconds(proxied.expireAt)) : 0;
  if (expireAt > 0 && expireAt <= nowSec) return connectError(client, id, errors.expired);

  if (s.userConnectionLimit > 0 && user !== '') {
    const existing = ctx.registry.userConnections(user);
    if (existing && existing.size >= s.userConnectionLimit) {
      client.disconnect(Disconnect.ConnectionLimit);
      return;
    }
  }

  client.user = user;
  client.connInfo = claims ? claims.info : proxied && proxied.info.byteLength > 0 ? proxied.info : undefined;
  client.meta = claims ? claims.meta : proxied && proxied.meta.byteLength > 0 ? proxied.meta : undefined;
  client.expireAt = expireAt;
  // With the refresh proxy the server refreshes every connection (Centrifugo's
  // ClientSideRefresh = !refresh proxy enabled); otherwise the client does, with a token.
  client.clientSideRefresh = !s.refreshProxy;

  // Server-side subscriptions: the token's (in token order) or the connect proxy's (`channels`
  // with the namespace options, then `subs` with their options, overriding), then the personal
  // channel, then requested ones. Unknown namespaces from token or proxy → 102.
  const specs = new Map<string, SubSpec>();
  const tokenSubs: Map<string, TokenSubscribeOptions> = claims?.subs ?? new Map();
  for (const [channel, opts] of tokenSubs) {
    if (specs.has(channel)) continue;
    const resolved = resolveChannel(ctx.config, channel);
    if (!resolved) return connectError(client, id, errors.unknownChannel);
    specs.set(channel, serverSideSpec(channel, resolved.options, opts.override, opts.info, opts.data, req.subs[channel]));
  }
  if (proxied) {
    for (const channel of proxied.channels) {
      if (channel === '') continue;
      const resolved = resolveChannel(ctx.config, channel);
      if (!resolved) return connectError(client, id, errors.unknownChannel);
      specs.set(channel, serverSideSpec(channel, resolved.options, {}, undefined, undefined, req.subs[channel]));
    }
    for (const [channel, opts] of Object.entries(proxied.subs)) {
      if (channel === '') continue;
      const resolved = resolveChannel(ctx.config, channel);
      if (!resolved) return connectError(client, id, errors.unknownChannel);
      const info = opts.info.byteLength > 0 ? opts.info : undefined;
      const data = opts.data.byteLength > 0 ? opts.data : undefined;
      specs.set(channel, serverSideSpec(channel, resolved.options, overrideFrom(opts.override), info, data, req.subs[channel]));
    }
  }
  if (s.personalChannel.enabled && user !== '') {
    const channel = personalChannel(ctx.config, user);
    const resolved = resolveChannel(ctx.config, channel);
    if (!resolved) return connectError(client, id, errors.unknownChannel);
    if (!specs.has(channel)) specs.set(channel, serverSideSpec(channel, resolved.options, {}, undefined, undefined, req.subs[channel]));
  }
  // Requested channels: not when the connect proxy authenticated (the backend got them in
  // ConnectRequest.channels and answers with what it allows), as in Centrifugo.
  if (proxied === null) {
    for (const channel of Object.keys(req.subs)) {
      if (specs.has(channel) || channel === '') continue;
      const resolved = resolveChannel(ctx.config, channel);
      if (!resolved) {
        client.disconnect(Disconnect.BadRequest);
        return;
      }
      // Only channels the client could subscribe to itself (never `$`, never through the
      // subscribe proxy); others are skipped.
      if (isPrivateChannel(ctx.config, channel) || resolved.options.subscribe_proxy_enabled) continue;
      if (!subscribeAllowed(resolved.options, user, userLimitedUsers(ctx.config, channel), s.insecure)) continue;
      specs.set(channel, serverSideSpec(channel, resolved.options, {}, undefined, undefined, req.subs[channel]));
    }
  }
  if (specs.size > s.channelLimit) {
    client.disconnect(Disconnect.ChannelLimit);
    return;
  }

  if (s.personalChannel.enabled && s.personalChannel.singleConnection && user !== '') {
    await enforceSingleConnection(client, user);
    if (client.closed) return;
  }

  const prepared: Prepared[] = [];
  let failure: ProtocolError | null = null;
  const outcomes = await Promise.all([...specs.values()].map((spec) => prepareSubscription(client, spec)));
  for (const o of outcomes) {
    if ('code' in o) failure ??= o;
    else prepared.push(o);
  }
  if (client.closed) {
    for (const p of prepared) abortSubscription(p);
    return;
  }
  if (failure) {
    for (const p of prepared) abortSubscription(p);
    return connectError(client, id, failure);
  }

  const result = messages.newConnectResult();
  result.client = client.id;
  result.version = ctx.version;
  if (expireAt > 0 && client.clientSideRefresh) {
    result.expires = true;
    result.ttl = ttlSeconds(expireAt, nowMs);
  }
  // With native ping frames (cf_ws_frame_ping_pong) the result has no ping / pong (§2.1).
  if (s.pingIntervalMs > 0 && !client.transport.nativePing) {
    result.ping = Math.max(1, Math.floor(s.pingIntervalMs / 1000));
    // Unidirectional clients cannot answer pings (§2.6).
    result.pong = s.pongTimeoutMs > 0 && !client.transport.unidirectional;
  }
  // Emulated transports post later commands to /emulation with session and node; a
  // unidirectional client gets its session to be targeted by the server API (seed 000).
  if (client.session !== '') result.session = client.session;
  if (client.transport.emulation) result.node = ctx.nodeId;
  if (s.connectIncludeServerTime) result.time = BigInt(nowMs);
  if (proxied && proxied.data.byteLength > 0) result.data = proxied.data;
  for (const p of prepared) result.subs[p.sub.channel] = p.result;

  const reply = messages.newReply();
  reply.id = id;
  reply.connect = result;
  client.connected(nowMs);
  client.sendReply(reply);
  ctx.metrics.connectionAccepted(client.transport.name);
  for (const p of prepared) commitSubscription(p);
}
