/**
 * Starts a whole Gyre node inside the calling process from a config object, for integration tests
 * (test/ at the repo root) and embedding. Same code path as `gyre serve`, minus the CLI.
 */
import { parseConfigText, type GyreConfig } from '@gyre/config';
import type { MemoryBusHub } from '@gyre/bus';
import { createLogger, silentLogger, type Logger } from '@gyre/observability';
import { startNode, type GyreNode } from './node.js';

export interface InProcessOptions {
  /** Dotted-key overrides, as CLI flags would give. */
  overrides?: Record<string, string>;
  /** Defaults to a silent logger; pass `createLogger(...)` to see logs. */
  logger?: Logger;
  /** Log level shortcut when no logger is given (e.g. 'debug' while writing a test). */
  logLevel?: string;
  /** Join this in-process bus hub (memory bus): nodes sharing one hub form a cluster. */
  busHub?: MemoryBusHub;
}

export interface InProcessGyre extends GyreNode {
  readonly config: GyreConfig;
  /** ws://127.0.0.1:<port>/connection/websocket */
  readonly wsUrl: string;
  /** http://127.0.0.1:<port> */
  readonly httpUrl: string;
  /** http://127.0.0.1:<internal port> (API, metrics, health) */
  readonly internalUrl: string;
}

export async function startGyreInProcess(configObject: Record<string, unknown>, opts: InProcessOptions = {}): Promise<InProcessGyre> {
  const { config } = parseConfigText(JSON.stringify(configObject), 'config.json', { overrides: opts.overrides ?? {} });
  const logger = opts.logger ?? (opts.logLevel ? createLogger({ level: opts.logLevel, pretty: false }) : silentLogger());
  const node = await startNode(config, { logger, ...(opts.busHub ? { busHub: opts.busHub } : {}) });
  return Object.assign(Object.create(node) as GyreNode, node, {
    config,
    wsUrl: `ws://127.0.0.1:${node.port}/connection/websocket`,
    httpUrl: `http://127.0.0.1:${node.port}`,
    internalUrl: `http://127.0.0.1:${node.internalPort}`,
  }) as InProcessGyre;
}
