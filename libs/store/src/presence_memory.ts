// PresenceStore in process memory (embedded mode). See presence.ts for the contract. Expiry is
// checked on every read and swept by an unref'd timer, so dead entries and empty channels go away.
import { systemClock, type Clock } from './clock.js';
import { StoreClosedError } from './errors.js';
import { ExpiryQueue } from './expiry_queue.js';
import { DEFAULT_PRESENCE_TTL_MS, type PresenceStats, type PresenceStore } from './presence.js';
import type { ClientInfoRecord } from './records.js';

export interface MemoryPresenceStoreOptions {
  clock?: Clock;
  /** TTL of an entry when addPresence passes none (default 60 s). */
  presenceTtlMs?: number;
  /** How often the background sweep drops expired entries (default 1000 ms; the timer is unref'd). */
  sweepIntervalMs?: number;
}

interface Entry {
  readonly channel: string;
  readonly clientId: string;
  info: ClientInfoRecord;
  expiresAt: number;
  queued: boolean;
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly channels = new Map<string, Map<string, Entry>>();
  private readonly expiry = new ExpiryQueue<Entry>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(opts: MemoryPresenceStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.ttlMs = opts.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
    this.timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 1000);
    this.timer.unref();
  }

  async addPresence(channel: string, clientId: string, info: ClientInfoRecord, ttlMs?: number): Promise<void> {
    this.checkOpen();
    const expiresAt = this.clock.now() + (ttlMs !== undefined && ttlMs > 0 ? ttlMs : this.ttlMs);
    let entries = this.channels.get(channel);
    if (!entries) {
      entries = new Map();
      this.channels.set(channel, entries);
    }
    const existing = entries.get(clientId);
    if (existing) {
      // Refresh in place: the queued expiry finds the later deadline and re-queues itself.
      existing.info = info;
      existing.expiresAt = expiresAt;
      if (!existing.queued) {
        existing.queued = true;
        this.expiry.push(expiresAt, existing);
      }
      return;
    }
    const entry: Entry = { channel, clientId, info, expiresAt, queued: true };
    entries.set(clientId, entry);
    this.expiry.push(expiresAt, entry);
  }

  async removePresence(channel: string, clientId: string, _userId: string): Promise<void> {
    this.checkOpen();
    const entries = this.channels.get(channel);
    if (!entries) return;
    entries.delete(clientId);
    if (entries.size === 0) this.channels.delete(channel);
  }

  async presence(channel: string): Promise<Map<string, ClientInfoRecord>> {
    this.checkOpen();
    const out = new Map<string, ClientInfoRecord>();
    for (const entry of this.live(channel)) out.set(entry.clientId, entry.info);
    return out;
  }

  async presenceStats(channel: string): Promise<PresenceStats> {
    this.checkOpen();
    const users = new Set<string>();
    let numClients = 0;
    for (const entry of this.live(channel)) {
      numClients++;
      users.add(entry.info.user);
    }
    return { numClients, numUsers: users.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.channels.clear();
    this.expiry.clear();
  }

  /** Drops every entry expired at the clock's current time. The background timer calls it; tests may too. */
  sweep(): void {
    const now = this.clock.now();
    for (let e = this.expiry.popDue(now); e; e = this.expiry.popDue(now)) {
      const entry = e.value;
      entry.queued = false;
      const entries = this.channels.get(entry.channel);
      if (!entries || entries.get(entry.clientId) !== entry) continue;
      if (entry.expiresAt <= now) {
        entries.delete(entry.clientId);
        if (entries.size === 0) this.channels.delete(entry.channel);
      } else {
        entry.queued = true;
        this.expiry.push(entry.expiresAt, entry);
      }
    }
  }

  /** What the store holds right now (for memory-bound checks and metrics). */
  stats(): { channels: number; entries: number } {
    let entries = 0;
    for (const m of this.channels.values()) entries += m.size;
    return { channels: this.channels.size, entries };
  }

  private *live(channel: string): Generator<Entry> {
    const entries = this.channels.get(channel);
    if (!entries) return;
    const now = this.clock.now();
    for (const entry of entries.values()) if (entry.expiresAt > now) yield entry;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError('presence store');
  }
}
