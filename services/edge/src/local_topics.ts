/**
 * Topic fan-out in JavaScript for connections whose transport has no uWS topics (HTTP streams,
 * SSE, the unidirectional transports): the hub publishes each frame to uWS (WebSocket members)
 * and here, under the same topic name.
 *
 * Members are grouped by their transport's Framing, so a publication is framed once per framing
 * (`data: …\n\n` for SSE, `…\n` for HTTP streaming) and the same bytes are written to every member
 * of the group: per member only the write itself runs.
 *
 * Membership follows the hub (join / leave), and a closed connection leaves every topic at once
 * (leaveAll), as uWS does for closed sockets.
 */
import type { Frame } from './frames.js';
import type { Framing, Transport } from './transport.js';

/** What a member needs: its transport (the Client implements it). */
export interface LocalMember {
  readonly transport: Transport;
}

export class LocalTopics {
  private readonly topics = new Map<string, Map<Framing, Set<LocalMember>>>();
  private readonly memberTopics = new Map<LocalMember, Set<string>>();

  /** Topics with at least one member. */
  get size(): number {
    return this.topics.size;
  }

  /** Members that are in at least one topic. */
  get members(): number {
    return this.memberTopics.size;
  }

  join(topic: string, m: LocalMember): void {
    let groups = this.topics.get(topic);
    if (!groups) {
      groups = new Map();
      this.topics.set(topic, groups);
    }
    const framing = m.transport.framing;
    let group = groups.get(framing);
    if (!group) {
      group = new Set();
      groups.set(framing, group);
    }
    group.add(m);
    let mine = this.memberTopics.get(m);
    if (!mine) {
      mine = new Set();
      this.memberTopics.set(m, mine);
    }
    mine.add(topic);
  }

  leave(topic: string, m: LocalMember): void {
    const mine = this.memberTopics.get(m);
    if (!mine?.delete(topic)) return;
    if (mine.size === 0) this.memberTopics.delete(m);
    this.remove(topic, m);
  }

  leaveAll(m: LocalMember): void {
    const mine = this.memberTopics.get(m);
    if (!mine) return;
    this.memberTopics.delete(m);
    for (const topic of mine) this.remove(topic, m);
  }

  /** Writes one encoded part to every member of `topic`, framed once per framing. */
  publish(topic: string, part: Frame): void {
    const groups = this.topics.get(topic);
    if (!groups) return;
    for (const [framing, members] of groups) {
      const data = framing.frame(part);
      for (const m of members) m.transport.writeFramed(data);
    }
  }

  private remove(topic: string, m: LocalMember): void {
    const groups = this.topics.get(topic);
    if (!groups) return;
    const framing = m.transport.framing;
    const group = groups.get(framing);
    if (!group?.delete(m)) return;
    if (group.size === 0) groups.delete(framing);
    if (groups.size === 0) this.topics.delete(topic);
  }
}
