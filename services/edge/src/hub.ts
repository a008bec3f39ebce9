/**
 * The channel hub: this edge's index of channels with local subscribers, and the fan-out path
 * (ARCHITECTURE.md "The hot path").
 *
 * - One bus subscription per channel with local subscribers (`<prefix>.ch.<token>`), made when the
 *   first local subscriber arrives and dropped with the last one.
 * - Each ChannelMessage is decoded once; each publication is encoded once per protocol (JSON,
 *   protobuf) and written with uWS topic publish, so the C++ layer copies the same bytes to every
 *   subscriber. No JavaScript runs per subscriber on that path.
 * - Connections whose transport has no uWS topics (HTTP streams, SSE, unidirectional ones) join
 *   the same topic names in LocalTopics (local_topics.ts), which writes the already-encoded frame,
 *   framed once per transport framing, to each of them. Unidirectional connections get bare
 *   Pushes: their encodings are slots of their own (frames_uni.ts), with their own topics.
 * - Per-subscriber JavaScript only for members that need something different, each variant
 *   still encoded once per publication: subscriptions being set up (buffered), positioned ones
 *   catching up to the channel's position, delta subscribers, tags-filter subscribers.
 *
 * Topics (one uWS topic per kind and encoding slot, `<kind><encoding letter><channel>`):
 * - `a` every publication as it arrives, for plain (non-positioned) subscriptions;
 * - `s` the sequenced stream for positioned / recoverable subscriptions: publications of a history
 *   channel in offset order, each exactly once, without gaps. An out-of-order arrival waits
 *   briefly for the gap to fill (REORDER_WAIT_MS), then the gap is read from history; when history
 *   no longer has it, every positioned member gets "insufficient state" (unsubscribe 2500, or
 *   disconnect 3010 for server-side subscriptions). Never a silent gap.
 * - `l` join / leave pushes for members that asked for them.
 *
 * Subscribing is a sync point (see subscription.ts): a positioned member is registered here as
 * `pending` before history is read and buffers every publication that arrives meanwhile; after
 * the subscribe reply went out, `commit` delivers the buffered publications above the position
 * the reply gave, and the member joins the `s` topic as soon as its position equals the channel's.
 * Until then (`sync`) it gets the sequenced publications individually. So publications that race
 * a subscribe are neither lost, duplicated nor sent before the subscribe reply.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import type { TemplatedApp } from 'uWebSockets.js';
import { channelSubject, type Bus, type BusSubscription } from '@gyre/bus';
import type { Logger } from '@gyre/observability';
import { Disconnect, bus as busPb, messages, protocol, ProtocolEncodeError, type ClientInfo, type DisconnectReason, type Publication } from '@gyre/protocol';
import { publicationToProto, type HistoryStore } from '@gyre/store';
import type { Encoding, Frame } from './frames.js';
import { createFossilDelta } from './delta_fossil.js';
import type { LocalTopics } from './local_topics.js';

/** How long a sequenced channel waits for an out-of-order gap to fill before reading history. */
export const REORDER_WAIT_MS = 200;
/** Most publications read from history to fill one gap. */
const MAX_GAP_FILL = 1000;

export type MemberMode = 'pending' | 'sync' | 'topic' | 'individual';

export interface Position {
  offset: bigint;
  epoch: string;
}

/** The connection side a member needs from its client. */
export interface HubClient {
  readonly id: string;
  readonly encoding: Encoding;
  readonly closed: boolean;
  /** Writes a frame after everything written before it (direct sends and topic messages alike). */
  write(frame: Frame): void;
  joinTopic(topic: string): void;
  leaveTopic(topic: string): void;
  /** Encoding this client's frame failed (binary data for a JSON client): disconnect 3506. */
  encodingFailed(err: ProtocolEncodeError): void;
  /** Bytes the transport holds for this client (backpressure). */
  bufferedAmount(): number;
  disconnect(d: DisconnectReason): void;
}

