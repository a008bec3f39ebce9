/**
 * One subscription of one connection (client-side or server-side) and the two-phase way it is
 * made, which is what turns a subscribe into a sync point (ARCHITECTURE.md "The hot path" 4):
 *
 * 1. `prepareSubscription`: register with the hub (positioned subscriptions start buffering the
 *    channel's live publications), add presence, read the stream position or the missed
 *    publications from history, and build the SubscribeResult. Nothing reaches the client yet.
 * 2. The caller writes the reply (subscribe reply, connect reply with `subs`, or a subscribe push).
 * 3. `commitSubscription`: the hub delivers what was buffered above the reply's position and the
 *    subscription joins the channel's topic; then the join is announced.
 *
 * Recovery (client-protocol.md §6.3): publications since the client's offset, at most
 * `recovery_max_publication_limit`; `recovered` only when they connect the client's position to
 * the stream top without a hole (never a partial fill). Cache mode (§6.4) sends the latest
 * publication only.
 */
import { create } from '@bufbuild/protobuf';
import { Disconnect, Unsubscribe, errors, messages, protocol, type bus as busPb, type ProtocolError, type Publication, type UnsubscribeReason } from '@gyre/protocol';
import {
  StoreError,
  UnrecoverablePositionError,
  publicationToProto,
  storeErrorToProtocolError,
  type ClientInfoRecord,
  type StoredPublication,
} from '@gyre/store';
import type { ChannelOptions } from '@gyre/config';
import type { Client } from './client.js';
import { createFossilDelta } from './delta_fossil.js';
import type { HubMember, MemberMode, Position } from './hub.js';
import type { PresenceHolder } from './presence.js';
import type { ProxyStream } from './proxy_stream.js';
import type { TagsPredicate } from './tags_filter.js';
import { ttlSeconds } from './expiry.js';

/** Everything decided about a subscription before it is made (permissions already passed). */
export interface SubSpec {
  channel: string;
  serverSide: boolean;
  options: Readonly<ChannelOptions>;
  positioned: boolean;
  recoverable: boolean;
  recoveryMode: 'stream' | 'cache';
  pushJoinLeave: boolean;
  emitJoinLeave: boolean;
  presence: boolean;
  delta: boolean;
  filter: TagsPredicate | null;
  chanInfo: Uint8Array | undefined;
  data: Uint8Array | undefined;
  /** Unix seconds; 0 = never. */
  expireAt: number;
  /** The client refreshes the subscription with sub_refresh (token subscriptions). */
  clientSideRefresh: boolean;
  /** Recovery requested from this position. */
  recover: Position | null;
  /** SubscribeRequest.flag bit 1: answer 112 instead of recovered: false. */
  rejectUnrecovered: boolean;
}

export class ClientSub implements HubMember, PresenceHolder {
  mode: MemberMode = 'pending';
  buffer: busPb.ChannelPublication[] = [];
  pos: Position = { offset: 0n, epoch: '' };
  deltaBase = 0n;
  topic = '';
  inJoinLeaveTopic = false;
  /** Reply written and joined the hub. */
  committed = false;
  /** Torn down (unsubscribed, disconnected, failed). */
  removed = false;
  expireAt: number;
  chanInfo: Uint8Array | undefined;
  /** A sub_refresh proxy call is in flight (the expiry is not watched meanwhile). */
  refreshInFlight = false;
  /** The subscribe_stream proxy stream feeding this subscription (proxy_stream.ts), if any. */
  proxyStream: ProxyStream | null = null;

  constructor(
    readonly client: Client,
    readonly spec: SubSpec,
  ) {
    this.expireAt = spec.expireAt;
    this.chanInfo = spec.chanInfo;
  }

  get channel(): string {
    return this.spec.channel;
  }
  get serverSide(): boolean {
    return this.spec.serverSide;
  }
  get positioned(): boolean {
    return this.spec.positioned || this.spec.recoverable;
  }
  get pushJoinLeave(): boolean {
    return this.spec.pushJoinLeave;
  }
  get delta(): boolean {
    return this.spec.delta;
  }
  get filter(): TagsPredicate | null {
    return this.spec.filter;
  }

