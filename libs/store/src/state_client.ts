// HistoryStore and PresenceStore over the bus: what edge and api use to reach the presence-history
// service (`<prefix>.state.<op>`, queue group `presence-history`), plus `publish`, the one way a
// publication enters a channel. Callers cannot tell these stores from local ones except by latency
// and by StoreUnavailableError, which they answer with error 100 (internal, temporary).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BusClosedError, BusError, channelSubject, type Bus } from '@gyre/bus';
import { bus as busPb, errors as protocolErrors, ErrorCode, type ProtocolError } from '@gyre/protocol';
import { StoreClosedError, StoreError, StoreUnavailableError } from './errors.js';
import {
  InvalidHistoryFilterError,
  UnrecoverablePositionError,
  validateHistoryFilter,
  type AddPublicationOptions,
  type AddPublicationResult,
  type HistoryFilter,
  type HistoryOptions,
  type HistoryResult,
  type HistoryStore,
  type StoredPublication,
} from './history.js';
import type { PresenceStats, PresenceStore } from './presence.js';
import type { ClientInfoRecord, StreamPosition } from './records.js';
import {
  STATE_OPS,
  channelPublicationMessage,
  clientInfoFromProto,
  clientInfoToProto,
  positionFromProto,
  positionToProto,
  publicationFromProto,
  publicationToProto,
  stateSubject,
  type StateOpCase,
} from './state_protocol.js';

/** The state service answered with a client-protocol error that has no typed store error. */
export class StateServiceError extends StoreError {
  constructor(readonly code: number, readonly reason: string, readonly temporary: boolean) {
    super(`state service error ${code}: ${reason}`);
  }
}

/**
 * The client-protocol error a caller should answer with for any error a store raised: 112 for an
 * unrecoverable position, 107 for a bad history filter, the service's own code for a
 * StateServiceError, and 100 (internal, temporary) for everything else.
 */
export function storeErrorToProtocolError(err: unknown): ProtocolError {
  if (err instanceof UnrecoverablePositionError) return protocolErrors.unrecoverablePosition;
  if (err instanceof InvalidHistoryFilterError) return protocolErrors.badRequest;
  if (err instanceof StateServiceError) {
    return err.temporary ? { code: err.code, message: err.reason, temporary: true } : { code: err.code, message: err.reason };
  }
  return protocolErrors.internal;
}

export interface StateClientOptions {
  bus: Bus;
  /** `gyre.bus.subject_prefix` (default `gyre`). */
  prefix?: string;
  /**
   * How long one request waits for the service (default 5000 ms). Past it the call rejects with
   * StoreUnavailableError; the operation may still have happened (an append is not rolled back).
   */
  timeoutMs?: number;
}

export const DEFAULT_STATE_TIMEOUT_MS = 5000;

const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

function ms(value: number | undefined): bigint {
  return value !== undefined && Number.isFinite(value) && value > 0 ? BigInt(Math.trunc(value)) : 0n;
}

/** Shared request plumbing: encode, request, decode, map errors. */
class StateRequester {
  readonly bus: Bus;
  readonly prefix: string;
  readonly timeoutMs: number;
  private closed = false;

  constructor(opts: StateClientOptions, private readonly what: string) {
    this.bus = opts.bus;
    this.prefix = opts.prefix ?? 'gyre';
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_STATE_TIMEOUT_MS;
  }

  checkOpen(): void {
    if (this.closed) throw new StoreClosedError(this.what);
  }

  close(): void {
    this.closed = true;
  }

