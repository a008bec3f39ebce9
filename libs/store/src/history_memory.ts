// HistoryStore in process memory (embedded mode, like Centrifugo's memory engine). See history.ts for
// the contract. Every operation runs synchronously inside one call, so appends to a channel are
// atomic and ordered without locks. Expiry is checked on every access (so it is exact with any
// clock) and swept by an unref'd timer, so expired channels and idempotency keys do not accumulate.
import { systemClock, type Clock } from './clock.js';
import { generateEpoch } from './epoch.js';
import { StoreClosedError } from './errors.js';
import { ExpiryQueue } from './expiry_queue.js';
import {
  DEFAULT_HISTORY_META_TTL_MS,
  DEFAULT_IDEMPOTENT_RESULT_TTL_MS,
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
import type { StreamPosition } from './records.js';

export interface MemoryHistoryStoreOptions {
  clock?: Clock;
  /** Meta TTL used when a call passes 0 (default 720h, Centrifugo's `channel.history_meta_ttl`). */
  defaultMetaTtlMs?: number;
  /** Idempotency key TTL used when a call passes none (default 5 min). */
  defaultIdempotentResultTtlMs?: number;
  /** How often the background sweep drops expired state (default 1000 ms; the timer is unref'd). */
  sweepIntervalMs?: number;
}

interface Stream {
  readonly channel: string;
  readonly epoch: string;
  top: bigint;
  /** Live publications are pubs[head..]; their offsets are contiguous and end at `top`. */
  pubs: Array<StoredPublication | undefined>;
  head: number;
  version: bigint;
  versionEpoch: string;
  metaExpiresAt: number;
  pubsExpireAt: number;
  metaQueued: boolean;
  pubsQueued: boolean;
}

interface CachedResult {
  readonly key: string;
  readonly position: StreamPosition;
  readonly expiresAt: number;
}

const NO_POSITION: StreamPosition = Object.freeze({ offset: 0n, epoch: '' });

function liveCount(s: Stream): number {
  return s.pubs.length - s.head;
}

function clearPubs(s: Stream): void {
  s.pubs = [];
  s.head = 0;
}

export class MemoryHistoryStore implements HistoryStore {
  private readonly clock: Clock;
  private readonly defaultMetaTtlMs: number;
  private readonly defaultResultTtlMs: number;
  private readonly streams = new Map<string, Stream>();
  private readonly results = new Map<string, CachedResult>();
  private readonly metaExpiry = new ExpiryQueue<Stream>();
  private readonly pubsExpiry = new ExpiryQueue<Stream>();
  private readonly resultExpiry = new ExpiryQueue<CachedResult>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(opts: MemoryHistoryStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.defaultMetaTtlMs = opts.defaultMetaTtlMs ?? DEFAULT_HISTORY_META_TTL_MS;
    this.defaultResultTtlMs = opts.defaultIdempotentResultTtlMs ?? DEFAULT_IDEMPOTENT_RESULT_TTL_MS;
    this.timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 1000);
    this.timer.unref();
  }

  async addPublication(channel: string, pub: Omit<StoredPublication, 'offset'>, opts: AddPublicationOptions): Promise<AddPublicationResult> {
    this.checkOpen();
    const now = this.clock.now();
    const resultKey = opts.idempotencyKey ? `${channel.length}:${channel}:${opts.idempotencyKey}` : undefined;
    if (resultKey !== undefined) {
      const cached = this.results.get(resultKey);
      if (cached && cached.expiresAt > now) {
        return { position: { ...cached.position }, suppressed: true, suppressReason: 'idempotency' };
      }
    }

    let result: AddPublicationResult;
    if (opts.historySize > 0 && opts.historyTtlMs > 0) {
      const s = this.liveStream(channel, now) ?? this.createStream(channel);
      const version = opts.version ?? 0n;
      if (version > 0n) {
        const versionEpoch = opts.versionEpoch ?? '';
        if ((versionEpoch === '' || versionEpoch === s.versionEpoch) && version <= s.version) {
          // Out of order or repeated: nothing is appended, the caller gets the current top.
          return { position: { offset: s.top, epoch: s.epoch }, suppressed: true, suppressReason: 'version' };
        }
        s.version = version;
        s.versionEpoch = versionEpoch;
      }
      this.touchMeta(s, now, opts.historyMetaTtlMs);
      const previous = opts.useDelta && liveCount(s) > 0 ? s.pubs[s.pubs.length - 1] : undefined;
      s.top += 1n;
      const stored = this.freeze(pub, s.top, now);
      s.pubs.push(stored);
      while (liveCount(s) > opts.historySize) s.pubs[s.head++] = undefined;
      if (s.head > 64 && s.head * 2 > s.pubs.length) {
        s.pubs = s.pubs.slice(s.head);
        s.head = 0;
      }
      s.pubsExpireAt = now + opts.historyTtlMs;
      if (!s.pubsQueued) {
        s.pubsQueued = true;
        this.pubsExpiry.push(s.pubsExpireAt, s);
      }
      result = { position: { offset: s.top, epoch: s.epoch }, publication: stored, suppressed: false };
      if (previous) result.previous = previous;
    } else {
      result = { position: { ...NO_POSITION }, publication: this.freeze(pub, 0n, now), suppressed: false };
    }

    if (resultKey !== undefined) {
      const ttl = opts.idempotentResultTtlMs && opts.idempotentResultTtlMs > 0 ? opts.idempotentResultTtlMs : this.defaultResultTtlMs;
      const entry: CachedResult = { key: resultKey, position: { ...result.position }, expiresAt: now + ttl };
      this.results.set(resultKey, entry);
      this.resultExpiry.push(entry.expiresAt, entry);
    }
    return result;
  }

  async history(channel: string, filter: HistoryFilter, opts: HistoryOptions): Promise<HistoryResult> {
    this.checkOpen();
    validateHistoryFilter(filter);
    const now = this.clock.now();
    // A read creates the stream meta when missing, so the epoch handed out here stays valid for
    // later appends (a subscriber positioned on an empty channel keeps its position).
    const s = this.liveStream(channel, now) ?? this.createStream(channel);
    this.touchMeta(s, now, opts.metaTtlMs);
    const position: StreamPosition = { offset: s.top, epoch: s.epoch };
    const since = filter.since;
    if (since && since.epoch !== '' && since.epoch !== s.epoch) throw new UnrecoverablePositionError(position);
    return { position, publications: this.select(s, filter) };
  }

  async removeHistory(channel: string): Promise<void> {
    this.checkOpen();
    const s = this.liveStream(channel, this.clock.now());
    if (s) clearPubs(s);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.streams.clear();
    this.results.clear();
    this.metaExpiry.clear();
    this.pubsExpiry.clear();
    this.resultExpiry.clear();
  }

  /** Drops everything expired at the clock's current time. The background timer calls it; tests may too. */
  sweep(): void {
    const now = this.clock.now();
    for (let e = this.metaExpiry.popDue(now); e; e = this.metaExpiry.popDue(now)) {
      const s = e.value;
      s.metaQueued = false;
      if (this.streams.get(s.channel) !== s) continue;
      if (s.metaExpiresAt <= now) this.streams.delete(s.channel);
      else {
        s.metaQueued = true;
        this.metaExpiry.push(s.metaExpiresAt, s);
      }
    }
    for (let e = this.pubsExpiry.popDue(now); e; e = this.pubsExpiry.popDue(now)) {
      const s = e.value;
      s.pubsQueued = false;
      if (this.streams.get(s.channel) !== s) continue;
      if (s.pubsExpireAt <= now) clearPubs(s);
      else {
        s.pubsQueued = true;
        this.pubsExpiry.push(s.pubsExpireAt, s);
      }
    }
    for (let e = this.resultExpiry.popDue(now); e; e = this.resultExpiry.popDue(now)) {
      if (this.results.get(e.value.key) === e.value) this.results.delete(e.value.key);
    }
  }

  /** What the store holds right now (for memory-bound checks and metrics). */
  stats(): { channels: number; publications: number; idempotencyKeys: number } {
    let publications = 0;
    for (const s of this.streams.values()) publications += liveCount(s);
    return { channels: this.streams.size, publications, idempotencyKeys: this.results.size };
  }

  private select(s: Stream, filter: HistoryFilter): StoredPublication[] {
    const count = liveCount(s);
    if (filter.limit === 0 || count === 0) return [];
    const first = s.top - BigInt(count) + 1n;
    const at = (offset: bigint): StoredPublication => s.pubs[s.head + Number(offset - first)]!;
    const max = filter.limit < 0 ? count : Math.min(filter.limit, count);
    const out: StoredPublication[] = [];
    const since = filter.since;
    if (!filter.reverse) {
      let start = first;
      if (since) {
        if (since.offset >= s.top) return [];
        start = since.offset + 1n > first ? since.offset + 1n : first;
      }
      for (let o = start; o <= s.top && out.length < max; o++) out.push(at(o));
    } else {
      let start = s.top;
      if (since) {
        start = since.offset - 1n;
        // As centrifuge's memory stream: a start that is not in history yields nothing.
        if (start > s.top || start < first) return [];
      }
      for (let o = start; o >= first && out.length < max; o--) out.push(at(o));
    }
    return out;
  }

  private liveStream(channel: string, now: number): Stream | undefined {
    const s = this.streams.get(channel);
    if (!s) return undefined;
    if (s.metaExpiresAt <= now) {
      this.streams.delete(channel);
      return undefined;
    }
    if (s.pubsExpireAt <= now && liveCount(s) > 0) clearPubs(s);
    return s;
  }

  private createStream(channel: string): Stream {
    const s: Stream = {
      channel,
      epoch: generateEpoch(),
      top: 0n,
      pubs: [],
      head: 0,
      version: 0n,
      versionEpoch: '',
      metaExpiresAt: Infinity,
      pubsExpireAt: Infinity,
      metaQueued: false,
      pubsQueued: false,
    };
    this.streams.set(channel, s);
    return s;
  }

  private touchMeta(s: Stream, now: number, metaTtlMs: number): void {
    const ttl = metaTtlMs > 0 ? metaTtlMs : this.defaultMetaTtlMs;
    s.metaExpiresAt = now + ttl;
    if (!s.metaQueued) {
      s.metaQueued = true;
      this.metaExpiry.push(s.metaExpiresAt, s);
    }
  }

  private freeze(pub: Omit<StoredPublication, 'offset'>, offset: bigint, now: number): StoredPublication {
    const stored: StoredPublication = { ...pub, offset, time: pub.time ?? BigInt(now) };
    return Object.freeze(stored);
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError('history store');
  }
}