/** One local subscription, as the hub sees it (implemented by ClientSub). */
export interface HubMember {
  readonly client: HubClient;
  readonly channel: string;
  readonly positioned: boolean;
  readonly pushJoinLeave: boolean;
  readonly delta: boolean;
  /** Tags filter, null when none. */
  readonly filter: ((tags: { [key: string]: string }) => boolean) | null;
  mode: MemberMode;
  /** Publications that arrived while pending (positioned members only). */
  buffer: busPb.ChannelPublication[];
  /** Position delivered to the client (positioned members). */
  pos: Position;
  /** Offset whose full data the client holds (delta members), 0n for none. */
  deltaBase: bigint;
  /** The `a`/`s` topic this member is in, '' for none. */
  topic: string;
  inJoinLeaveTopic: boolean;
  /** Called when the member can no longer be kept in sync (stream gap or epoch change). */
  insufficientState(): void;
}

const enum P {
  J = 0,
  Pb = 1,
}

/** Encoding slots (frames.ts Encoding.slot): JSON, protobuf, uni JSON, uni protobuf. */
type Slot = Encoding['slot'];
type PerSlot<T> = [T, T, T, T];
const SLOTS: readonly Slot[] = [0, 1, 2, 3];
/**
 * Slots whose frames uWS topics carry: JSON and protobuf (WebSocket members) and uni JSON
 * (uni_websocket members). Uni protobuf (uni_grpc) exists only locally.
 */
const NATIVE_SLOTS = 3;

const encIndex = (e: Encoding): Slot => e.slot;
const perSlot = (kind: string, name: string): PerSlot<string> => [`${kind}j${name}`, `${kind}p${name}`, `${kind}u${name}`, `${kind}g${name}`];

export class HubChannel {
  readonly members = new Set<HubMember>();
  /** Members needing per-subscriber delivery (pending, sync, individual). */
  readonly individuals = new Set<HubMember>();
  readonly plainTopic: PerSlot<string>;
  readonly seqTopic: PerSlot<string>;
  readonly jlTopic: PerSlot<string>;
  readonly nPlain: PerSlot<number> = [0, 0, 0, 0];
  readonly nSeq: PerSlot<number> = [0, 0, 0, 0];
  readonly nJoinLeave: PerSlot<number> = [0, 0, 0, 0];
  /** Positioned members (any mode); the sequencer only bothers with gaps when there are some. */
  positionedCount = 0;
  /** Last offset released on the sequenced path; null until the first one. */
  pos: Position | null = null;
  /** Out-of-order publications waiting for a gap to fill, by offset. */
  readonly reorder = new Map<bigint, busPb.ChannelPublication>();
  gapTimer: NodeJS.Timeout | null = null;
  gapFilling = false;
  busSub: BusSubscription | null = null;
  ready: Promise<void> = Promise.resolve();
  closed = false;
  /** Bytes published per member since the members' backpressure was last checked. */
  sinceBackpressureCheck = 0;
  positionChecking = false;

  constructor(readonly name: string) {
    this.plainTopic = perSlot('a', name);
    this.seqTopic = perSlot('s', name);
    this.jlTopic = perSlot('l', name);
  }
}

/** Lazily encoded frames of one publication: each variant at most once, whoever needs it. */
class PubFrames {
  private readonly plain: PerSlot<Frame | undefined> = [undefined, undefined, undefined, undefined];
  private jsonStr: Frame | undefined;
  private patch: { data: Uint8Array } | null | undefined;
  private jsonPatch: Frame | null | undefined;
  private protoPatch: Frame | undefined;

  constructor(
    private readonly channel: string,
    readonly cp: busPb.ChannelPublication,
    readonly pub: Publication,
    private readonly encodings: readonly Encoding[],
  ) {
    // What a Centrifugo OSS server puts on the wire: no time, and no delta flag from the bus.
    pub.time = 0n;
    pub.delta = false;
  }

