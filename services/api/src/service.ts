/**
 * api: the server HTTP and GRPC API (issue 4), called by the composing `gyre` process. It talks to
 * the other services only through the bus:
 * - publications and history / presence reads go to presence-history (`<prefix>.state.*`) or
 *   straight to the channel subject (`<prefix>.ch.<token>`) for channels without history;
 * - server-side subscribe / unsubscribe / disconnect / refresh go to every edge on `<prefix>.ctl`;
 * - `info` comes from the NodeInfo heartbeats on `<prefix>.node`; `channels` is a survey of the
 *   edges on `<prefix>.node.channels`.
 *
 * The HTTP routes are mounted on the uWS app handed over (the internal listener, or the external
 * one with `http_api.external`) unless `http_api.disabled`; GRPC listens on its own port when
 * `grpc_api.enabled`.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { Bus } from '@gyre/bus';
import type { GyreConfig } from '@gyre/config';
import type { Health, Logger, Metrics, ServiceHandle } from '@gyre/observability';
import { BusHistoryStore, BusPresenceStore, type HistoryStore, type PresenceStore } from '@gyre/store';
import { ChannelsSurveyor } from './channels_survey.js';
import { ControlPublisher } from './control.js';
import { Executor, type Publisher } from './executor.js';
import { startGrpcApi, type GrpcApiHandle } from './grpc_server.js';
import { mountHttpApi } from './http_transport.js';
import { apiMetrics } from './metrics.js';
import { NodeRegistry } from './node_registry.js';

export interface ApiDeps {
  config: GyreConfig;
  bus: Bus;
  logger: Logger;
  /** The uWS app to mount the HTTP API on. */
  app: TemplatedApp;
  metrics?: Metrics;
  health?: Health;
  nodeId?: string;
  nodeName?: string;
  /** Reported by `info` for this process until its heartbeat says otherwise. */
  version?: string;
  /** Stores to use instead of the presence-history service over the bus (tests, embedding). */
  stores?: { history: HistoryStore & Publisher; presence: PresenceStore };
  /** Channels survey timeout (default 10 s). */
  surveyTimeoutMs?: number;
}

export interface ApiHandle extends ServiceHandle {
  /** The bound GRPC port, when the GRPC API is enabled. */
  readonly grpcPort: number | null;
}

async function versionFrom(metrics: Metrics | undefined): Promise<string> {
  if (!metrics) return '';
  const build = await metrics.nodeBuild.get();
  const v = build.values[0]?.labels['version'];
  return typeof v === 'string' ? v : '';
}

export async function startApi(deps: ApiDeps): Promise<ApiHandle> {
  const { config, bus, logger } = deps;
  const prefix = config.gyre.bus.subject_prefix;
  const nodeId = deps.nodeId ?? 'api';
  const services = config.gyre.services as string[];
  const metrics = apiMetrics(deps.metrics);
  const stateOpts = { bus, prefix };
  const ownStores = !deps.stores;
  const history = deps.stores?.history ?? new BusHistoryStore(stateOpts);
  const presence = deps.stores?.presence ?? new BusPresenceStore(stateOpts);

  const registry = new NodeRegistry({
    bus,
    prefix,
    logger,
    metrics: deps.metrics,
    nodeId,
    nodeName: deps.nodeName ?? nodeId,
    version: deps.version ?? (await versionFrom(deps.metrics)),
    services,
    // A local edge announces this process; without one, api does.
    sendHeartbeat: !services.includes('edge'),
  });
  registry.start();

  const executor = new Executor({
    config,
    publisher: history,
    history,
    presence,
    control: new ControlPublisher(bus, prefix, nodeId),
    nodes: registry,
    channels: new ChannelsSurveyor({ bus, prefix, logger, expectedReplies: () => registry.edgeCount(), timeoutMs: deps.surveyTimeoutMs }),
    logger,
    metrics,
  });

  if (!config.http_api.disabled) {
    mountHttpApi({ app: deps.app, config, executor, metrics, logger, draining: () => deps.health?.draining ?? false });
  }

  let grpc: GrpcApiHandle | null = null;
  if (config.grpc_api.enabled) {
    try {
      grpc = await startGrpcApi({ config, executor, metrics, logger });
    } catch (err) {
      registry.stop();
      throw err;
    }
  }

  return {
    name: 'api',
    grpcPort: grpc?.port ?? null,
    async stop(deadline: number) {
      registry.stop();
      if (grpc) await grpc.stop(deadline);
      if (ownStores) {
        await history.close();
        await presence.close();
      }
    },
  };
}
