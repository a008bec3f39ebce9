/**
 * The scenarios of issue 7, in full and `--quick` sizes. Offered loads are fixed (open loop) and the
 * same for every target, sized so that every target can carry them on one pinned core: the figure
 * compared is server CPU per delivered message, not who saturates first.
 */
import type { SubscriptionPlan } from '../loadgen/ipc.js';

export type ScenarioGroup = 'fanout' | 'channels' | 'idle' | 'connect' | 'latency';
export const GROUPS: readonly ScenarioGroup[] = ['fanout', 'channels', 'idle', 'connect', 'latency'];

/** Which number a scenario is judged by (lower is better for all of them). */
export type PrimaryMetric = 'cpuUsPerMsg' | 'rssPerConn' | 'cpuUsPerConnect' | 'p99Ms';

export interface PublishSpec {
  method: 'publish' | 'broadcast';
  /** API calls per second. */
  rate: number;
  channelsPerCall: number;
  payloadBytes: number;
  warmupMs: number;
  steadyMs: number;
}

export interface Scenario {
  /** Unique name, e.g. fanout-1k. */
  name: string;
  group: ScenarioGroup;
  title: string;
  connections: number;
  plan: SubscriptionPlan;
  /** Subscribers of each channel (for expected deliveries). */
  subscribersPerChannel: number;
  publish: PublishSpec | null;
  /** Idle measurement window after connecting (idle scenario). */
  idleMs: number;
  /** Connection set-ups in flight per worker. */
  concurrency: number;
  primary: PrimaryMetric;
}

export interface ScenarioOptions {
  quick: boolean;
  /** Connections one server process can hold (open-file limit minus a margin). */
  maxConnections: number;
}

const k = (n: number): string => (n >= 1000 ? `${n / 1000}k` : String(n));

function fanout(subs: number, deliveredPerSec: number, o: ScenarioOptions): Scenario {
  const n = Math.min(subs, o.maxConnections);
  return {
    name: `fanout-${k(subs)}`,
    group: 'fanout',
    title: `fan-out: 1 channel × ${n.toLocaleString('en-US')} subscribers, 100-byte payload`,
    connections: n,
    plan: { perConn: 1, count: 1, prefix: 'fan' },
    subscribersPerChannel: n,
    publish: {
      method: 'publish',
      rate: deliveredPerSec / n,
      channelsPerCall: 1,
      payloadBytes: 100,
      warmupMs: o.quick ? 2_000 : 5_000,
      steadyMs: o.quick ? 6_000 : 20_000,
    },
    idleMs: 0,
    concurrency: 200,
    primary: 'cpuUsPerMsg',
  };
}

/** The scenarios of a group at the requested size. */
export function scenarios(group: ScenarioGroup, o: ScenarioOptions): Scenario[] {
  const q = o.quick;
  switch (group) {
    case 'fanout':
      // 100 → 10k subscribers at the same delivered rate: the cost per message should stay flat.
      return [fanout(100, 20_000, o), fanout(1_000, 20_000, o), fanout(10_000, 20_000, o)];
    case 'channels': {
      const channels = q ? 2_000 : 10_000;
      return [{
        name: 'channels',
        group,
        title: `many channels: ${channels.toLocaleString('en-US')} channels × 2 subscribers (broadcast, 100 channels per call)`,
        // Each connection subscribes to two channels, so every channel gets exactly two subscribers.
        connections: channels,
        plan: { perConn: 2, count: channels, prefix: 'mc' },
        subscribersPerChannel: 2,
        publish: { method: 'broadcast', rate: 100, channelsPerCall: 100, payloadBytes: 100, warmupMs: q ? 2_000 : 5_000, steadyMs: q ? 6_000 : 20_000 },
        idleMs: 0,
        concurrency: 200,
        primary: 'cpuUsPerMsg',
      }];
    }
    case 'idle': {
      const n = Math.min(q ? 5_000 : 20_000, o.maxConnections);
      return [{
        name: 'idle',
        group,
        title: `idle memory: ${n.toLocaleString('en-US')} connections, one subscription each`,
        connections: n,
        plan: { perConn: 1, count: n, prefix: 'user' },
        subscribersPerChannel: 1,
        publish: null,
        idleMs: q ? 8_000 : 30_000,
        concurrency: 200,
        primary: 'rssPerConn',
      }];
    }
    case 'connect': {
      const n = Math.min(q ? 3_000 : 10_000, o.maxConnections);
      return [{
        name: 'connect',
        group,
        title: `connect storm: ${n.toLocaleString('en-US')} JWT connects, 200 in flight per worker`,
        connections: n,
        plan: { perConn: 0, count: 1, prefix: 'none' },
        subscribersPerChannel: 0,
        publish: null,
        idleMs: 0,
        concurrency: 200,
        primary: 'cpuUsPerConnect',
      }];
    }
    case 'latency':
      return [{
        name: 'latency',
        group,
        title: 'latency: 20k delivered msgs/s with history on (50 channels × 20 subscribers, 1,000 publishes/s)',
        connections: 1_000,
        plan: { perConn: 1, count: 50, prefix: 'hist:lat' },
        subscribersPerChannel: 20,
        publish: { method: 'publish', rate: 1_000, channelsPerCall: 1, payloadBytes: 100, warmupMs: q ? 2_000 : 5_000, steadyMs: q ? 8_000 : 30_000 },
        idleMs: 0,
        concurrency: 200,
        primary: 'p99Ms',
      }];
  }
}

export function offeredPerSec(s: Scenario): number {
  return s.publish ? s.publish.rate * s.publish.channelsPerCall * s.subscribersPerChannel : 0;
}
