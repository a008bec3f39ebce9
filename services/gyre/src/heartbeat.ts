/**
 * The `gyre.node` heartbeat of a process that runs neither an edge nor an api (a presence-history
 * or proxy-dispatcher pod). Those two services announce their own process; without this, such
 * processes would be missing from the server API `info` (Centrifugo lists every node).
 * Same cadence as Centrifugo: every 3 s; NodeShutdown on `gyre.ctl` when stopping, so `info`
 * drops the node at once instead of after the 7 s silence.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { Bus } from '@gyre/bus';
import type { Logger } from '@gyre/observability';
import { bus as busPb } from '@gyre/protocol';

export const HEARTBEAT_INTERVAL_MS = 3000;

export interface ProcessHeartbeatOptions {
  bus: Bus;
  prefix: string;
  logger: Logger;
  nodeId: string;
  nodeName: string;
  version: string;
  services: readonly string[];
  intervalMs?: number;
}

export function startProcessHeartbeat(o: ProcessHeartbeatOptions): { stop(): void } {
  const startedAt = Date.now();
  const send = (subject: string, bytes: Uint8Array) => {
    try {
      o.bus.publish(subject, bytes);
    } catch (err) {
      o.logger.debug({ err, subject }, 'heartbeat not sent');
    }
  };
  const beat = () => send(`${o.prefix}.node`, toBinary(busPb.NodeInfoSchema, create(busPb.NodeInfoSchema, {
    uid: o.nodeId,
    name: o.nodeName,
    version: o.version,
    services: [...o.services],
    uptime: Math.floor((Date.now() - startedAt) / 1000),
    sentAtMs: BigInt(Date.now()),
  })));
  beat();
  const timer = setInterval(beat, o.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      send(`${o.prefix}.ctl`, toBinary(busPb.ControlSchema, create(busPb.ControlSchema, {
        originNode: o.nodeId,
        sentAtMs: BigInt(Date.now()),
        command: { case: 'shutdown', value: create(busPb.NodeShutdownSchema, { nodeUid: o.nodeId }) },
      })));
    },
  };
}
