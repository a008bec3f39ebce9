// The `<prefix>.state.<op>` request/reply protocol between the state clients (state_client.ts,
// used by edge and api) and the presence-history service, and the conversions between the store
// records and their protobuf form (proto/gyre/v1/bus.proto). Both ends import this file, so a record
// crosses the bus exactly the way it went in.
import { create } from '@bufbuild/protobuf';
import { bus as busPb, protocol } from '@gyre/protocol';
import type { StoredPublication } from './history.js';
import type { ClientInfoRecord, StreamPosition } from './records.js';

/** The queue group every presence-history instance joins: one of them answers each request. */
export const STATE_QUEUE = 'presence-history';

/**
 * The subject suffix of each StateRequest case: the snake_case name of the oneof case, so a responder
 * can route by subject and still decode one envelope type.
 */
export const STATE_OPS = {
  historyAdd: 'history_add',
  historyRead: 'history_read',
  historyRemove: 'history_remove',
  presenceAdd: 'presence_add',
  presenceRemove: 'presence_remove',
  presenceGet: 'presence_get',
  presenceStats: 'presence_stats',
} as const;

export type StateOpCase = keyof typeof STATE_OPS;
export type StateOp = (typeof STATE_OPS)[StateOpCase] | 'ping';

/** `<prefix>.state.<op>`; `ping` is the readiness probe (empty request, empty reply). */
export function stateSubject(prefix: string, op: StateOp | string): string {
  return `${prefix}.state.${op}`;
}

/** What the presence-history service subscribes to (in queue group STATE_QUEUE). */
export function stateWildcardSubject(prefix: string): string {
  return `${prefix}.state.>`;
}

// ---- records <-> protobuf ----------------------------------------------------------------------

const EMPTY = new Uint8Array(0);

export function clientInfoToProto(info: ClientInfoRecord): protocol.ClientInfo {
  return create(protocol.ClientInfoSchema, {
    user: info.user,
    client: info.client,
    connInfo: info.connInfo ?? EMPTY,
    chanInfo: info.chanInfo ?? EMPTY,
  });
}

/** Empty conn_info / chan_info mean "none": protobuf cannot tell empty from absent. */
export function clientInfoFromProto(info: protocol.ClientInfo): ClientInfoRecord {
  const out: ClientInfoRecord = { user: info.user, client: info.client };
  if (info.connInfo.length > 0) out.connInfo = info.connInfo;
  if (info.chanInfo.length > 0) out.chanInfo = info.chanInfo;
  return out;
}

export function positionToProto(position: StreamPosition): protocol.StreamPosition {
  return create(protocol.StreamPositionSchema, { offset: position.offset, epoch: position.epoch });
}

export function positionFromProto(position: protocol.StreamPosition | undefined): StreamPosition {
  return { offset: position?.offset ?? 0n, epoch: position?.epoch ?? '' };
}

/** A stored publication as a client-protocol Publication (data, info, offset, tags, time, delta). */
export function publicationToProto(pub: Omit<StoredPublication, 'offset'> & { offset?: bigint }): protocol.Publication {
  const out = create(protocol.PublicationSchema, {
    data: pub.data,
    offset: pub.offset ?? 0n,
    time: pub.time ?? 0n,
    delta: pub.delta ?? false,
  });
  if (pub.info) out.info = clientInfoToProto(pub.info);
  if (pub.tags) out.tags = { ...pub.tags };
  return out;
}

/** Inverse of publicationToProto; absent info/tags/time/delta stay absent. */
export function publicationFromProto(pub: protocol.Publication): StoredPublication {
  const out: StoredPublication = { offset: pub.offset, data: pub.data };
  if (pub.info) out.info = clientInfoFromProto(pub.info);
  if (Object.keys(pub.tags).length > 0) out.tags = { ...pub.tags };
  if (pub.time !== 0n) out.time = pub.time;
  if (pub.delta) out.delta = true;
  return out;
}

export interface ChannelPublicationInput {
  channel: string;
  /** As stored: offset 0n for a channel without history. */
  publication: StoredPublication;
  /** '' iff offset is 0n. */
  epoch: string;
  /** The publisher asked for delta delivery. */
  delta: boolean;
  /** The previous publication of the stream (the delta base), when delta and known. */
  previous?: StoredPublication | undefined;
}

/**
 * The ChannelMessage edges receive on `<prefix>.ch.<token>`. `publication.delta` is always false on
 * the bus (edges compute deltas per subscriber); `prev_data` is set only when the base is known.
 */
export function channelPublicationMessage(input: ChannelPublicationInput): busPb.ChannelMessage {
  const publication = publicationToProto({ ...input.publication, delta: false });
  const value = create(busPb.ChannelPublicationSchema, { publication, epoch: input.epoch, delta: input.delta });
  if (input.delta && input.previous) {
    value.prevData = input.previous.data;
    value.prevOffset = input.previous.offset;
  }
  return create(busPb.ChannelMessageSchema, { channel: input.channel, event: { case: 'publication', value } });
}
