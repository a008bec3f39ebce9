/**
 * `publish`, `history`, `presence`, `presence_stats` (client-protocol.md §3.4; permission order of
 * server.md §2.7). An empty channel (and for publish empty data) disconnects with 3501; then
 * namespace (102), name (107), data format for publish (107), the feature being on for history /
 * presence (108), and allow_*_for_client / _for_subscriber / _for_anonymous / insecure (103).
 * Publish in a namespace with publish_proxy_enabled asks the publish proxy instead of the allow_*
 * options (seed 003): custom error / disconnect reach the client, no answer → 100 temporary, the
 * result may replace the data (`data` / `b64data`), skip history (`skip_history`) and set tags,
 * idempotency key, delta and version; a subscribe_stream namespace sends the data into the
 * client's bidirectional stream of the channel (108 without one).
 * Everything goes to presence-history through the bus client; a store that does not answer gives
 * 100 (temporary), an unrecoverable `since` 112, a bad filter 107.
 */
import { create } from '@bufbuild/protobuf';
import {
  Disconnect,
  errors,
  messages,
  protocol,
} from '@gyre/protocol';
type HistoryRequest = protocol.HistoryRequest;
type PresenceRequest = protocol.PresenceRequest;
type PresenceStatsRequest = protocol.PresenceStatsRequest;
type PublishRequest = protocol.PublishRequest;
import { StoreError, publicationToProto, storeErrorToProtocolError, type ClientInfoRecord, type PublicationInput, type PublishOptions } from '@gyre/store';
import type { Client } from './client.js';
import { allowed, checkChannel, dataFormatOk, historyEnabled } from './permissions.js';
import { callClientProxy, customDisconnect, customError, metaField, requestBase } from './proxy.js';

function subscribed(client: Client, channel: string): boolean {
  return client.subs.get(channel)?.committed === true;
}

function storeFailure(client: Client, id: number, method: string, err: unknown): void {
  if (!(err instanceof StoreError)) throw err;
  client.ctx.logger.debug({ err, method }, 'store request failed');
  client.replyError(id, method, storeErrorToProtocolError(err));
}

export async function handlePublish(client: Client, req: PublishRequest, id: number): Promise<void> {
  const ctx = client.ctx;
  if (req.channel === '' || req.data.byteLength === 0) {
    client.disconnect(Disconnect.BadRequest);
    return;
  }
  const checked = checkChannel(ctx.config, req.channel);
  if (!checked.ok) return client.replyError(id, 'publish', checked.error);
  const o = checked.resolved.options;
  const format = o.publication_data_format !== '' ? o.publication_data_format : ctx.config.channel.publication_data_format;
  if (!dataFormatOk(format, req.data)) return client.replyError(id, 'publish', errors.badRequest);
  const pub: PublicationInput = { data: req.data };
  const opts: PublishOptions = {
    historySize: o.history_size,
    historyTtlMs: o.history_ttl,
    historyMetaTtlMs: o.history_meta_ttl,
    useDelta: o.delta_publish,
  };
  if (o.publish_proxy_enabled) {
    // The publish proxy decides, and may change what is published (seed 003).
    const outcome = await callClientProxy(client, 'publish', o.publish_proxy_name, {
      ...requestBase(client),
      user: client.user,
      channel: req.channel,
      data: req.data,
      ...metaField(client),
    });
    if (client.closed) return;
    if ('transportError' in outcome) return client.replyError(id, 'publish', errors.internal);
    const response = outcome.response;
    if (response.disconnect) return client.disconnect(customDisconnect(response.disconnect));
    if (response.error) return client.replyError(id, 'publish', customError(response.error));
    const r = response.result;
    if (r) {
      if (r.data.byteLength > 0) pub.data = r.data;
      if (r.skipHistory) {
        opts.historySize = 0;
        opts.historyTtlMs = 0;
      }
      if (Object.keys(r.tags).length > 0) pub.tags = { ...r.tags };
      if (r.idempotencyKey !== '') opts.idempotencyKey = r.idempotencyKey;
      if (r.delta) opts.useDelta = true;
      if (r.version > 0n) {
        opts.version = r.version;
        opts.versionEpoch = r.versionEpoch;
      }
    }
  } else if (o.subscribe_stream_proxy_enabled) {
    // Publishing goes into the client's bidirectional proxy stream of this channel, not to the
    // channel (Centrifugo); without one it is not available.
    const sub = client.subs.get(req.channel);
    if (!sub?.committed || !sub.proxyStream?.publish(req.data)) return client.replyError(id, 'publish', errors.notAvailable);
    const reply = messages.newReply();
    reply.id = id;
    reply.publish = messages.newPublishResult();
    client.sendReply(reply);
    return;
  } else if (!allowed('publish', o, client.user, client.subs.get(req.channel)?.committed === true, ctx.settings.insecure)) {
    return client.replyError(id, 'publish', errors.permissionDenied);
  }
  const sub = client.subs.get(req.channel);
  const info: ClientInfoRecord = { user: client.user, client: client.id };
  if (client.connInfo) info.connInfo = client.connInfo;
  if (sub?.chanInfo) info.chanInfo = sub.chanInfo;
  pub.info = info;
  try {
    await ctx.history.publish(req.channel, pub, opts);
  } catch (err) {
    if (client.closed) return;
    return storeFailure(client, id, 'publish', err);
  }
  const reply = messages.newReply();
  reply.id = id;
  reply.publish = messages.newPublishResult();
  client.sendReply(reply);
}

