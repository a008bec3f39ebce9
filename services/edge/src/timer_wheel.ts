/**
 * A coarse hashed timer wheel: one interval timer for the whole edge instead of a timer per
 * connection. Each connection keeps at most one entry, its next deadline (ping to send, pong to
 * wait for, stale / expiry checks); when that deadline passes the wheel calls `onWheel(now)` and
 * the connection schedules its next one.
 *
 * What must hold:
 * - An entry fires no earlier than its due time and at most one tick (`tickMs`) late, unless the
 *   event loop itself is late.
 * - Scheduling replaces the previous deadline of the entry; cancel removes it. Both are O(1).
 * - Due times beyond one revolution (slots × tickMs) are fine: the entry is skipped on the early
 *   visits and fires on the visit after its due time.
 * - onWheel may reschedule or cancel any entry, including itself.
 */

export interface WheelEntry {
  /** Slot the entry sits in, -1 when not scheduled. Owned by the wheel. */
  wheelSlot: number;
  /** Due time (ms since the epoch). Owned by the wheel. */
  wheelDue: number;
  onWheel(now: number): void;
}

export class TimerWheel {
  private readonly slots: Set<WheelEntry>[];
  private readonly timer: NodeJS.Timeout;
  /** Index (absolute tick number) of the next tick to process. */
  private nextTick: number;
  private size = 0;
  private advancing = false;

  constructor(
    readonly tickMs: number,
    slotCount = 4096,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.slots = Array.from({ length: slotCount }, () => new Set<WheelEntry>());
    this.nextTick = Math.floor(this.now() / tickMs);
    this.timer = setInterval(() => this.advance(), tickMs);
    this.timer.unref();
  }

  /** Number of scheduled entries. */
  get scheduled(): number {
    return this.size;
  }

  schedule(entry: WheelEntry, dueAt: number): void {
    this.cancel(entry);
    // Never schedule into a tick already processed (nor, from inside onWheel, into the tick being
    // processed, which could fire the entry again in the same pass): the earliest is the next one.
    const tick = Math.max(Math.floor(dueAt / this.tickMs), this.advancing ? this.nextTick + 1 : this.nextTick);
    const slot = tick % this.slots.length;
    entry.wheelSlot = slot;
    entry.wheelDue = dueAt;
    this.slots[slot]!.add(entry);
    this.size++;
  }

  cancel(entry: WheelEntry): void {
    if (entry.wheelSlot < 0) return;
    if (this.slots[entry.wheelSlot]!.delete(entry)) this.size--;
    entry.wheelSlot = -1;
  }

  /** Processes every tick up to now. Public for tests; normally driven by the interval. */
  advance(): void {
    const now = this.now();
    // Only ticks that are entirely in the past: every entry filed under them is due.
    const last = Math.floor(now / this.tickMs) - 1;
    // After a long stall, visit each slot at most once.
    if (last - this.nextTick >= this.slots.length) this.nextTick = last - this.slots.length + 1;
    this.advancing = true;
    try {
      this.visit(now, last);
    } finally {
      this.advancing = false;
    }
  }

  private visit(now: number, last: number): void {
    for (; this.nextTick <= last; this.nextTick++) {
      const slot = this.slots[this.nextTick % this.slots.length]!;
      if (slot.size === 0) continue;
      for (const entry of slot) {
        if (entry.wheelDue > now) continue;
        slot.delete(entry);
        this.size--;
        entry.wheelSlot = -1;
        try {
          entry.onWheel(now);
        } catch (err) {
          this.onError(err);
        }
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