  presenceInfo(): ClientInfoRecord {
    const info: ClientInfoRecord = { user: this.client.user, client: this.client.id };
    if (this.client.connInfo) info.connInfo = this.client.connInfo;
    if (this.chanInfo) info.chanInfo = this.chanInfo;
    return info;
  }

  insufficientState(): void {
    if (this.removed) return;
    if (this.spec.serverSide) this.client.disconnect(Disconnect.InsufficientState);
    else this.serverUnsubscribe(Unsubscribe.InsufficientState);
  }

  /** The server ends this subscription: unsubscribe push, then cleanup. */
  serverUnsubscribe(u: UnsubscribeReason): void {
    if (this.removed) return;
    const client = this.client;
    this.teardown(true);
    if (client.subs.get(this.channel) === this) client.subs.delete(this.channel);
    client.pushUnsubscribe(this.channel, u);
    if (this.expireAt > 0) client.subExpiryChanged();
  }

  /** Leaves the hub, presence and (when announced) emits the leave. Idempotent. */
  teardown(wsAlive: boolean): void {
    if (this.removed) return;
    this.removed = true;
    this.proxyStream?.close();
    const ctx = this.client.ctx;
    ctx.hub.remove(this, wsAlive);
    if (this.spec.presence) ctx.presenceTracker.remove(this);
    if (this.committed && this.spec.emitJoinLeave) ctx.presenceTracker.joinLeave('leave', this.channel, this.presenceInfo());
  }
}

export interface Prepared {
  readonly sub: ClientSub;
  readonly result: protocol.SubscribeResult;
  /** Position the client holds once it processed the reply (positioned subscriptions). */
  readonly position: Position | null;
  readonly deltaBase: bigint;
}

/**
 * Phase 1. Registers the subscription in `client.subs` (so that 105 and control commands see it)
 * and returns the prepared reply, or the error to answer with (the subscription is then gone).
 */
export async function prepareSubscription(client: Client, spec: SubSpec): Promise<Prepared | ProtocolError> {
  const ctx = client.ctx;
  const sub = new ClientSub(client, spec);
  client.subs.set(spec.channel, sub);
  const fail = (err: ProtocolError): ProtocolError => {
    sub.teardown(!client.closed);
    if (client.subs.get(spec.channel) === sub) client.subs.delete(spec.channel);
    return err;
  };
  try {
    await ctx.hub.add(sub);
    if (sub.removed) return errors.internal;
    if (spec.presence) {
      await ctx.presenceTracker.add(sub);
      if (sub.removed) return errors.internal;
    }
    const result = messages.newSubscribeResult();
    if (spec.expireAt > 0 && spec.clientSideRefresh) {
      result.expires = true;
      result.ttl = ttlSeconds(spec.expireAt);
    }
    if (spec.data) result.data = spec.data;
    if (spec.delta) result.delta = true;
    let position: Position | null = null;
    let deltaBase = 0n;
    if (sub.positioned) {
      const state = await streamState(client, spec);
      if (sub.removed) return errors.internal;
      if ('code' in state) return fail(state);
      result.positioned = true;
      result.recoverable = spec.recoverable;
      result.epoch = state.top.epoch;
      result.offset = state.recovered ? state.clientOffset : state.top.offset;
      result.wasRecovering = state.wasRecovering;
      result.recovered = state.recovered;
      if (state.wasRecovering) ctx.metrics.recover(state.recovered, state.publications.length > 0);
      if (state.wasRecovering && !state.recovered && spec.rejectUnrecovered) return fail(errors.unrecoverablePosition);
      if (state.recovered && state.publications.length > 0) {
        result.publications = replyPublications(state.publications, spec);
        deltaBase = state.publications[state.publications.length - 1]!.offset;
      }
      position = { offset: state.top.offset, epoch: state.top.epoch };
    }
    return { sub, result, position, deltaBase };
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    ctx.logger.warn({ err, channel: spec.channel }, 'subscribe failed');
    return fail(storeErrorToProtocolError(err));
  }
}

/** Phase 3, after the reply is written. */
export function commitSubscription(p: Prepared): void {
  const { sub } = p;
  const client = sub.client;
  if (sub.removed || client.closed) return;
  sub.committed = true;
  if (!client.ctx.hub.commit(sub, p.position, p.deltaBase)) return;
  if (sub.spec.emitJoinLeave) client.ctx.presenceTracker.joinLeave('join', sub.channel, sub.presenceInfo());
  client.ctx.metrics.subscriptionAccepted();
  if (sub.expireAt > 0) client.subExpiryChanged();
}