  async call(op: busPb.StateRequest['op'] & { case: StateOpCase }): Promise<busPb.StateReply> {
    this.checkOpen();
    const subject = stateSubject(this.prefix, STATE_OPS[op.case]);
    const payload = toBinary(busPb.StateRequestSchema, create(busPb.StateRequestSchema, { op }));
    let raw: Uint8Array;
    try {
      raw = await this.bus.request(subject, payload, { timeoutMs: this.timeoutMs });
    } catch (err) {
      if (err instanceof BusError) throw new StoreUnavailableError(`${STATE_OPS[op.case]}: ${err.message}`, { cause: err });
      throw err;
    }
    let reply: busPb.StateReply;
    try {
      reply = fromBinary(busPb.StateReplySchema, raw);
    } catch (err) {
      throw new StoreUnavailableError(`${STATE_OPS[op.case]}: malformed reply from the state service`, { cause: err });
    }
    const error = reply.error;
    if (error && error.code !== 0) {
      switch (error.code) {
        case ErrorCode.Internal:
          throw new StoreUnavailableError(`${STATE_OPS[op.case]}: ${error.message || 'state service error'}`);
        case ErrorCode.UnrecoverablePosition:
          if (op.case === 'historyRead') {
            const top = reply.result.case === 'historyRead' ? reply.result.value.top : undefined;
            throw new UnrecoverablePositionError(top ? positionFromProto(top) : await this.top(op.value.channel));
          }
          break;
        case ErrorCode.BadRequest:
          if (op.case === 'historyRead') throw new InvalidHistoryFilterError(error.message || 'bad request');
          break;
      }
      throw new StateServiceError(error.code, error.message, error.temporary);
    }
    if (reply.result.case !== op.case) {
      throw new StoreUnavailableError(`${STATE_OPS[op.case]}: the state service answered ${String(reply.result.case)}`);
    }
    return reply;
  }

  /** The current top, for an unrecoverable-position reply that did not carry it. */
  private async top(channel: string): Promise<StreamPosition> {
    const reply = await this.call({ case: 'historyRead', value: create(busPb.HistoryReadRequestSchema, { channel, limit: 0 }) });
    return positionFromProto(reply.result.case === 'historyRead' ? reply.result.value.top : undefined);
  }
}

/** A publication to publish: data plus optional publisher info, tags, time (default: now). */
export type PublicationInput = Omit<StoredPublication, 'offset'>;

/**
 * How to publish into a channel: the channel's history options (resolved from its namespace) and
 * the publish request's idempotency key, version and delta flag (AddPublicationOptions.useDelta: the
 * publisher asked for delta delivery).
 */
export type PublishOptions = AddPublicationOptions;

export interface PublishResult {
  /** The publication's offset and the stream epoch; {0n, ''} without history. Suppressed: the cached or current top. */
  position: StreamPosition;
  /** Nothing was appended or broadcast (duplicate idempotency key or stale version). */
  suppressed: boolean;
  suppressReason?: 'idempotency' | 'version';
}

function suppressReason(reason: string): 'idempotency' | 'version' | undefined {
  return reason === 'idempotency' || reason === 'version' ? reason : undefined;
}

/**
 * HistoryStore served by the presence-history service, plus `publish`. Appends made through
 * addPublication are not broadcast (publish=false); `publish` appends and broadcasts.
 */
export class BusHistoryStore implements HistoryStore {
  private readonly req: StateRequester;

  constructor(opts: StateClientOptions) {
    this.req = new StateRequester(opts, 'history store');
  }

  /**
   * Publishes a publication to a channel, the way api and edge must: with history (historySize > 0
   * and historyTtlMs > 0) or an idempotency key, the presence-history service appends it and then
   * broadcasts it on `<prefix>.ch.<token>` itself, with its offset and epoch, so that stream order
   * equals fan-out order. Without history and key it goes straight out on the channel subject with
   * offset 0. Resolves with the publication's position; rejects with StoreUnavailableError when the
   * service does not answer in time (the publication may or may not have gone out).
   */
  async publish(channel: string, pub: PublicationInput, opts: PublishOptions): Promise<PublishResult> {
    this.req.checkOpen();
    const time = pub.time ?? BigInt(Date.now());
    const withHistory = opts.historySize > 0 && opts.historyTtlMs > 0;
    if (!withHistory && !opts.idempotencyKey) {
      const message = channelPublicationMessage({
        channel,
        publication: { ...pub, time, offset: 0n },
        epoch: '',
        delta: opts.useDelta ?? false,
      });
      try {
        this.req.bus.publish(channelSubject(this.req.prefix, channel), toBinary(busPb.ChannelMessageSchema, message));
      } catch (err) {
        if (err instanceof BusClosedError) throw new StoreUnavailableError(`publish: ${err.message}`, { cause: err });
        throw err;
      }
      return { position: { offset: 0n, epoch: '' }, suppressed: false };
    }
    const result = await this.add(channel, { ...pub, time }, opts, true);
    const out: PublishResult = { position: result.position, suppressed: result.suppressed };
    if (result.suppressReason) out.suppressReason = result.suppressReason;
    return out;
  }

