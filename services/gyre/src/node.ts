/**
 * One Gyre process: the services named in `gyre.services`, wired through one bus, behind one set of
 * HTTP listeners. In the embedded default every service runs here over the in-process bus and memory
 * stores; in a cluster each pod runs a subset over NATS and Redis. Either way services never call
 * each other directly: everything between them goes over the bus, so the two shapes differ only in
 * which Bus and stores are built here.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { GyreConfig } from '@gyre/config';
import { createBus, type Bus, type MemoryBusHub } from '@gyre/bus';
import { Health, createMetrics, type Logger, type Metrics, type ServiceHandle, type ServiceName, SERVICE_NAMES } from '@gyre/observability';
import { startEdge, type EdgeHandle } from '@gyre/edge';
import { startApi } from '@gyre/api';
import { startProxyDispatcher } from '@gyre/proxy-dispatcher';
import { startPresenceHistory, stateSubject } from '@gyre/presence-history';
import { createApp, listen, mountNotFound, mountOpsRoutes, type Listener } from './http_server.js';
import { VERSION } from './version.js';
import { startProcessHeartbeat } from './heartbeat.js';

export interface GyreNode {
  readonly id: string;
  readonly name: string;
  /** Port of the external listener (client connections). */
  readonly port: number;
  /** Port of the internal listener (API, metrics, health); equals `port` without `internal_port`. */
  readonly internalPort: number;
  readonly bus: Bus;
  readonly health: Health;
  readonly metrics: Metrics;
  readonly services: readonly ServiceName[];
  /** The edge service of this node, when it runs one (tests and diagnostics). */
  readonly edge: EdgeHandle | null;
  /** Graceful stop: not ready, stop accepting, stop services (edges tell clients 3001), close the bus. */
  shutdown(): Promise<void>;
}

export interface StartNodeOptions {
  logger: Logger;
  /**
   * With `gyre.bus.type` memory: the in-process hub to join instead of a new one, so several
   * nodes of one process form a cluster (tests; NATS plays this part between processes).
   */
  busHub?: MemoryBusHub;
}

export async function startNode(config: GyreConfig, { logger, busHub }: StartNodeOptions): Promise<GyreNode> {
  const wanted = new Set(config.gyre.services as string[]);
  const services = SERVICE_NAMES.filter((s) => wanted.has(s));
  const id = randomUUID();
  const port = Number(config.http_server.port);
  const name = config.node.name || `${hostname()}_${port}`;
  const metrics = createMetrics({ version: VERSION });
  const health = new Health();
  const prefix = config.gyre.bus.subject_prefix;

  const bus = await createBus(config.gyre.bus.type === 'nats'
    ? { type: 'nats', servers: config.gyre.bus.nats.url, name: `gyre-${name}` }
    : { type: 'memory', ...(busHub ? { hub: busHub } : {}) }).catch((err: unknown) => {
    // The process exits and its supervisor restarts it; the reason must say what was unreachable.
    throw new Error(`cannot connect to NATS at ${config.gyre.bus.nats.url} (gyre.bus.nats.url): ${err instanceof Error ? err.message : String(err)}`);
  });
  health.addCheck('bus', () => bus.flush());
  // The state service answers through the bus whether it runs here or in another pod.
  health.addCheck('store', async () => {
    await bus.request(stateSubject(prefix, 'ping'), new Uint8Array(0), { timeoutMs: 1000 });
  });

  const external = createApp();
  const separateInternal = config.http_server.internal_port !== '' && config.http_server.internal_port !== String(port);
  const internal = separateInternal ? createApp() : external;
  const common = { config, bus, logger, metrics, health, nodeId: id, nodeName: name };

  const started: ServiceHandle[] = [];
  let edge: EdgeHandle | null = null;
  const listeners: Listener[] = [];
  let heartbeat: { stop(): void } | null = null;
  const stopAll = async (deadline: number) => {
    for (const l of listeners) l.close();
    heartbeat?.stop();
    for (const s of [...started].reverse()) {
      try {
        await s.stop(deadline);
      } catch (err) {
        logger.error({ err, service: s.name }, 'service stop failed');
      }
    }
    await bus.close();
  };

  try {
    for (const service of services) {
      const log = logger.child({ service });
      switch (service) {
        case 'presence-history':
          started.push(await startPresenceHistory({ ...common, logger: log }));
          break;
        case 'proxy-dispatcher':
          started.push(await startProxyDispatcher({ ...common, logger: log }));
          break;
        case 'api':
          started.push(await startApi({ ...common, logger: log, app: config.http_api.external ? external : internal, version: VERSION }));
          break;
        case 'edge':
          edge = await startEdge({ ...common, logger: log, app: external, version: VERSION });
          started.push(edge);
          break;
      }
    }
    // Edges and api announce their process on `gyre.node`; any other process announces itself.
    if (!services.includes('edge') && !services.includes('api')) {
      heartbeat = startProcessHeartbeat({ bus, prefix, logger, nodeId: id, nodeName: name, version: VERSION, services });
    }
    mountOpsRoutes(internal, {
      health, metrics,
      healthEnabled: config.health.enabled, healthPrefix: config.health.handler_prefix,
      prometheusEnabled: config.prometheus.enabled, prometheusPrefix: config.prometheus.handler_prefix,
    });
    mountNotFound(external);
    if (separateInternal) mountNotFound(internal);

    const ext = await listen(external, config.http_server.address, port);
    listeners.push(ext);
    let internalPort = ext.port;
    if (separateInternal) {
      const int = await listen(internal, config.http_server.internal_address || config.http_server.address, Number(config.http_server.internal_port));
      listeners.push(int);
      internalPort = int.port;
    }
    logger.info({ node: name, id, services, port: ext.port, internal_port: internalPort, bus: config.gyre.bus.type, store: config.gyre.store.type, version: VERSION }, 'gyre started');

    let stopping: Promise<void> | null = null;
    return {
      id, name, port: ext.port, internalPort, bus, health, metrics, services, edge,
      shutdown() {
        stopping ??= (async () => {
          health.startDraining();
          await stopAll(Date.now() + config.shutdown.timeout);
          logger.info('gyre stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll(Date.now() + 5000).catch(() => {});
    throw err;
  }
}