  get(i: Slot): Frame {
    return (this.plain[i] ??= this.encodings[i]!.encodePublication(this.channel, this.pub));
  }

  /** The frame for a delta subscriber whose base is `base` (bidirectional encodings only). */
  delta(i: Slot, base: bigint): Frame {
    if (i !== P.J && i !== P.Pb) return this.get(i);
    const off = this.pub.offset;
    if (this.cp.delta && this.cp.prevData !== undefined && this.cp.prevOffset === off - 1n && base === off - 1n) {
      if (this.patch === undefined) {
        const patch = createFossilDelta(this.cp.prevData, this.pub.data);
        this.patch = patch.byteLength < this.pub.data.byteLength ? { data: patch } : null;
      }
      if (this.patch !== null) {
        const p = { ...this.pub, data: this.patch.data, delta: true };
        if (i === P.Pb) return (this.protoPatch ??= this.encodings[P.Pb]!.encodePublication(this.channel, p));
        if (this.jsonPatch === undefined) {
          try {
            this.jsonPatch = this.encodings[P.J]!.encodePublication(this.channel, p, true);
          } catch (err) {
            // A patch that cuts a multi-byte character is no JSON string: send full data then.
            if (!(err instanceof ProtocolEncodeError)) throw err;
            this.jsonPatch = null;
          }
        }
        if (this.jsonPatch !== null) return this.jsonPatch;
      }
    }
    if (i === P.J) return (this.jsonStr ??= this.encodings[P.J]!.encodePublication(this.channel, this.pub, true));
    return this.get(P.Pb);
  }
}

export interface HubDeps {
  app: TemplatedApp;
  /** Same topics for connections without uWS topics (HTTP streams, SSE, unidirectional). */
  local: LocalTopics;
  bus: Bus;
  prefix: string;
  logger: Logger;
  history: HistoryStore;
  /** Every encoding, indexed by its slot (frames.ts, frames_uni.ts). */
  encodings: readonly Encoding[];
  /** `history_meta_ttl` of a channel, for gap-fill reads (ms; 0 = default). */
  metaTtlMs(channel: string): number;
  /**
   * `client.queue_max_size` (0: no check here). Every quarter of it published on a channel, the
   * channel's members are checked and those holding more are closed with 3008 (slow): a member
   * that stopped reading goes past the limit by at most a quarter of it (plus one message) before
   * it is caught, well before the transport's hard limit (transport_ws.ts).
   */
  queueMaxSize?: number;
  /**
   * `client.channel_position_check_delay` (0: off). That often every channel with positioned
   * members compares its position with the stream top in history: another epoch, or a top that
   * the channel has not reached POSITION_RECHECK_MS later, is insufficient state for them (a
   * publication was lost on its way here).
   */
  positionCheckDelayMs?: number;
}

/** How long a channel behind the stream top may take to catch up before it counts as lost. */
export const POSITION_RECHECK_MS = 1000;

export class Hub {
  readonly channels = new Map<string, HubChannel>();
  private subscriptions = 0;

  private readonly positionTimer: NodeJS.Timeout | null;

  constructor(private readonly deps: HubDeps) {
    const every = deps.positionCheckDelayMs ?? 0;
    this.positionTimer = every > 0 ? setInterval(() => this.checkPositions(), every) : null;
    this.positionTimer?.unref();
  }

  /** Subscriptions of this node (members of every channel). */
  get numSubscriptions(): number {
    return this.subscriptions;
  }

