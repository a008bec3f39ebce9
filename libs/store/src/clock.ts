// Time source for TTLs. Stores take a Clock so tests can move time instead of sleeping.

export interface Clock {
  /** Milliseconds since the Unix epoch. Must never go backwards. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (tests). */
export class ManualClock implements Clock {
  constructor(private current: number = Date.UTC(2025, 0, 1)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('a clock only moves forward');
    this.current += ms;
  }
}
