/**
 * The cluster's nodes as the server API `info` method reports them, learnt from the NodeInfo
 * heartbeats every node publishes on `<prefix>.node` (Centrifugo: every 3 s; a node is dropped
 * after 7 s of silence, or at once when it announces NodeShutdown on `<prefix>.ctl`).
 *
 * Who sends heartbeats: the edge of a process sends its process's (it has the connection
 * counters). A process that runs api without an edge has nobody else to announce it, so the
 * registry sends that process's heartbeat itself (zero counters). Either way the heartbeat carries
 * the process's node id, so one process is one node.
 *
 * `nodes()` always lists this process: until its first heartbeat came round (right after start)
 * a local entry with zero counters stands in for it.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { Bus, BusSubscription } from '@gyre/bus';
import type { Logger, Metrics } from '@gyre/observability';
import { bus as busPb } from '@gyre/protocol';
import { controlSubject, nodeSubject } from './subjects.js';

export const HEARTBEAT_INTERVAL_MS = 3000;
export const NODE_TTL_MS = 7000;
const CLEANUP_INTERVAL_MS = 9000;

export interface NodeRegistryOptions {
  bus: Bus;
  prefix: string;
  logger: Logger;
  metrics?: Metrics | undefined;
  nodeId: string;
  nodeName: string;
  version: string;
  /** Services this process runs (config gyre.services). */
  services: readonly string[];
  /** Send this process's heartbeat (true when no local edge does). */
  sendHeartbeat: boolean;
  heartbeatIntervalMs?: number;
  nodeTtlMs?: number;
  now?: () => number;
}

interface Entry {
  info: busPb.NodeInfo;
  receivedAt: number;
}

export class NodeRegistry {
  private readonly nodes = new Map<string, Entry>();
  private readonly subs: BusSubscription[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly ttl: number;
  private draining = false;

  constructor(private readonly o: NodeRegistryOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
    this.ttl = o.nodeTtlMs ?? NODE_TTL_MS;
  }

  start(): void {
    const { bus, prefix, logger } = this.o;
    this.subs.push(bus.subscribe(nodeSubject(prefix), (msg) => {
      let info: busPb.NodeInfo;
      try {
        info = fromBinary(busPb.NodeInfoSchema, msg.data);
      } catch (err) {
        logger.warn({ err }, 'malformed NodeInfo heartbeat dropped');
        return;
      }
      this.add(info);
    }));
    this.subs.push(bus.subscribe(controlSubject(prefix), (msg) => {
      let ctl: busPb.Control;
      try {
        ctl = fromBinary(busPb.ControlSchema, msg.data);
      } catch {
        return; // not ours to judge; the edges log malformed control messages
      }
      if (ctl.command.case === 'shutdown') this.remove(ctl.command.value.nodeUid);
    }));
    if (this.o.sendHeartbeat) {
      this.heartbeat();
      const t = setInterval(() => this.heartbeat(), this.o.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
      t.unref();
      this.timers.push(t);
    }
    const c = setInterval(() => this.cleanup(), CLEANUP_INTERVAL_MS);
    c.unref();
    this.timers.push(c);
  }

  /** Records a heartbeat (exposed for tests and for the local heartbeat). */
  add(info: busPb.NodeInfo): void {
    if (!info.uid) return;
    this.nodes.set(info.uid, { info, receivedAt: this.now() });
    this.updateGauge();
  }

  remove(uid: string): void {
    if (this.nodes.delete(uid)) this.updateGauge();
  }

  /** Live nodes, this process first, then by name. */
  list(): busPb.NodeInfo[] {
    const now = this.now();
    const out: busPb.NodeInfo[] = [];
    let haveLocal = false;
    for (const { info, receivedAt } of this.nodes.values()) {
      if (now - receivedAt > this.ttl) continue;
      if (info.uid === this.o.nodeId) haveLocal = true;
      out.push(info);
    }
    if (!haveLocal) out.push(this.localInfo());
    out.sort((a, b) => (a.uid === this.o.nodeId ? -1 : b.uid === this.o.nodeId ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return out;
  }

  /** Live nodes running an edge: how many answers a channels survey waits for. */
  edgeCount(): number {
    const nodes = this.list();
    let n = 0;
    for (const info of nodes) {
      const local = info.uid === this.o.nodeId;
      if (info.services.includes('edge') || (local && this.o.services.includes('edge'))) n++;
    }
    return n;
  }

  /** Stops sending and listening; announces this node's departure when it sent heartbeats. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    if (this.o.sendHeartbeat && !this.draining) {
      this.draining = true;
      try {
        const ctl = create(busPb.ControlSchema, {
          originNode: this.o.nodeId,
          sentAtMs: BigInt(this.now()),
          command: { case: 'shutdown', value: create(busPb.NodeShutdownSchema, { nodeUid: this.o.nodeId }) },
        });
        this.o.bus.publish(controlSubject(this.o.prefix), toBinary(busPb.ControlSchema, ctl));
      } catch (err) {
        this.o.logger.debug({ err }, 'could not announce node shutdown');
      }
    }
  }

  private localInfo(): busPb.NodeInfo {
    return create(busPb.NodeInfoSchema, {
      uid: this.o.nodeId,
      name: this.o.nodeName,
      version: this.o.version,
      services: [...this.o.services],
      uptime: Math.floor((this.now() - this.startedAt) / 1000),
      sentAtMs: BigInt(this.now()),
    });
  }

  private heartbeat(): void {
    const info = this.localInfo();
    try {
      this.o.bus.publish(nodeSubject(this.o.prefix), toBinary(busPb.NodeInfoSchema, info));
    } catch (err) {
      this.o.logger.debug({ err }, 'heartbeat not sent');
    }
  }

  private cleanup(): void {
    const now = this.now();
    for (const [uid, { receivedAt }] of this.nodes) {
      if (now - receivedAt > this.ttl) this.nodes.delete(uid);
    }
    this.updateGauge();
  }

  private updateGauge(): void {
    this.o.metrics?.nodeNumNodes.set(this.list().length);
  }
}
