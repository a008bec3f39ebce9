/**
 * The server API methods, shared by the HTTP endpoints, the legacy `/api` endpoint, `batch` and
 * GRPC: each takes the generated request message and answers with the generated result message
 * or an API error, with Centrifugo v6's validation order and codes (server.md §1.4):
 *
 * - publish / broadcast go through the presence-history service (append with offset and epoch,
 *   idempotency, version) or straight to the channel subject without history;
 * - subscribe / unsubscribe / disconnect / refresh become one Control message for every edge;
 * - presence, presence_stats, history, history_remove ask presence-history over the bus;
 * - info lists the nodes known from heartbeats; channels surveys the edges;
 * - rpc has no registered methods (OSS): 104; map and shared-poll methods validate like
 *   Centrifugo and then answer 108, since Gyre has no map broker.
 *
 * Nothing here throws: unexpected failures are logged and answered with 100.
 */
import { create, type DescMessage, type Message } from '@bufbuild/protobuf';
import { resolveChannel, type GyreConfig, type ResolvedChannel } from '@gyre/config';
import type { Logger } from '@gyre/observability';
import { StreamPositionSchema, api, bus as busPb } from '@gyre/protocol';
import {
  UnrecoverablePositionError,
  type ClientInfoRecord,
  type HistoryFilter,
  type HistoryStore,
  type PresenceStore,
  type PublicationInput,
  type PublishOptions,
  type PublishResult,
} from '@gyre/store';
import { isNullElement } from './codec.js';
import { target, type ControlCommand } from './control.js';
import { ApiErrors, type ApiError } from './errors.js';
import { GlobSyntaxError } from '@gyre/config';
import { idempotencyOptions } from './idempotency.js';
import { isJsonObject, isValidJson } from './json.js';
import type { ApiMetrics, ApiProtocol } from './metrics.js';

export type Outcome<R extends Message = Message> = { error: ApiError; result?: undefined } | { error?: undefined; result: R };

/** What publishing needs: BusHistoryStore.publish. */
export interface Publisher {
  publish(channel: string, pub: PublicationInput, opts: PublishOptions): Promise<PublishResult>;
}

export interface ExecutorDeps {
  config: GyreConfig;
  publisher: Publisher;
  history: HistoryStore;
  presence: PresenceStore;
  control: { send(command: ControlCommand): void };
  nodes: { list(): busPb.NodeInfo[] };
  channels: { survey(pattern: string): Promise<Map<string, number>> };
  logger: Logger;
  metrics: ApiMetrics;
}

/** Centrifugo runs at most this many broadcast publishes / parallel batch commands at once. */
export const MAX_CONCURRENCY = 1024;

/** Default disconnect of the server API: 3503 "force disconnect" (do not reconnect). */
export const FORCE_DISCONNECT = { code: 3503, reason: 'force disconnect' } as const;

const fail = (error: ApiError): Outcome<never> => ({ error });
const ok = <R extends Message>(result: R): Outcome<R> => ({ result });

