/**
 * Presence and join/leave for this edge's subscriptions (ARCHITECTURE.md "Other flows").
 *
 * - Entries go to presence-history through the bus client: adds made in the same tick travel as one
 *   batch (a connect with many server-side subscriptions is one request), the subscribe waits for
 *   its add (Centrifugo answers 100 when presence cannot be stored).
 * - Every `client.presence_update_interval` all entries of this edge are re-added in batches, so
 *   they outlive the store's TTL exactly as long as the subscription lives.
 * - Removals are batched and fire-and-forget: a lost removal expires with the TTL.
 * - join / leave are ChannelMessages on the channel subject, so every edge (this one included)
 *   delivers them to its subscribers that asked for them.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { channelSubject, type Bus } from '@gyre/bus';
import type { Logger } from '@gyre/observability';
import { bus as busPb, protocol } from '@gyre/protocol';
import type { BusPresenceStore, ClientInfoRecord, PresenceEntryInput } from '@gyre/store';

const BATCH = 500;

export interface PresenceHolder {
  readonly channel: string;
  /** The entry as stored: user, client, conn_info, chan_info. */
  presenceInfo(): ClientInfoRecord;
}

export class PresenceTracker {
  private readonly entries = new Set<PresenceHolder>();
  private pendingAdds: Array<{ entry: PresenceEntryInput; resolve: () => void; reject: (e: unknown) => void }> = [];
  private pendingRemoves: PresenceEntryInput[] = [];
  private addScheduled = false;
  private removeScheduled = false;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly store: BusPresenceStore,
    private readonly bus: Bus,
    private readonly prefix: string,
    private readonly logger: Logger,
    updateIntervalMs: number,
  ) {
    this.timer = updateIntervalMs > 0 ? setInterval(() => void this.refreshAll(), updateIntervalMs) : null;
    this.timer?.unref();
  }

  /** Adds the holder's entry; resolves once stored (rejects with the store's error). */
  add(holder: PresenceHolder): Promise<void> {
    this.entries.add(holder);
    return new Promise<void>((resolve, reject) => {
      this.pendingAdds.push({ entry: { channel: holder.channel, info: holder.presenceInfo() }, resolve, reject });
      if (!this.addScheduled) {
        this.addScheduled = true;
        queueMicrotask(() => this.flushAdds());
      }
    });
  }

  /** Removes the holder's entry (batched, not awaited). */
  remove(holder: PresenceHolder): void {
    if (!this.entries.delete(holder)) return;
    this.pendingRemoves.push({ channel: holder.channel, info: holder.presenceInfo() });
    if (!this.removeScheduled) {
      this.removeScheduled = true;
      queueMicrotask(() => this.flushRemoves());
    }
  }

  /** Publishes a join or leave on the channel subject. */
  joinLeave(kind: 'join' | 'leave', channel: string, info: ClientInfoRecord): void {
    const ci = create(protocol.ClientInfoSchema, { user: info.user, client: info.client });
    if (info.connInfo) ci.connInfo = info.connInfo;
    if (info.chanInfo) ci.chanInfo = info.chanInfo;
    const msg = create(busPb.ChannelMessageSchema, { channel, event: { case: kind, value: ci } });
    try {
      this.bus.publish(channelSubject(this.prefix, channel), toBinary(busPb.ChannelMessageSchema, msg));
    } catch (err) {
      this.logger.warn({ err, channel }, `cannot publish ${kind}`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private flushAdds(): void {
    this.addScheduled = false;
    const batch = this.pendingAdds;
    this.pendingAdds = [];
    for (let i = 0; i < batch.length; i += BATCH) {
      const part = batch.slice(i, i + BATCH);
      this.store.addPresenceBatch(part.map((p) => p.entry)).then(
        () => {
          for (const p of part) p.resolve();
        },
        (err: unknown) => {
          for (const p of part) p.reject(err);
        },
      );
    }
  }

  private flushRemoves(): void {
    this.removeScheduled = false;
    const batch = this.pendingRemoves;
    this.pendingRemoves = [];
    for (let i = 0; i < batch.length; i += BATCH) {
      this.store.removePresenceBatch(batch.slice(i, i + BATCH)).catch((err: unknown) => {
        this.logger.debug({ err }, 'presence removal failed; the entry expires with its TTL');
      });
    }
  }

  private async refreshAll(): Promise<void> {
    const all: PresenceEntryInput[] = [];
    for (const h of this.entries) all.push({ channel: h.channel, info: h.presenceInfo() });
    for (let i = 0; i < all.length; i += BATCH) {
      try {
        await this.store.addPresenceBatch(all.slice(i, i + BATCH));
      } catch (err) {
        this.logger.warn({ err }, 'presence refresh failed');
        return;
      }
    }
  }
}