  /** Channels with local members, and how many. For channels surveys. */
  channelCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, ch] of this.channels) out.set(name, ch.members.size);
    return out;
  }

  /**
   * Adds a member in `pending` mode (positioned members buffer publications from now on) and
   * resolves once the channel's bus subscription is in effect.
   */
  async add(m: HubMember): Promise<void> {
    let ch = this.channels.get(m.channel);
    if (!ch) {
      ch = this.open(m.channel);
    }
    ch.members.add(m);
    this.subscriptions++;
    m.mode = 'pending';
    if (m.positioned) {
      ch.positionedCount++;
      ch.individuals.add(m);
    }
    await ch.ready;
  }

  /**
   * After the subscribe reply is written: delivers what was buffered above `position` (positioned
   * members) and moves the member to its live mode. Returns false when the member could not be
   * brought in sync (it got insufficientState()).
   */
  commit(m: HubMember, position: Position | null, deltaBase = 0n): boolean {
    const ch = this.channels.get(m.channel);
    if (!ch || !ch.members.has(m) || m.client.closed) return false;
    const enc = encIndex(m.client.encoding);
    if (m.pushJoinLeave && !m.inJoinLeaveTopic) {
      m.client.joinTopic(ch.jlTopic[enc]);
      m.inJoinLeaveTopic = true;
      ch.nJoinLeave[enc]++;
    }
    if (!m.positioned) {
      if (m.filter !== null) {
        m.mode = 'individual';
        ch.individuals.add(m);
      } else {
        this.joinTopic(ch, m, ch.plainTopic, ch.nPlain);
      }
      return true;
    }
    // Positioned: replay the buffer above the reply's position, then sync or join.
    m.pos = position ? { offset: position.offset, epoch: position.epoch } : { offset: 0n, epoch: '' };
    m.deltaBase = deltaBase;
    const buffered = m.buffer;
    m.buffer = [];
    buffered.sort((a, b) => (a.publication!.offset < b.publication!.offset ? -1 : a.publication!.offset > b.publication!.offset ? 1 : 0));
    m.mode = 'sync';
    for (const cp of buffered) {
      if (!this.deliverPositioned(ch, m, cp, null)) return false;
    }
    if (ch.pos === null || ch.pos.epoch !== m.pos.epoch) {
      if (ch.pos !== null && this.hasLivePositioned(ch, m)) {
        m.insufficientState();
        return false;
      }
      ch.pos = { offset: m.pos.offset, epoch: m.pos.epoch };
    } else if (m.pos.offset > ch.pos.offset && ch.reorder.size === 0 && !this.hasLivePositioned(ch, m)) {
      // Nobody else follows the sequence: the channel jumps to this member's position; anything
      // older still in flight is then a duplicate for the sequenced path.
      ch.pos.offset = m.pos.offset;
    } else if (m.pos.offset < ch.pos.offset) {
      m.insufficientState();
      return false;
    }
    this.promoteIfSynced(ch, m);
    return true;
  }

  /** Removes a member (unsubscribe, disconnect). `wsAlive` false when the socket is already closed. */
  remove(m: HubMember, wsAlive: boolean): void {
    const ch = this.channels.get(m.channel);
    if (!ch || !ch.members.delete(m)) return;
    this.subscriptions--;
    const enc = encIndex(m.client.encoding);
    if (m.topic !== '') {
      if (wsAlive) m.client.leaveTopic(m.topic);
      if (m.topic === ch.plainTopic[enc]) ch.nPlain[enc]--;
      else ch.nSeq[enc]--;
      m.topic = '';
    }
    if (m.inJoinLeaveTopic) {
      if (wsAlive) m.client.leaveTopic(ch.jlTopic[enc]);
      ch.nJoinLeave[enc]--;
      m.inJoinLeaveTopic = false;
    }
    ch.individuals.delete(m);
    if (m.positioned) ch.positionedCount--;
    m.buffer = [];
    if (ch.members.size === 0) this.close(ch);
  }

  /** Closes every channel (edge stop). */
  closeAll(): void {
    if (this.positionTimer) clearInterval(this.positionTimer);
    for (const ch of [...this.channels.values()]) this.close(ch);
  }

  /** One round of position checks (public for tests). */
  checkPositions(): void {
    for (const ch of this.channels.values()) {
      if (ch.pos === null || ch.positionChecking || !this.hasLivePositioned(ch, null)) continue;
      ch.positionChecking = true;
      this.checkPosition(ch)
        .catch((err: unknown) => this.deps.logger.warn({ err, channel: ch.name }, 'position check failed'))
        .finally(() => {
          ch.positionChecking = false;
        });
    }
  }

  private async checkPosition(ch: HubChannel): Promise<void> {
    const top = await this.streamTop(ch);
    if (top === null || ch.closed || ch.pos === null) return;
    if (top.epoch === ch.pos.epoch && top.offset <= ch.pos.offset) return;
    if (top.epoch === ch.pos.epoch) {
      // Publications up to the top may still be on their way: give them time to arrive.
      await new Promise<void>((resolve) => setTimeout(resolve, POSITION_RECHECK_MS).unref());
      if (ch.closed || ch.pos === null || ch.pos.epoch !== top.epoch || ch.pos.offset >= top.offset) return;
    }
    this.deps.logger.info({ channel: ch.name }, 'channel lost publications: insufficient state for positioned subscribers');
    this.kickPositioned(ch);
    if (!ch.closed && ch.pos !== null) ch.pos = { offset: top.offset, epoch: top.epoch };
  }

  private async streamTop(ch: HubChannel): Promise<Position | null> {
    try {
      const h = await this.deps.history.history(ch.name, { limit: 0, reverse: false }, { metaTtlMs: this.deps.metaTtlMs(ch.name) });
      return h.position;
    } catch (err) {
      this.deps.logger.debug({ err, channel: ch.name }, 'stream top unavailable for the position check');
      return null;
    }
  }

  // ---- channel lifecycle ----------------------------------------------------------------------

  private open(name: string): HubChannel {
    const ch = new HubChannel(name);
    this.channels.set(name, ch);
    const subject = channelSubject(this.deps.prefix, name);
    ch.busSub = this.deps.bus.subscribe(subject, (msg) => this.onMessage(ch, msg.data));
    // After flush() the subscription is in effect on the server: a publication appended after
    // that point reaches us, which is what the subscribe sync point relies on.
    ch.ready = this.deps.bus.flush().catch((err: unknown) => {
      this.deps.logger.warn({ err, channel: name }, 'bus flush after channel subscribe failed');
    });
    return ch;
  }

  private close(ch: HubChannel): void {
    if (ch.closed) return;
    ch.closed = true;
    ch.busSub?.unsubscribe();
    ch.busSub = null;
    if (ch.gapTimer) clearTimeout(ch.gapTimer);
    ch.reorder.clear();
    if (this.channels.get(ch.name) === ch) this.channels.delete(ch.name);
  }

  // ---- incoming -------------------------------------------------------------------------------

  private onMessage(ch: HubChannel, data: Uint8Array): void {
    if (ch.closed) return;
    let msg: busPb.ChannelMessage;
    try {
      msg = fromBinary(busPb.ChannelMessageSchema, data);
    } catch (err) {
      this.deps.logger.warn({ err, channel: ch.name }, 'dropping undecodable channel message');
      return;
    }
    if (msg.channel !== ch.name) {
      this.deps.logger.warn({ channel: ch.name, got: msg.channel }, 'dropping channel message for another channel');
      return;
    }
    switch (msg.event.case) {
      case 'publication':
        this.publication(ch, msg.event.value);
        break;
      case 'join':
        this.joinLeave(ch, 'join', msg.event.value);
        break;
      case 'leave':
        this.joinLeave(ch, 'leave', msg.event.value);
        break;
      default:
        break;
    }
  }

  /** Delivers one publication: plain topics at once, the sequenced path in offset order. */
  publication(ch: HubChannel, cp: busPb.ChannelPublication): void {
    const pub = cp.publication;
    if (!pub) return;
    const frames = new PubFrames(ch.name, cp, pub, this.deps.encodings);
    this.publishTopic(ch, ch.plainTopic, ch.nPlain, frames);
    if (ch.individuals.size > 0) {
      let kicked: HubMember[] | null = null;
      for (const m of ch.individuals) {
        if (m.mode === 'pending') {
          if (m.positioned) m.buffer.push(cp);
        } else if (!m.positioned) {
          if (!this.deliver(m, frames)) (kicked ??= []).push(m);
        }
      }
      if (kicked) for (const m of kicked) m.client.encodingFailed(new ProtocolEncodeError('publication data is not JSON'));
    }
    if (pub.offset > 0n) this.sequence(ch, cp, frames);
  }

  private sequence(ch: HubChannel, cp: busPb.ChannelPublication, frames: PubFrames): void {
    const off = cp.publication!.offset;
    const epoch = cp.epoch;
    if (ch.pos === null || ch.pos.epoch !== epoch) {
      if (ch.pos !== null) this.kickPositioned(ch);
      ch.pos = { offset: off, epoch };
      ch.reorder.clear();
      this.release(ch, cp, frames);
      return;
    }
    if (off <= ch.pos.offset) return;
    if (off === ch.pos.offset + 1n) {
      ch.pos.offset = off;
      this.release(ch, cp, frames);
      this.drainReorder(ch);
      return;
    }
    if (!this.hasLivePositioned(ch, null)) {
      ch.pos.offset = off;
      ch.reorder.clear();
      this.release(ch, cp, frames);
      return;
    }
    ch.reorder.set(off, cp);
    if (ch.gapTimer === null && !ch.gapFilling) {
      ch.gapTimer = setTimeout(() => {
        ch.gapTimer = null;
        this.fillGap(ch).catch((err: unknown) => this.deps.logger.error({ err, channel: ch.name }, 'gap fill failed'));
      }, REORDER_WAIT_MS);
      ch.gapTimer.unref();
    }
  }

  private drainReorder(ch: HubChannel): void {
    if (ch.reorder.size === 0) return;
    for (;;) {
      const next = ch.reorder.get(ch.pos!.offset + 1n);
      if (!next) break;
      ch.reorder.delete(ch.pos!.offset + 1n);
      ch.pos!.offset++;
      this.release(ch, next, new PubFrames(ch.name, next, next.publication!, this.deps.encodings));
    }
    // Stale entries (at or below the position) are duplicates.
    for (const off of ch.reorder.keys()) if (off <= ch.pos!.offset) ch.reorder.delete(off);
    if (ch.reorder.size === 0 && ch.gapTimer) {
      clearTimeout(ch.gapTimer);
      ch.gapTimer = null;
    }
  }

  /** The gap did not fill by itself: read it from history, or give up on the positioned members. */
  private async fillGap(ch: HubChannel): Promise<void> {
    if (ch.closed || ch.reorder.size === 0 || ch.pos === null) return;
    ch.gapFilling = true;
    const from = { offset: ch.pos.offset, epoch: ch.pos.epoch };
    let lowest = -1n;
    for (const off of ch.reorder.keys()) if (lowest < 0n || off < lowest) lowest = off;
    const missing = Number(lowest - from.offset - 1n);
    let filled: busPb.ChannelPublication[] | null = null;
    if (missing > 0 && missing <= MAX_GAP_FILL) {
      try {
        const h = await this.deps.history.history(ch.name, { since: from, limit: missing, reverse: false }, { metaTtlMs: this.deps.metaTtlMs(ch.name) });
        const pubs = h.publications;
        if (h.position.epoch === from.epoch && pubs.length === missing && pubs[0]!.offset === from.offset + 1n && pubs[pubs.length - 1]!.offset === lowest - 1n) {
          filled = pubs.map((p) => create(busPb.ChannelPublicationSchema, { publication: publicationToProto(p), epoch: from.epoch }));
        }
      } catch (err) {
        this.deps.logger.warn({ err, channel: ch.name }, 'reading a stream gap from history failed');
      }
    }
    ch.gapFilling = false;
    if (ch.closed || ch.pos === null) return;
    if (filled && ch.pos.offset === from.offset && ch.pos.epoch === from.epoch) {
      for (const cp of filled) {
        ch.pos.offset = cp.publication!.offset;
        this.release(ch, cp, new PubFrames(ch.name, cp, cp.publication!, this.deps.encodings));
      }
      this.drainReorder(ch);
      return;
    }
    if (ch.reorder.size === 0) return;
    // History no longer has the gap: nobody positioned can be kept in sync.
    this.kickPositioned(ch);
    // Kicking may have emptied and closed the channel.
    if (ch.closed || ch.pos === null || ch.reorder.size === 0) return;
    const offsets = [...ch.reorder.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    ch.pos.offset = offsets[0]! - 1n;
    this.drainReorder(ch);
    if (ch.reorder.size > 0) {
      ch.pos.offset = offsets[offsets.length - 1]!;
      ch.reorder.clear();
    }
  }

  /** One in-order publication of the sequenced stream. */
  private release(ch: HubChannel, cp: busPb.ChannelPublication, frames: PubFrames): void {
    this.publishTopic(ch, ch.seqTopic, ch.nSeq, frames);
    if (ch.individuals.size === 0) return;
    let promote: HubMember[] | null = null;
    for (const m of ch.individuals) {
      if (!m.positioned || m.mode === 'pending') continue;
      if (!this.deliverPositioned(ch, m, cp, frames)) continue;
      if (m.mode === 'sync' && m.pos.offset === ch.pos!.offset) (promote ??= []).push(m);
    }
    if (promote) for (const m of promote) this.promoteIfSynced(ch, m);
  }

  /**
   * A positioned member's next publication, checked against its own position. Returns false when
   * the member was dropped (gap, epoch change, encoding failure).
   */
  private deliverPositioned(ch: HubChannel, m: HubMember, cp: busPb.ChannelPublication, frames: PubFrames | null): boolean {
    const off = cp.publication!.offset;
    if (cp.epoch !== m.pos.epoch) {
      if (m.pos.epoch !== '') {
        m.insufficientState();
        return false;
      }
      // The stream did not exist when the member subscribed: adopt the first epoch seen.
      m.pos.epoch = cp.epoch;
    }
    if (off <= m.pos.offset) return true;
    if (off !== m.pos.offset + 1n) {
      m.insufficientState();
      return false;
    }
    m.pos.offset = off;
    const f = frames ?? new PubFrames(ch.name, cp, cp.publication!, this.deps.encodings);
    if (!this.deliver(m, f)) {
      m.client.encodingFailed(new ProtocolEncodeError('publication data is not JSON'));
      return false;
    }
    return true;
  }

  /** Writes one publication to one member, honouring its tags filter and delta mode. */
  private deliver(m: HubMember, frames: PubFrames): boolean {
    if (m.filter !== null && !m.filter(frames.pub.tags)) return true;
    const i = encIndex(m.client.encoding);
    let frame: Frame;
    try {
      frame = m.delta ? frames.delta(i, m.deltaBase) : frames.get(i);
    } catch (err) {
      if (err instanceof ProtocolEncodeError) return false;
      throw err;
    }
    if (m.delta) m.deltaBase = frames.pub.offset;
    m.client.write(frame);
    return true;
  }

  private promoteIfSynced(ch: HubChannel, m: HubMember): void {
    if (m.mode !== 'sync' || ch.pos === null || m.pos.epoch !== ch.pos.epoch || m.pos.offset !== ch.pos.offset) return;
    if (m.delta || m.filter !== null) {
      m.mode = 'individual';
      return;
    }
    ch.individuals.delete(m);
    this.joinTopic(ch, m, ch.seqTopic, ch.nSeq);
  }

  private joinTopic(ch: HubChannel, m: HubMember, topics: PerSlot<string>, counts: PerSlot<number>): void {
    const enc = encIndex(m.client.encoding);
    m.client.joinTopic(topics[enc]);
    m.topic = topics[enc];
    counts[enc]++;
    m.mode = 'topic';
  }

  /** Whether a positioned member other than `except` is past its pending phase. */
  private hasLivePositioned(ch: HubChannel, except: HubMember | null): boolean {
    for (const n of ch.nSeq) if (n > 0) return true;
    for (const m of ch.individuals) if (m !== except && m.positioned && m.mode !== 'pending') return true;
    return false;
  }

  /** Every live positioned member loses sync (stream gap that history cannot fill, epoch change). */
  private kickPositioned(ch: HubChannel): void {
    const victims: HubMember[] = [];
    for (const m of ch.members) if (m.positioned && m.mode !== 'pending') victims.push(m);
    for (const m of victims) m.insufficientState();
  }

  /** One publication to a topic kind: uWS for WebSocket members, LocalTopics for the rest. */
  private publishTopic(ch: HubChannel, topics: PerSlot<string>, counts: PerSlot<number>, frames: PubFrames): void {
    const { app, local, encodings } = this.deps;
    let published = 0;
    for (const i of SLOTS) {
      if (counts[i] === 0) continue;
      const topic = topics[i];
      let frame: Frame;
      try {
        frame = frames.get(i);
      } catch (err) {
        if (!(err instanceof ProtocolEncodeError)) throw err;
        // Binary data for JSON subscribers: each of them is disconnected with 3506.
        for (const m of [...ch.members]) if (m.topic === topic) m.client.encodingFailed(err);
        continue;
      }
      if (i < NATIVE_SLOTS) app.publish(topic, frame, encodings[i]!.binary);
      local.publish(topic, frame);
      published = Math.max(published, typeof frame === 'string' ? frame.length : frame.byteLength);
    }
    this.countBackpressure(ch, published);
  }

  /** Topic publishes never tell how much each socket buffered: look every quarter queue size. */
  private countBackpressure(ch: HubChannel, bytes: number): void {
    const max = this.deps.queueMaxSize ?? 0;
    if (max <= 0 || bytes === 0) return;
    ch.sinceBackpressureCheck += bytes;
    if (ch.sinceBackpressureCheck < max / 4) return;
    ch.sinceBackpressureCheck = 0;
    let slow: Set<HubClient> | null = null;
    for (const m of ch.members) if (!m.client.closed && m.client.bufferedAmount() > max) (slow ??= new Set()).add(m.client);
    if (slow) for (const c of slow) c.disconnect(Disconnect.Slow);
  }

  // ---- join / leave ---------------------------------------------------------------------------

  private joinLeave(ch: HubChannel, kind: 'join' | 'leave', info: ClientInfo): void {
    if (!ch.nJoinLeave.some((n) => n > 0)) return;
    const push = messages.newPush();
    push.channel = ch.name;
    if (kind === 'join') push.join = create(protocol.JoinSchema, { info });
    else push.leave = create(protocol.LeaveSchema, { info });
    const reply = messages.newReply();
    reply.push = push;
    const { app, local, encodings } = this.deps;
    let published = 0;
    for (const i of SLOTS) {
      if (ch.nJoinLeave[i] === 0) continue;
      const enc = encodings[i]!;
      let frame: Frame;
      try {
        frame = enc.encodeReply(reply);
      } catch (err) {
        if (!(err instanceof ProtocolEncodeError)) throw err;
        this.deps.logger.warn({ channel: ch.name }, 'dropping join/leave with non-JSON info for JSON subscribers');
        continue;
      }
      if (i < NATIVE_SLOTS) app.publish(ch.jlTopic[i], frame, enc.binary);
      local.publish(ch.jlTopic[i], frame);
      published = Math.max(published, typeof frame === 'string' ? frame.length : frame.byteLength);
    }
    this.countBackpressure(ch, published);
  }
}