export async function handleHistory(client: Client, req: HistoryRequest, id: number): Promise<void> {
  const ctx = client.ctx;
  if (req.channel === '') {
    client.disconnect(Disconnect.BadRequest);
    return;
  }
  const checked = checkChannel(ctx.config, req.channel);
  if (!checked.ok) return client.replyError(id, 'history', checked.error);
  const o = checked.resolved.options;
  if (!historyEnabled(o)) return client.replyError(id, 'history', errors.notAvailable);
  if (!allowed('history', o, client.user, subscribed(client, req.channel), ctx.settings.insecure)) {
    return client.replyError(id, 'history', errors.permissionDenied);
  }
  let limit = req.limit;
  const max = ctx.settings.historyMaxPublicationLimit;
  if (max > 0 && (limit < 0 || limit > max)) limit = max;
  let h;
  try {
    h = await ctx.history.history(
      req.channel,
      { limit, reverse: req.reverse, ...(req.since ? { since: { offset: req.since.offset, epoch: req.since.epoch } } : {}) },
      { metaTtlMs: o.history_meta_ttl },
    );
  } catch (err) {
    if (client.closed) return;
    return storeFailure(client, id, 'history', err);
  }
  const result = messages.newHistoryResult();
  result.epoch = h.position.epoch;
  result.offset = h.position.offset;
  result.publications = h.publications.map((p) => {
    const pub = publicationToProto(p);
    pub.time = 0n;
    pub.delta = false;
    return pub;
  });
  const reply = messages.newReply();
  reply.id = id;
  reply.history = result;
  client.sendReply(reply);
}

async function presenceCommon(client: Client, channel: string, id: number, method: string): Promise<boolean> {
  const ctx = client.ctx;
  if (channel === '') {
    client.disconnect(Disconnect.BadRequest);
    return false;
  }
  const checked = checkChannel(ctx.config, channel);
  if (!checked.ok) {
    client.replyError(id, method, checked.error);
    return false;
  }
  const o = checked.resolved.options;
  if (!o.presence) {
    client.replyError(id, method, errors.notAvailable);
    return false;
  }
  if (!allowed('presence', o, client.user, subscribed(client, channel), ctx.settings.insecure)) {
    client.replyError(id, method, errors.permissionDenied);
    return false;
  }
  return true;
}

export async function handlePresence(client: Client, req: PresenceRequest, id: number): Promise<void> {
  if (!(await presenceCommon(client, req.channel, id, 'presence'))) return;
  let entries;
  try {
    entries = await client.ctx.presence.presence(req.channel);
  } catch (err) {
    if (client.closed) return;
    return storeFailure(client, id, 'presence', err);
  }
  const result = messages.newPresenceResult();
  for (const [clientId, info] of entries) {
    const ci = create(protocol.ClientInfoSchema, { user: info.user, client: info.client });
    if (info.connInfo) ci.connInfo = info.connInfo;
    if (info.chanInfo) ci.chanInfo = info.chanInfo;
    Object.defineProperty(result.presence, clientId, { value: ci, enumerable: true, writable: true, configurable: true });
  }
  const reply = messages.newReply();
  reply.id = id;
  reply.presence = result;
  client.sendReply(reply);
}

export async function handlePresenceStats(client: Client, req: PresenceStatsRequest, id: number): Promise<void> {
  if (!(await presenceCommon(client, req.channel, id, 'presence_stats'))) return;
  let stats;
  try {
    stats = await client.ctx.presence.presenceStats(req.channel);
  } catch (err) {
    if (client.closed) return;
    return storeFailure(client, id, 'presence_stats', err);
  }
  const result = messages.newPresenceStatsResult();
  result.numClients = stats.numClients;
  result.numUsers = stats.numUsers;
  const reply = messages.newReply();
  reply.id = id;
  reply.presenceStats = result;
  client.sendReply(reply);
}