// Go's base64.StdEncoding: padded, standard alphabet; `\r` and `\n` are ignored.
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard padded base64 as Go does; null when invalid. */
export function decodeBase64(s: string): Uint8Array | null {
  const clean = s.replace(/[\r\n]/g, '');
  if (!B64.test(clean)) return null;
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

/** b64data wins over data when non-empty; null for invalid base64. */
function payload(b64: string, raw: Uint8Array): Uint8Array | null {
  return b64 !== '' ? decodeBase64(b64) : raw;
}

/** config.ValidatePublicationData: the namespace's publication_data_format decides. */
export function validPublicationData(data: Uint8Array, format: string): boolean {
  switch (format) {
    case 'json':
      return isValidJson(data);
    case 'json_object':
      return isJsonObject(data);
    case 'binary':
      return true;
    default:
      return data.length > 0;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** One method: its name, request and result types, and its key in batch Command / Reply. */
export interface MethodSpec {
  readonly name: string;
  readonly request: DescMessage;
  readonly result: DescMessage;
  /** `{error, result}` envelope (HTTP body, GRPC reply); for batch the BatchResponse itself. */
  readonly response: DescMessage;
  /** Property name of the method in api.Command / api.Reply. */
  readonly key: string;
  run(ex: Executor, req: Message, protocol: ApiProtocol): Promise<Outcome>;
}

function spec<Req extends Message, Res extends Message>(
  name: string,
  request: DescMessage,
  result: DescMessage,
  response: DescMessage,
  key: string,
  run: (ex: Executor, req: Req, protocol: ApiProtocol) => Promise<Outcome<Res>>,
): MethodSpec {
  return { name, request, result, response, key, run: run as MethodSpec['run'] };
}

/** Every OSS method, by its HTTP path segment / metric name. */
export const METHODS: ReadonlyMap<string, MethodSpec> = new Map([
  spec<api.BatchRequest, api.BatchResponse>('batch', api.BatchRequestSchema, api.BatchResponseSchema, api.BatchResponseSchema, '', (ex, r, p) => ex.batch(r, p).then(ok)),
  spec<api.PublishRequest, api.PublishResult>('publish', api.PublishRequestSchema, api.PublishResultSchema, api.PublishResponseSchema, 'publish', (ex, r) => ex.publish(r)),
  spec<api.BroadcastRequest, api.BroadcastResult>('broadcast', api.BroadcastRequestSchema, api.BroadcastResultSchema, api.BroadcastResponseSchema, 'broadcast', (ex, r, p) => ex.broadcast(r, p)),
  spec<api.SubscribeRequest, api.SubscribeResult>('subscribe', api.SubscribeRequestSchema, api.SubscribeResultSchema, api.SubscribeResponseSchema, 'subscribe', (ex, r) => ex.subscribe(r)),
  spec<api.UnsubscribeRequest, api.UnsubscribeResult>('unsubscribe', api.UnsubscribeRequestSchema, api.UnsubscribeResultSchema, api.UnsubscribeResponseSchema, 'unsubscribe', (ex, r) => ex.unsubscribe(r)),
  spec<api.DisconnectRequest, api.DisconnectResult>('disconnect', api.DisconnectRequestSchema, api.DisconnectResultSchema, api.DisconnectResponseSchema, 'disconnect', (ex, r) => ex.disconnect(r)),
  spec<api.PresenceRequest, api.PresenceResult>('presence', api.PresenceRequestSchema, api.PresenceResultSchema, api.PresenceResponseSchema, 'presence', (ex, r) => ex.presence(r)),
  spec<api.PresenceStatsRequest, api.PresenceStatsResult>('presence_stats', api.PresenceStatsRequestSchema, api.PresenceStatsResultSchema, api.PresenceStatsResponseSchema, 'presenceStats', (ex, r) => ex.presenceStats(r)),
  spec<api.HistoryRequest, api.HistoryResult>('history', api.HistoryRequestSchema, api.HistoryResultSchema, api.HistoryResponseSchema, 'history', (ex, r) => ex.history(r)),
  spec<api.HistoryRemoveRequest, api.HistoryRemoveResult>('history_remove', api.HistoryRemoveRequestSchema, api.HistoryRemoveResultSchema, api.HistoryRemoveResponseSchema, 'historyRemove', (ex, r) => ex.historyRemove(r)),
  spec<api.InfoRequest, api.InfoResult>('info', api.InfoRequestSchema, api.InfoResultSchema, api.InfoResponseSchema, 'info', (ex) => ex.info()),
  spec<api.RPCRequest, api.RPCResult>('rpc', api.RPCRequestSchema, api.RPCResultSchema, api.RPCResponseSchema, 'rpc', (ex, r) => ex.rpc(r)),
  spec<api.RefreshRequest, api.RefreshResult>('refresh', api.RefreshRequestSchema, api.RefreshResultSchema, api.RefreshResponseSchema, 'refresh', (ex, r) => ex.refresh(r)),
  spec<api.ChannelsRequest, api.ChannelsResult>('channels', api.ChannelsRequestSchema, api.ChannelsResultSchema, api.ChannelsResponseSchema, 'channels', (ex, r) => ex.channels(r)),
  spec<api.MapPublishRequest, api.MapPublishResult>('map_publish', api.MapPublishRequestSchema, api.MapPublishResultSchema, api.MapPublishResponseSchema, 'mapPublish', (ex, r) => ex.mapMethod(r.channel, r.key, true)),
  spec<api.MapRemoveRequest, api.MapRemoveResult>('map_remove', api.MapRemoveRequestSchema, api.MapRemoveResultSchema, api.MapRemoveResponseSchema, 'mapRemove', (ex, r) => ex.mapMethod(r.channel, r.key, true)),
  spec<api.MapReadStateRequest, api.MapReadStateResult>('map_read_state', api.MapReadStateRequestSchema, api.MapReadStateResultSchema, api.MapReadStateResponseSchema, 'mapReadState', (ex, r) => ex.mapMethod(r.channel, '', false)),
  spec<api.MapReadStreamRequest, api.MapReadStreamResult>('map_read_stream', api.MapReadStreamRequestSchema, api.MapReadStreamResultSchema, api.MapReadStreamResponseSchema, 'mapReadStream', (ex, r) => ex.mapMethod(r.channel, '', false)),
  spec<api.MapStatsRequest, api.MapStatsResult>('map_stats', api.MapStatsRequestSchema, api.MapStatsResultSchema, api.MapStatsResponseSchema, 'mapStats', (ex, r) => ex.mapMethod(r.channel, '', false)),
  spec<api.MapClearRequest, api.MapClearResult>('map_clear', api.MapClearRequestSchema, api.MapClearResultSchema, api.MapClearResponseSchema, 'mapClear', (ex, r) => ex.mapMethod(r.channel, '', false)),
  spec<api.SharedPollPublishRequest, api.SharedPollPublishResult>('shared_poll_publish', api.SharedPollPublishRequestSchema, api.SharedPollPublishResultSchema, api.SharedPollPublishResponseSchema, 'sharedPollPublish', (ex, r) => ex.sharedPollPublish(r)),
].map((m) => [m.name, m]));

/** Batch Command keys in declaration order, with the OSS method each one runs (undefined: PRO). */
const COMMAND_KEYS: readonly { key: string; method: MethodSpec | undefined }[] = api.CommandSchema.fields.map((f) => ({
  key: f.localName,
  method: [...METHODS.values()].find((m) => m.key === f.localName),
}));

function clientInfo(info: ClientInfoRecord): api.ClientInfo {
  const out = create(api.ClientInfoSchema, { user: info.user, client: info.client });
  if (info.connInfo) out.connInfo = info.connInfo;
  if (info.chanInfo) out.chanInfo = info.chanInfo;
  return out;
}

export class Executor {
  constructor(private readonly d: ExecutorDeps) {}

  /** Runs one method with metrics; unexpected exceptions become 100. */
  async call(method: MethodSpec, req: Message, protocol: ApiProtocol): Promise<Outcome> {
    const started = performance.now();
    let out: Outcome;
    try {
      out = await method.run(this, req, protocol);
    } catch (err) {
      this.d.logger.error({ err, method: method.name }, 'server API method failed');
      out = fail(ApiErrors.internal);
    }
    this.d.metrics.observe(protocol, method.name, (performance.now() - started) / 1000);
    return out;
  }

  private resolve(channel: string): ResolvedChannel | null {
    return resolveChannel(this.d.config, channel);
  }

  private dataFormat(r: ResolvedChannel): string {
    return r.options.publication_data_format || this.d.config.channel.publication_data_format;
  }

  private metaTtlMs(r: ResolvedChannel): number {
    return r.options.history_meta_ttl || this.d.config.channel.history_meta_ttl;
  }

  // ---- batch ------------------------------------------------------------------------------------

  async batch(req: api.BatchRequest, protocol: ApiProtocol): Promise<api.BatchResponse> {
    const one = async (cmd: api.Command): Promise<api.Reply> => {
      const reply = create(api.ReplySchema);
      if (isNullElement(cmd)) {
        reply.error = create(api.ErrorSchema, ApiErrors.badRequest);
        this.d.metrics.error(protocol, 'unknown', ApiErrors.badRequest.code);
        return reply;
      }
      const c = cmd as unknown as Record<string, Message | undefined>;
      const found = COMMAND_KEYS.find(({ key }) => c[key] !== undefined);
      if (!found?.method) {
        reply.error = create(api.ErrorSchema, ApiErrors.notFound);
        this.d.metrics.error(protocol, 'unknown', ApiErrors.notFound.code);
        return reply;
      }
      const out = await this.call(found.method, c[found.key]!, protocol);
      if (out.error) {
        reply.error = create(api.ErrorSchema, out.error);
        this.d.metrics.error(protocol, found.method.name, out.error.code);
      } else {
        (reply as unknown as Record<string, Message>)[found.key] = out.result;
      }
      return reply;
    };
    let replies: api.Reply[];
    if (req.parallel) {
      replies = await mapLimit(req.commands, MAX_CONCURRENCY, one);
    } else {
      replies = [];
      for (const cmd of req.commands) replies.push(await one(cmd));
    }
    return create(api.BatchResponseSchema, { replies });
  }

  // ---- publish / broadcast ------------------------------------------------------------------------

  private publishOptions(r: ResolvedChannel, skipHistory: boolean, delta: boolean, idempotencyKey: string, version: bigint, versionEpoch: string): PublishOptions {
    const o = r.options;
    return {
      historySize: skipHistory ? 0 : o.history_size,
      historyTtlMs: skipHistory ? 0 : o.history_ttl,
      historyMetaTtlMs: this.metaTtlMs(r),
      useDelta: delta || o.delta_publish,
      ...(version > 0n ? { version, versionEpoch } : {}),
      ...idempotencyOptions(idempotencyKey),
    };
  }

  private async publishOne(channel: string, r: ResolvedChannel, data: Uint8Array, req: api.PublishRequest | api.BroadcastRequest): Promise<Outcome<api.PublishResult>> {
    const pub: PublicationInput = { data };
    if (Object.keys(req.tags).length > 0) pub.tags = { ...req.tags };
    try {
      const res = await this.d.publisher.publish(channel, pub, this.publishOptions(r, req.skipHistory, req.delta, req.idempotencyKey, req.version, req.versionEpoch));
      return ok(create(api.PublishResultSchema, { offset: res.position.offset, epoch: res.position.epoch }));
    } catch (err) {
      this.d.logger.error({ err, channel }, 'error publishing data to channel');
      return fail(ApiErrors.internal);
    }
  }

  async publish(req: api.PublishRequest): Promise<Outcome<api.PublishResult>> {
    if (req.channel === '') return fail(ApiErrors.badRequest);
    const data = payload(req.b64data, req.data);
    if (!data) return fail(ApiErrors.badRequest);
    const r = this.resolve(req.channel);
    if (!r) return fail(ApiErrors.unknownChannel);
    const type = r.options.subscription_type;
    if (type !== '' && type !== 'stream') return fail(ApiErrors.badRequest);
    if (!validPublicationData(data, this.dataFormat(r))) return fail(ApiErrors.badRequest);
    return this.publishOne(req.channel, r, data, req);
  }

  async broadcast(req: api.BroadcastRequest, protocol: ApiProtocol): Promise<Outcome<api.BroadcastResult>> {
    if (req.channels.length === 0) return fail(ApiErrors.badRequest);
    const data = payload(req.b64data, req.data);
    if (!data) return fail(ApiErrors.badRequest);
    // JSON validation scans the whole payload: once per format, not once per channel.
    const validity = new Map<string, boolean>();
    const responses = await mapLimit(req.channels, MAX_CONCURRENCY, async (channel): Promise<api.PublishResponse> => {
      const perChannel = async (): Promise<Outcome<api.PublishResult>> => {
        if (channel === '') return fail(ApiErrors.badRequest);
        const r = this.resolve(channel);
        if (!r) return fail(ApiErrors.unknownChannel);
        const format = this.dataFormat(r);
        let valid = validity.get(format);
        if (valid === undefined) {
          valid = validPublicationData(data, format);
          validity.set(format, valid);
        }
        if (!valid) return fail(ApiErrors.badRequest);
        return this.publishOne(channel, r, data, req);
      };
      const out = await perChannel();
      if (out.error) {
        this.d.metrics.error(protocol, 'broadcast_publish', out.error.code);
        return create(api.PublishResponseSchema, { error: create(api.ErrorSchema, out.error) });
      }
      return create(api.PublishResponseSchema, { result: out.result });
    });
    return ok(create(api.BroadcastResultSchema, { responses }));
  }

  // ---- server-side subscription control -----------------------------------------------------------

  private sendControl(command: ControlCommand): boolean {
    try {
      this.d.control.send(command);
      return true;
    } catch (err) {
      this.d.logger.error({ err, command: command.case }, 'error sending control command');
      return false;
    }
  }

  async subscribe(req: api.SubscribeRequest): Promise<Outcome<api.SubscribeResult>> {
    if (req.channel === '') return fail(ApiErrors.badRequest);
    if (!this.resolve(req.channel)) return fail(ApiErrors.unknownChannel);
    const info = payload(req.b64info, req.info);
    const data = payload(req.b64data, req.data);
    if (!info || !data) return fail(ApiErrors.badRequest);
    const value = create(busPb.ControlSubscribeSchema, {
      target: target(req.user, req.client, req.session),
      channel: req.channel,
      expireAt: req.expireAt,
      info,
      data,
    });
    if (req.recoverSince) value.recoverSince = create(StreamPositionSchema, { offset: req.recoverSince.offset, epoch: req.recoverSince.epoch });
    const o = req.override;
    if (o) {
      const override = create(busPb.SubscribeOverrideSchema);
      if (o.presence) override.presence = o.presence.value;
      if (o.joinLeave) override.joinLeave = o.joinLeave.value;
      if (o.forceRecovery) override.forceRecovery = o.forceRecovery.value;
      if (o.forcePositioning) override.forcePositioning = o.forcePositioning.value;
      if (o.forcePushJoinLeave) override.forcePushJoinLeave = o.forcePushJoinLeave.value;
      value.override = override;
    }
    if (!this.sendControl({ case: 'subscribe', value })) return fail(ApiErrors.internal);
    return ok(create(api.SubscribeResultSchema));
  }

  async unsubscribe(req: api.UnsubscribeRequest): Promise<Outcome<api.UnsubscribeResult>> {
    if (req.channel !== '' && !this.resolve(req.channel)) return fail(ApiErrors.unknownChannel);
    const value = create(busPb.ControlUnsubscribeSchema, { target: target(req.user, req.client, req.session), channel: req.channel });
    if (!this.sendControl({ case: 'unsubscribe', value })) return fail(ApiErrors.internal);
    return ok(create(api.UnsubscribeResultSchema));
  }

  async disconnect(req: api.DisconnectRequest): Promise<Outcome<api.DisconnectResult>> {
    const d = req.disconnect ?? FORCE_DISCONNECT;
    const value = create(busPb.ControlDisconnectSchema, {
      target: target(req.user, req.client, req.session),
      whitelist: [...req.whitelist],
      code: d.code,
      reason: d.reason,
    });
    if (!this.sendControl({ case: 'disconnect', value })) return fail(ApiErrors.internal);
    return ok(create(api.DisconnectResultSchema));
  }

  async refresh(req: api.RefreshRequest): Promise<Outcome<api.RefreshResult>> {
    const value = create(busPb.ControlRefreshSchema, {
      target: target(req.user, req.client, req.session),
      expired: req.expired,
      expireAt: req.expireAt,
    });
    if (req.info.length > 0) value.info = req.info;
    if (!this.sendControl({ case: 'refresh', value })) return fail(ApiErrors.internal);
    return ok(create(api.RefreshResultSchema));
  }

  // ---- presence / history -----------------------------------------------------------------------

  private presenceChannel(channel: string): ApiError | null {
    if (channel === '') return ApiErrors.badRequest;
    const r = this.resolve(channel);
    if (!r) return ApiErrors.unknownChannel;
    if (!r.options.presence) return ApiErrors.notAvailable;
    return null;
  }

  async presence(req: api.PresenceRequest): Promise<Outcome<api.PresenceResult>> {
    const bad = this.presenceChannel(req.channel);
    if (bad) return fail(bad);
    try {
      const entries = await this.d.presence.presence(req.channel);
      const presence: Record<string, api.ClientInfo> = {};
      for (const [client, info] of entries) presence[client] = clientInfo(info);
      return ok(create(api.PresenceResultSchema, { presence }));
    } catch (err) {
      this.d.logger.error({ err, channel: req.channel }, 'error getting presence for channel');
      return fail(ApiErrors.internal);
    }
  }

  async presenceStats(req: api.PresenceStatsRequest): Promise<Outcome<api.PresenceStatsResult>> {
    const bad = this.presenceChannel(req.channel);
    if (bad) return fail(bad);
    try {
      const stats = await this.d.presence.presenceStats(req.channel);
      return ok(create(api.PresenceStatsResultSchema, { numClients: stats.numClients, numUsers: stats.numUsers }));
    } catch (err) {
      this.d.logger.error({ err, channel: req.channel }, 'error getting presence stats for channel');
      return fail(ApiErrors.internal);
    }
  }

  private historyChannel(channel: string): ApiError | ResolvedChannel {
    if (channel === '') return ApiErrors.badRequest;
    const r = this.resolve(channel);
    if (!r) return ApiErrors.unknownChannel;
    if (r.options.history_size <= 0 || r.options.history_ttl <= 0) return ApiErrors.notAvailable;
    return r;
  }

  async history(req: api.HistoryRequest): Promise<Outcome<api.HistoryResult>> {
    const r = this.historyChannel(req.channel);
    if ('code' in r) return fail(r);
    const filter: HistoryFilter = { limit: req.limit, reverse: req.reverse };
    if (req.since) filter.since = { offset: req.since.offset, epoch: req.since.epoch };
    try {
      const h = await this.d.history.history(req.channel, filter, { metaTtlMs: this.metaTtlMs(r) });
      const publications = h.publications.map((p) => {
        const out = create(api.PublicationSchema, { data: p.data, offset: p.offset });
        if (p.info) out.info = clientInfo(p.info);
        if (p.tags) out.tags = { ...p.tags };
        return out;
      });
      return ok(create(api.HistoryResultSchema, { publications, offset: h.position.offset, epoch: h.position.epoch }));
    } catch (err) {
      if (err instanceof UnrecoverablePositionError) return fail(ApiErrors.unrecoverablePosition);
      // Including a bad filter (reverse from offset 0): Centrifugo's API answers 100 there too.
      this.d.logger.error({ err, channel: req.channel }, 'error getting history for channel');
      return fail(ApiErrors.internal);
    }
  }

  async historyRemove(req: api.HistoryRemoveRequest): Promise<Outcome<api.HistoryRemoveResult>> {
    const r = this.historyChannel(req.channel);
    if ('code' in r) return fail(r);
    try {
      await this.d.history.removeHistory(req.channel);
      return ok(create(api.HistoryRemoveResultSchema));
    } catch (err) {
      this.d.logger.error({ err, channel: req.channel }, 'error removing history for channel');
      return fail(ApiErrors.internal);
    }
  }

  // ---- cluster ------------------------------------------------------------------------------------

  async info(): Promise<Outcome<api.InfoResult>> {
    const nodes = this.d.nodes.list().map((n) => {
      const out = create(api.NodeResultSchema, {
        uid: n.uid,
        name: n.name,
        // Heartbeats carry the plain version; Centrifugo's info says "<version> OSS".
        version: n.version ? `${n.version} OSS` : '',
        numClients: n.numClients,
        numUsers: n.numUsers,
        numChannels: n.numChannels,
        uptime: n.uptime,
        numSubs: n.numSubs,
      });
      if (n.metrics) out.metrics = create(api.MetricsSchema, { interval: n.metrics.interval, items: { ...n.metrics.items } });
      return out;
    });
    return ok(create(api.InfoResultSchema, { nodes }));
  }

  async channels(req: api.ChannelsRequest): Promise<Outcome<api.ChannelsResult>> {
    try {
      const found = await this.d.channels.survey(req.pattern);
      const channels: Record<string, api.ChannelInfo> = {};
      for (const [ch, n] of found) channels[ch] = create(api.ChannelInfoSchema, { numClients: n });
      return ok(create(api.ChannelsResultSchema, { channels }));
    } catch (err) {
      if (!(err instanceof GlobSyntaxError)) this.d.logger.error({ err }, 'error calling channels');
      return fail(ApiErrors.internal);
    }
  }

  async rpc(req: api.RPCRequest): Promise<Outcome<api.RPCResult>> {
    if (req.method === '') return fail(ApiErrors.badRequest);
    // OSS registers no RPC extensions.
    return fail(ApiErrors.notFound);
  }

  // ---- map / shared poll (experimental in Centrifugo; no map broker in Gyre) -----------------------

  async mapMethod(channel: string, key: string, needKey: boolean): Promise<Outcome<never>> {
    if (channel === '' || (needKey && key === '')) return fail(ApiErrors.badRequest);
    const r = this.resolve(channel);
    if (!r) return fail(ApiErrors.unknownChannel);
    const type = r.options.subscription_type;
    if (type !== 'map' && type !== 'map_clients' && type !== 'map_users') return fail(ApiErrors.badRequest);
    return fail(ApiErrors.notAvailable);
  }

  async sharedPollPublish(req: api.SharedPollPublishRequest): Promise<Outcome<never>> {
    if (req.channel === '' || req.key === '' || req.version <= 0n) return fail(ApiErrors.badRequest);
    const r = this.resolve(req.channel);
    if (!r) return fail(ApiErrors.unknownChannel);
    if (r.options.subscription_type !== 'shared_poll') return fail(ApiErrors.badRequest);
    return fail(ApiErrors.notAvailable);
  }
}

/**
 * The `{error, result}` envelope of a method (what HTTP writes and GRPC returns); batch has no
 * envelope, its BatchResponse is the answer.
 */
export function responseMessage(method: MethodSpec, out: Outcome): Message {
  if (method.name === 'batch' && out.result) return out.result;
  const envelope = create(method.response) as unknown as Record<string, unknown>;
  if (out.error) envelope['error'] = create(api.ErrorSchema, out.error);
  else envelope['result'] = out.result;
  return envelope as unknown as Message;
}