  /**
   * Appends without broadcasting. The returned publication is rebuilt from the request and the
   * assigned offset; `previous` (useDelta) is read back from history after the append, so it is
   * absent when the base was already trimmed (the broadcast of `publish` always carries the exact base).
   */
  async addPublication(channel: string, pub: Omit<StoredPublication, 'offset'>, opts: AddPublicationOptions): Promise<AddPublicationResult> {
    this.req.checkOpen();
    const time = pub.time ?? BigInt(Date.now());
    const result = await this.add(channel, { ...pub, time }, opts, false);
    if (result.suppressed) return result;
    const offset = result.position.offset;
    result.publication = Object.freeze({ ...pub, time, offset });
    if (opts.useDelta && offset > 1n) {
      try {
        const h = await this.history(channel, { since: { offset: offset - 2n, epoch: result.position.epoch }, limit: 1, reverse: false }, { metaTtlMs: opts.historyMetaTtlMs });
        const prev = h.publications[0];
        if (prev && prev.offset === offset - 1n) result.previous = prev;
      } catch (err) {
        if (!(err instanceof UnrecoverablePositionError)) throw err;
      }
    }
    return result;
  }

  async history(channel: string, filter: HistoryFilter, opts: HistoryOptions): Promise<HistoryResult> {
    this.req.checkOpen();
    validateHistoryFilter(filter);
    const value = create(busPb.HistoryReadRequestSchema, {
      channel,
      limit: Math.min(filter.limit, INT32_MAX),
      reverse: filter.reverse,
      metaTtlMs: ms(opts.metaTtlMs),
    });
    if (filter.since) value.since = positionToProto(filter.since);
    const reply = await this.req.call({ case: 'historyRead', value });
    const result = reply.result.value as busPb.HistoryReadResult;
    return {
      position: positionFromProto(result.top),
      publications: result.publications.map((p) => Object.freeze(publicationFromProto(p))),
    };
  }

  async removeHistory(channel: string): Promise<void> {
    await this.req.call({ case: 'historyRemove', value: create(busPb.HistoryRemoveRequestSchema, { channel }) });
  }

  /** Later calls reject with StoreClosedError. The bus stays open: it belongs to the caller. */
  async close(): Promise<void> {
    this.req.close();
  }

  private async add(channel: string, pub: Omit<StoredPublication, 'offset'>, opts: AddPublicationOptions, publish: boolean): Promise<AddPublicationResult> {
    const value = create(busPb.HistoryAddRequestSchema, {
      channel,
      publication: publicationToProto(pub),
      size: Math.min(Math.max(0, Math.trunc(opts.historySize)), UINT32_MAX),
      ttlMs: ms(opts.historyTtlMs),
      metaTtlMs: ms(opts.historyMetaTtlMs),
      idempotencyKey: opts.idempotencyKey ?? '',
      idempotencyTtlMs: ms(opts.idempotentResultTtlMs),
      version: opts.version !== undefined && opts.version > 0n ? opts.version : 0n,
      versionEpoch: opts.versionEpoch ?? '',
      delta: opts.useDelta ?? false,
      publish,
    });
    const reply = await this.req.call({ case: 'historyAdd', value });
    const r = reply.result.value as busPb.HistoryAddResult;
    const out: AddPublicationResult = { position: positionFromProto(r.position), suppressed: r.suppressed };
    const reason = suppressReason(r.suppressReason);
    if (r.suppressed && reason) out.suppressReason = reason;
    return out;
  }
}

