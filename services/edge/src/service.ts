/**
 * edge: holds client connections and speaks the Centrifugo client protocol v2 over WebSocket
 * (issue 3), HTTP streaming and SSE with /emulation, and the unidirectional WebSocket, SSE, HTTP
 * stream and GRPC transports (issue 6; transport.ts says what a transport provides). Entry
 * point called by the composing `gyre` process; everything else is reached over the bus:
 * presence-history for history / presence / publishing (BusHistoryStore, BusPresenceStore),
 * channel subjects for fan-out (hub.ts), `<prefix>.ctl` for server-side control (control.ts),
 * `<prefix>.node` for the heartbeat (node_info.ts), `<prefix>.emu.<node>` for /emulation frames
 * of sessions held here (emulation.ts).
 *
 * Stop: stop admitting (503), announce draining (heartbeat + NodeShutdown), close every
 * connection with 3001 (shutdown) in batches spread over the first part of the drain window, then
 * release the bus subscriptions and timers.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { TemplatedApp } from 'uWebSockets.js';
import { createTokenVerifier } from '@gyre/auth';
import type { Bus } from '@gyre/bus';
import { resolveChannel, type GyreConfig } from '@gyre/config';
import type { Health, Logger, Metrics, ServiceHandle } from '@gyre/observability';
import { Disconnect, bus as busPb } from '@gyre/protocol';
import { BusHistoryStore, BusPresenceStore } from '@gyre/store';
import { BackpressureSweep } from './backpressure.js';
import { settingsFrom, type EdgeContext } from './context.js';
import { ControlHandler, controlSubject } from './control.js';
import { jsonEncoding, protobufEncoding } from './frames.js';
import { uniJsonEncoding, uniProtobufEncoding } from './frames_uni.js';
import { Hub } from './hub.js';
import { LocalTopics } from './local_topics.js';
import { EdgeMetrics } from './metrics.js';
import { NodeInfoPublisher } from './node_info.js';
import { PresenceTracker } from './presence.js';
import { Registry } from './registry.js';
import { TimerWheel } from './timer_wheel.js';
import { ConnectionGate, mountWebsocket } from './transport_ws.js';
import { Emulation } from './emulation.js';
import { mountHttpStream } from './transport_http_stream.js';
import { mountSse } from './transport_sse.js';
import { startUniGrpc } from './transport_uni_grpc.js';
import { mountUniHttpStream } from './transport_uni_http_stream.js';
import { mountUniSse } from './transport_uni_sse.js';
import { mountUniWebsocket } from './transport_uni_ws.js';

export interface EdgeDeps {
  config: GyreConfig;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  app: TemplatedApp;
  nodeId: string;
  nodeName: string;
  health?: Health;
  /** Server version reported in ConnectResult.version and NodeInfo. */
  version?: string;
  /** Timer wheel resolution in ms (default 50). */
  tickMs?: number;
  /** Heartbeat interval in ms (default 3000). */
  heartbeatMs?: number;
}

/** The running edge; `context` is exposed for tests and diagnostics. */
export interface EdgeHandle extends ServiceHandle {
  readonly context: EdgeContext;
  /** Port of the uni_grpc listener, null when it is off. */
  readonly uniGrpcPort: number | null;
}

/** Connections closed per batch while draining. */
const SHUTDOWN_BATCH = 500;
/** Longest time the 3001 disconnects are spread over. */
const SHUTDOWN_SPREAD_MAX_MS = 10_000;

