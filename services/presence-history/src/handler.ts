/**
 * One StateRequest in, one StateReply out (proto/gyre/v1/bus.proto, `gyre.state.<op>`).
 *
 * What must hold:
 * - Every request gets a reply, whatever its bytes: malformed requests get 107 (bad request), unknown
 *   ops 104 (method not found), store failures 100 (internal, temporary). Nothing here throws.
 * - history_add broadcasts the ChannelMessage itself, after the append and before replying, so the
 *   order of publications on `<prefix>.ch.<token>` is the order of offsets in the stream: appends of
 *   one channel complete in the order the store executed them (one Redis connection answers in
 *   order; the memory store appends synchronously), and each broadcast follows its append at once.
 * - A suppressed append (idempotency key seen, stale version) is not broadcast.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { channelSubject, type Bus } from '@gyre/bus';
import type { Logger, Metrics } from '@gyre/observability';
import { bus as busPb, errors as protocolErrors, protocol, type ProtocolError } from '@gyre/protocol';
import {
  InvalidHistoryFilterError,
  STATE_OPS,
  UnrecoverablePositionError,
  channelPublicationMessage,
  clientInfoFromProto,
  clientInfoToProto,
  positionFromProto,
  positionToProto,
  publicationFromProto,
  publicationToProto,
  type AddPublicationOptions,
  type HistoryStore,
  type PresenceStore,
  type StateOpCase,
} from '@gyre/store';

export interface StateHandlerDeps {
  history: HistoryStore;
  presence: PresenceStore;
  bus: Bus;
  prefix: string;
  logger: Logger;
  metrics?: Metrics | undefined;
}

/** A request the service refuses; becomes a reply error. */
class RequestError extends Error {
  constructor(readonly protocolError: ProtocolError, detail: string) {
    super(detail);
  }
}

const badRequest = (detail: string): RequestError => new RequestError(protocolErrors.badRequest, detail);

const OP_BY_NAME = new Map<string, StateOpCase>(Object.entries(STATE_OPS).map(([c, name]) => [name, c as StateOpCase]));

function errorReply(err: ProtocolError, message = err.message): busPb.StateReply {
  return create(busPb.StateReplySchema, {
    error: create(protocol.ErrorSchema, { code: err.code, message, temporary: err.temporary === true }),
  });
}

function nonNegativeMs(value: bigint, field: string): number {
  if (value < 0n) throw badRequest(`${field} must not be negative`);
  return Number(value);
}

function requireChannel(channel: string): void {
  if (channel === '') throw badRequest('channel is required');
}

export class StateHandler {
  constructor(private readonly deps: StateHandlerDeps) {}

  /** Handles the request `data` sent to `<prefix>.state.<opName>`; resolves with the encoded reply. */
  async handle(opName: string, data: Uint8Array): Promise<Uint8Array> {
    return toBinary(busPb.StateReplySchema, await this.reply(opName, data));
  }

  private async reply(opName: string, data: Uint8Array): Promise<busPb.StateReply> {
    const expected = OP_BY_NAME.get(opName);
    if (!expected) return errorReply(protocolErrors.methodNotFound, `unknown state op ${JSON.stringify(opName)}`);
    let request: busPb.StateRequest;
    try {
      request = fromBinary(busPb.StateRequestSchema, data);
    } catch (err) {
      this.deps.logger.debug({ err, op: opName }, 'malformed state request');
      return errorReply(protocolErrors.badRequest, 'malformed state request');
    }
    if (request.op.case !== expected) {
      return errorReply(protocolErrors.badRequest, `request ${String(request.op.case)} sent to ${opName}`);
    }
    try {
      return await this.run(request.op);
    } catch (err) {
      if (err instanceof RequestError) return errorReply(err.protocolError, err.message);
      if (err instanceof UnrecoverablePositionError) {
        // The top travels with the error: a recovering subscriber needs it to reposition.
        const reply = errorReply(protocolErrors.unrecoverablePosition);
        reply.result = { case: 'historyRead', value: create(busPb.HistoryReadResultSchema, { top: positionToProto(err.position) }) };
        return reply;
      }
      if (err instanceof InvalidHistoryFilterError) return errorReply(protocolErrors.badRequest, err.message);
      this.deps.logger.error({ err, op: opName }, 'state request failed');
      return errorReply(protocolErrors.internal);
    }
  }

