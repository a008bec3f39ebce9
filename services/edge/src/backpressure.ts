/**
 * Slow consumers (ARCHITECTURE.md "The hot path" 5): a connection holding more than
 * `client.queue_max_size` bytes of unsent data is closed with 3008 (slow), and nobody else waits
 * for it.
 *
 * Publications to a channel leave through uWS topic publish, which never reports per socket how
 * much it buffered. Three checks cover it:
 * - the hub looks at a channel's members every quarter queue size published on it (hub.ts
 *   countBackpressure): the exact bound for fan-out;
 * - Client.flush looks right after every direct send (replies, individually delivered
 *   publications);
 * - this sweep, the backstop for anything else: every SWEEP_INTERVAL_MS a slice of the
 *   connections, each connection once per SWEEP_ROUNDS intervals, one native call each.
 * uWS's own hard limit (twice the queue size, transport_ws.ts) caps the memory; a socket that hits
 * it is closed by uWS rather than silently skipped.
 */
import { Disconnect } from '@gyre/protocol';
import type { Registry } from './registry.js';

export const SWEEP_INTERVAL_MS = 250;
export const SWEEP_ROUNDS = 4;

export class BackpressureSweep {
  private readonly timer: NodeJS.Timeout;
  private round = 0;

  constructor(
    private readonly registry: Registry,
    private readonly queueMaxSize: number,
  ) {
    this.timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Checks every SWEEP_ROUNDS-th connection (by position), rotating the starting point. */
  sweep(): void {
    const start = this.round;
    this.round = (this.round + 1) % SWEEP_ROUNDS;
    let i = 0;
    let slow: Array<{ disconnect(d: typeof Disconnect.Slow): void }> | null = null;
    for (const c of this.registry.all) {
      if (i++ % SWEEP_ROUNDS !== start) continue;
      if (c.bufferedAmount() > this.queueMaxSize) (slow ??= []).push(c);
    }
    if (slow) for (const c of slow) c.disconnect(Disconnect.Slow);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