export async function startEdge(deps: EdgeDeps): Promise<EdgeHandle> {
  const { config, bus, logger, app } = deps;
  const prefix = config.gyre.bus.subject_prefix;
  const settings = settingsFrom(config);
  const skip = config.client.insecure_skip_token_signature_verify;
  const connVerifier = createTokenVerifier(config.client.token, { insecureSkipSignatureVerify: skip });
  const subVerifier = config.client.subscription_token.enabled
    ? createTokenVerifier(config.client.subscription_token, { insecureSkipSignatureVerify: skip })
    : connVerifier;
  const history = new BusHistoryStore({ bus, prefix });
  const presence = new BusPresenceStore({ bus, prefix });
  const metrics = new EdgeMetrics(deps.metrics);
  const wheel = new TimerWheel(deps.tickMs ?? 50, 4096, Date.now, (err) => logger.error({ err }, 'timer wheel callback failed'));
  const registry = new Registry();
  const presenceTracker = new PresenceTracker(presence, bus, prefix, logger, settings.presenceUpdateIntervalMs);
  const localTopics = new LocalTopics();
  const hub = new Hub({
    app,
    local: localTopics,
    bus,
    prefix,
    logger,
    history,
    encodings: [jsonEncoding, protobufEncoding, uniJsonEncoding, uniProtobufEncoding],
    metaTtlMs: (channel) => resolveChannel(config, channel)?.options.history_meta_ttl ?? 0,
    queueMaxSize: settings.queueMaxSize,
    positionCheckDelayMs: settings.positionCheckDelayMs,
  });
  const ctx: EdgeContext = {
    config,
    settings,
    app,
    bus,
    prefix,
    logger,
    metrics,
    nodeId: deps.nodeId,
    nodeName: deps.nodeName,
    version: deps.version ?? '0.0.0',
    connVerifier,
    subVerifier,
    history,
    presence,
    hub,
    localTopics,
    registry,
    wheel,
    presenceTracker,
  };

  const gate = new ConnectionGate(() => registry.all.size, config.client.connection_limit, config.client.connection_rate_limit);
  mountWebsocket(app, ctx, gate);
  mountHttpStream(app, ctx, gate);
  mountSse(app, ctx, gate);
  mountUniWebsocket(app, ctx, gate);
  mountUniHttpStream(app, ctx, gate);
  mountUniSse(app, ctx, gate);
  const emulation = new Emulation(ctx);
  emulation.mount(app);
  emulation.start();
  let uniGrpc: Awaited<ReturnType<typeof startUniGrpc>>;
  try {
    uniGrpc = await startUniGrpc(ctx, () => gate.draining);
  } catch (err) {
    emulation.stop();
    wheel.stop();
    presenceTracker.stop();
    throw err;
  }
  const control = new ControlHandler(ctx);
  control.start();
  const nodeInfo = new NodeInfoPublisher(ctx, config.gyre.services, deps.heartbeatMs);
  nodeInfo.start();
  const sweep = new BackpressureSweep(registry, settings.queueMaxSize);
  metrics.bindNodeCounts(() => ({
    clients: registry.numClients,
    users: registry.numUsers,
    subscriptions: hub.numSubscriptions,
    channels: hub.channels.size,
  }));

  let stopping: Promise<void> | null = null;
  const stop = async (deadline: number): Promise<void> => {
    gate.draining = true;
    nodeInfo.draining = true;
    nodeInfo.beat();
    try {
      const ctl = create(busPb.ControlSchema, {
        originNode: deps.nodeId,
        sentAtMs: BigInt(Date.now()),
        command: { case: 'shutdown', value: create(busPb.NodeShutdownSchema, { nodeUid: deps.nodeId }) },
      });
      bus.publish(controlSubject(prefix), toBinary(busPb.ControlSchema, ctl));
    } catch (err) {
      logger.debug({ err }, 'node shutdown not announced');
    }
    // 3001 to everyone in batches. Many connections are spread over part of the drain window
    // (half of what is left, at most SHUTDOWN_SPREAD_MAX_MS), so that they do not all reconnect
    // to the other nodes in the same instant; a few go at once.
    const batches = Math.ceil(registry.all.size / SHUTDOWN_BATCH);
    const pause = batches > 1 ? Math.min(SHUTDOWN_SPREAD_MAX_MS, Math.max(0, (deadline - Date.now()) / 2)) / batches : 0;
    while (registry.all.size > 0 && Date.now() < deadline) {
      let n = 0;
      for (const c of [...registry.all]) {
        c.disconnect(Disconnect.Shutdown);
        if (++n >= SHUTDOWN_BATCH) break;
      }
      await new Promise<void>((resolve) => (pause >= 1 ? setTimeout(resolve, pause) : setImmediate(resolve)));
    }
    await uniGrpc?.stop(deadline);
    control.stop();
    emulation.stop();
    nodeInfo.stop();
    sweep.stop();
    wheel.stop();
    presenceTracker.stop();
    hub.closeAll();
    connVerifier.close();
    if (subVerifier !== connVerifier) subVerifier.close();
    await history.close();
    await presence.close();
  };

  return {
    name: 'edge',
    context: ctx,
    uniGrpcPort: uniGrpc?.port ?? null,
    stop(deadline: number) {
      stopping ??= stop(deadline);
      return stopping;
    },
  };
}