  private async run(op: busPb.StateRequest['op']): Promise<busPb.StateReply> {
    switch (op.case) {
      case 'historyAdd':
        return this.historyAdd(op.value);
      case 'historyRead':
        return this.historyRead(op.value);
      case 'historyRemove': {
        requireChannel(op.value.channel);
        await this.deps.history.removeHistory(op.value.channel);
        return create(busPb.StateReplySchema, { result: { case: 'historyRemove', value: create(busPb.HistoryRemoveResultSchema) } });
      }
      case 'presenceAdd':
        return this.presenceAdd(op.value);
      case 'presenceRemove':
        return this.presenceRemove(op.value);
      case 'presenceGet': {
        requireChannel(op.value.channel);
        const entries = await this.deps.presence.presence(op.value.channel);
        const presence: Record<string, protocol.ClientInfo> = {};
        for (const [client, info] of entries) presence[client] = clientInfoToProto(info);
        return create(busPb.StateReplySchema, { result: { case: 'presenceGet', value: create(busPb.PresenceGetResultSchema, { presence }) } });
      }
      case 'presenceStats': {
        requireChannel(op.value.channel);
        const stats = await this.deps.presence.presenceStats(op.value.channel);
        return create(busPb.StateReplySchema, {
          result: { case: 'presenceStats', value: create(busPb.PresenceStatsResultSchema, stats) },
        });
      }
      default:
        throw badRequest('empty state request');
    }
  }

  private async historyAdd(req: busPb.HistoryAddRequest): Promise<busPb.StateReply> {
    requireChannel(req.channel);
    if (!req.publication) throw badRequest('publication is required');
    const opts: AddPublicationOptions = {
      historySize: req.size,
      historyTtlMs: nonNegativeMs(req.ttlMs, 'ttl_ms'),
      historyMetaTtlMs: nonNegativeMs(req.metaTtlMs, 'meta_ttl_ms'),
      useDelta: req.delta,
    };
    if (req.idempotencyKey !== '') {
      opts.idempotencyKey = req.idempotencyKey;
      opts.idempotentResultTtlMs = nonNegativeMs(req.idempotencyTtlMs, 'idempotency_ttl_ms');
    }
    if (req.version > 0n) {
      opts.version = req.version;
      opts.versionEpoch = req.versionEpoch;
    }
    // The channel must be encodable before anything is appended: a broadcast that cannot happen
    // must not leave a publication in history that subscribers never saw.
    let subject = '';
    if (req.publish) {
      try {
        subject = channelSubject(this.deps.prefix, req.channel);
      } catch (err) {
        throw badRequest(`channel cannot be published: ${(err as Error).message}`);
      }
    }
    const { offset: _ignored, ...pub } = publicationFromProto(req.publication);
    if (req.delta) pub.delta = true;
    const result = await this.deps.history.addPublication(req.channel, pub, opts);
    if (result.suppressed) {
      this.deps.metrics?.brokerPublishSuppressed.inc({ reason: result.suppressReason ?? 'unknown' });
    } else if (req.publish && result.publication) {
      const message = channelPublicationMessage({
        channel: req.channel,
        publication: result.publication,
        epoch: result.position.epoch,
        delta: req.delta,
        previous: result.previous,
      });
      this.deps.bus.publish(subject, toBinary(busPb.ChannelMessageSchema, message));
      this.deps.metrics?.nodeMessagesSent.inc({ type: 'publication' });
    }
    return create(busPb.StateReplySchema, {
      result: {
        case: 'historyAdd',
        value: create(busPb.HistoryAddResultSchema, {
          position: positionToProto(result.position),
          suppressed: result.suppressed,
          suppressReason: result.suppressReason ?? '',
        }),
      },
    });
  }

  private async historyRead(req: busPb.HistoryReadRequest): Promise<busPb.StateReply> {
    requireChannel(req.channel);
    const filter = { limit: req.limit, reverse: req.reverse, ...(req.since ? { since: positionFromProto(req.since) } : {}) };
    const result = await this.deps.history.history(req.channel, filter, { metaTtlMs: nonNegativeMs(req.metaTtlMs, 'meta_ttl_ms') });
    return create(busPb.StateReplySchema, {
      result: {
        case: 'historyRead',
        value: create(busPb.HistoryReadResultSchema, {
          top: positionToProto(result.position),
          publications: result.publications.map((p) => publicationToProto(p)),
        }),
      },
    });
  }

  private async presenceAdd(req: busPb.PresenceAddRequest): Promise<busPb.StateReply> {
    const ttlMs = nonNegativeMs(req.ttlMs, 'ttl_ms');
    const entries = req.entries.map((e) => {
      requireChannel(e.channel);
      if (!e.info || e.info.client === '') throw badRequest('presence entry without info.client');
      return { channel: e.channel, info: clientInfoFromProto(e.info) };
    });
    await Promise.all(entries.map((e) => this.deps.presence.addPresence(e.channel, e.info.client, e.info, ttlMs > 0 ? ttlMs : undefined)));
    return create(busPb.StateReplySchema, { result: { case: 'presenceAdd', value: create(busPb.PresenceAddResultSchema) } });
  }

  private async presenceRemove(req: busPb.PresenceRemoveRequest): Promise<busPb.StateReply> {
    const entries = req.entries.map((e) => {
      requireChannel(e.channel);
      if (!e.info || e.info.client === '') throw badRequest('presence entry without info.client');
      return { channel: e.channel, client: e.info.client, user: e.info.user };
    });
    await Promise.all(entries.map((e) => this.deps.presence.removePresence(e.channel, e.client, e.user)));
    return create(busPb.StateReplySchema, { result: { case: 'presenceRemove', value: create(busPb.PresenceRemoveResultSchema) } });
  }
}
