/** Messages between the bench coordinator (run.ts) and its load-generator child processes. */
import type { Protocol, Totals } from './ws_conn.js';

/** Which channels connection `i` (global index) subscribes to. */
export interface SubscriptionPlan {
  /** Subscriptions per connection (0 = connect only). */
  perConn: number;
  /** Distinct channels; subscription j of connection i goes to channel (i * perConn + j) % count. */
  count: number;
  /** Channel name = prefix + index (e.g. "b", "hist:b"). */
  prefix: string;
}

export function channelOf(plan: SubscriptionPlan, conn: number, j: number): string {
  return plan.prefix + String((conn * plan.perConn + j) % plan.count);
}

export interface WorkerSetup {
  type: 'setup';
  host: string;
  port: number;
  path: string;
  protocol: Protocol;
  /** Global index of this worker's first connection, and how many it holds. */
  first: number;
  count: number;
  plan: SubscriptionPlan;
  /** Source addresses (127.x.y.z), `perAddress` connections each, in order. */
  localAddresses: string[];
  perAddress: number;
  /** HS256 secret for connection JWTs (user = userPrefix + global index). */
  hmacSecret: string;
  userPrefix: string;
  /** Connections being set up at once. */
  concurrency: number;
  /** How many connections of this worker sample latency (spread evenly). */
  samplers: number;
  /** Give up on a connection not ready after this long. */
  connectTimeoutMs: number;
  /** Hard limit: the worker exits by itself after this long whatever happens. */
  lifetimeMs: number;
}

export type ToWorker =
  | WorkerSetup
  | { type: 'go' }
  | { type: 'snapshot'; id: number }
  | { type: 'latency'; id: number; fromUs: number; toUs: number }
  | { type: 'close' };

export interface SetupResult {
  ok: number;
  failed: number;
  /** Failure reasons with counts (first few kinds). */
  reasons: Record<string, number>;
  /** Monotonic µs: first TCP connect started, last connection ready. */
  firstStartUs: number;
  lastReadyUs: number;
  /** Connect → connect-reply times, µs (sampled). */
  connectUs: number[];
}

export interface Snapshot {
  totals: Totals;
  /** Connections closed after they were ready, by reason. */
  dropped: number;
  dropReasons: Record<string, number>;
  atUs: number;
}

export type FromWorker =
  | { type: 'tokens'; ms: number }
  | { type: 'progress'; ok: number; failed: number }
  | ({ type: 'ready' } & SetupResult)
  | ({ type: 'snapshot'; id: number } & Snapshot)
  | { type: 'latency'; id: number; samples: number[] }
  | { type: 'fatal'; message: string };