/** One presence entry for the batch calls. */
export interface PresenceEntryInput {
  channel: string;
  info: ClientInfoRecord;
}

/**
 * PresenceStore served by the presence-history service. Edges add and refresh many entries at once
 * with addPresenceBatch / removePresenceBatch (one request per batch).
 */
export class BusPresenceStore implements PresenceStore {
  private readonly req: StateRequester;

  constructor(opts: StateClientOptions) {
    this.req = new StateRequester(opts, 'presence store');
  }

  async addPresence(channel: string, clientId: string, info: ClientInfoRecord, ttlMs?: number): Promise<void> {
    await this.addPresenceBatch([{ channel, info: { ...info, client: clientId } }], ttlMs);
  }

  /** Adds or refreshes every entry (keyed by info.client) with one TTL; default: the service's presence TTL. */
  async addPresenceBatch(entries: readonly PresenceEntryInput[], ttlMs?: number): Promise<void> {
    this.req.checkOpen();
    if (entries.length === 0) return;
    const value = create(busPb.PresenceAddRequestSchema, {
      entries: entries.map((e) => create(busPb.PresenceEntrySchema, { channel: e.channel, info: clientInfoToProto(e.info) })),
      ttlMs: ms(ttlMs),
    });
    await this.req.call({ case: 'presenceAdd', value });
  }

  async removePresence(channel: string, clientId: string, userId: string): Promise<void> {
    await this.removePresenceBatch([{ channel, info: { user: userId, client: clientId } }]);
  }

  /** Removes every entry (only channel, info.client and info.user are used). */
  async removePresenceBatch(entries: readonly PresenceEntryInput[]): Promise<void> {
    this.req.checkOpen();
    if (entries.length === 0) return;
    const value = create(busPb.PresenceRemoveRequestSchema, {
      entries: entries.map((e) => create(busPb.PresenceEntrySchema, {
        channel: e.channel,
        info: clientInfoToProto({ user: e.info.user, client: e.info.client }),
      })),
    });
    await this.req.call({ case: 'presenceRemove', value });
  }

  async presence(channel: string): Promise<Map<string, ClientInfoRecord>> {
    const reply = await this.req.call({ case: 'presenceGet', value: create(busPb.PresenceGetRequestSchema, { channel }) });
    const result = reply.result.value as busPb.PresenceGetResult;
    const out = new Map<string, ClientInfoRecord>();
    for (const [client, info] of Object.entries(result.presence)) out.set(client, clientInfoFromProto(info));
    return out;
  }

  async presenceStats(channel: string): Promise<PresenceStats> {
    const reply = await this.req.call({ case: 'presenceStats', value: create(busPb.PresenceStatsRequestSchema, { channel }) });
    const result = reply.result.value as busPb.PresenceStatsResult;
    return { numClients: result.numClients, numUsers: result.numUsers };
  }

  /** Later calls reject with StoreClosedError. The bus stays open: it belongs to the caller. */
  async close(): Promise<void> {
    this.req.close();
  }
}

/**
 * Asks the state service whether it and its store can work (the `/ready` probe). Resolves when a
 * presence-history instance answered; rejects with StoreUnavailableError otherwise (an instance
 * whose store is down does not answer the probe).
 */
export async function pingStateService(bus: Bus, prefix = 'gyre', timeoutMs = 1000): Promise<void> {
  try {
    await bus.request(stateSubject(prefix, 'ping'), new Uint8Array(0), { timeoutMs });
  } catch (err) {
    if (err instanceof BusError) throw new StoreUnavailableError(`ping: ${err.message}`, { cause: err });
    throw err;
  }
}