/** Undoes a prepared subscription whose reply was not sent (the connect failed meanwhile). */
export function abortSubscription(p: Prepared): void {
  const { sub } = p;
  sub.teardown(!sub.client.closed);
  if (sub.client.subs.get(sub.channel) === sub) sub.client.subs.delete(sub.channel);
}

interface StreamState {
  top: Position;
  recovered: boolean;
  wasRecovering: boolean;
  clientOffset: bigint;
  publications: StoredPublication[];
}

async function streamState(client: Client, spec: SubSpec): Promise<StreamState | ProtocolError> {
  const ctx = client.ctx;
  const o = spec.options;
  const metaTtlMs = o.history_meta_ttl > 0 ? o.history_meta_ttl : 0;
  const req = spec.recoverable ? spec.recover : null;
  if (req === null) {
    const h = await ctx.history.history(spec.channel, { limit: 0, reverse: false }, { metaTtlMs });
    return { top: h.position, recovered: false, wasRecovering: false, clientOffset: 0n, publications: [] };
  }
  if (spec.recoveryMode === 'cache') {
    const h = await ctx.history.history(spec.channel, { limit: 1, reverse: true }, { metaTtlMs });
    const latest = h.publications[0];
    const upToDate = req.offset === h.position.offset && req.epoch === h.position.epoch;
    if (upToDate) return { top: h.position, recovered: true, wasRecovering: true, clientOffset: req.offset, publications: [] };
    if (!latest) return { top: h.position, recovered: false, wasRecovering: true, clientOffset: req.offset, publications: [] };
    return { top: h.position, recovered: true, wasRecovering: true, clientOffset: req.offset, publications: [latest] };
  }
  const limit = ctx.settings.recoveryMaxPublicationLimit > 0 ? ctx.settings.recoveryMaxPublicationLimit : -1;
  try {
    const h = await ctx.history.history(spec.channel, { since: { offset: req.offset, epoch: req.epoch }, limit, reverse: false }, { metaTtlMs });
    const pubs = h.publications;
    const top = h.position;
    const epochOk = req.epoch === '' || req.epoch === top.epoch;
    const recovered =
      epochOk &&
      (pubs.length === 0
        ? top.offset === req.offset
        : pubs[0]!.offset === req.offset + 1n && pubs[pubs.length - 1]!.offset === top.offset);
    return { top, recovered, wasRecovering: true, clientOffset: req.offset, publications: recovered ? pubs : [] };
  } catch (err) {
    if (err instanceof UnrecoverablePositionError) {
      return { top: err.position, recovered: false, wasRecovering: true, clientOffset: req.offset, publications: [] };
    }
    throw err;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Recovered publications as they go into the reply: tags-filtered (filtered ones still counted for
 * continuity above), delta-encoded for delta subscriptions (the first full, each next one a patch
 * against the previous when that is smaller).
 */
function replyPublications(stored: StoredPublication[], spec: SubSpec): Publication[] {
  const out: Publication[] = [];
  let prev: Uint8Array | null = null;
  for (const s of stored) {
    const p = publicationToProto(s);
    p.time = 0n;
    p.delta = false;
    if (spec.filter !== null && !spec.filter(p.tags)) continue;
    if (spec.delta && prev !== null) {
      const patch = createFossilDelta(prev, s.data);
      if (patch.byteLength < s.data.byteLength && isUtf8(patch)) {
        p.data = patch;
        p.delta = true;
      }
    }
    prev = s.data;
    out.push(p);
  }
  return out;
}

function isUtf8(b: Uint8Array): boolean {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** A Subscribe push (server-side subscription added during the connection, §3.6). */
export function subscribePush(channel: string, r: protocol.SubscribeResult): protocol.Push {
  const push = messages.newPush();
  push.channel = channel;
  push.subscribe = create(protocol.SubscribeSchema, {
    recoverable: r.recoverable,
    epoch: r.epoch,
    offset: r.offset,
    positioned: r.positioned,
    data: r.data,
  });
  return push;
}
