/**
 * edge: holds client connections. The client protocol (issue: client protocol v2) is built here;
 * this file is the service's entry point, called by the composing `gyre` process.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { Bus } from '@gyre/bus';
import type { GyreConfig } from '@gyre/config';
import type { Logger, Metrics, ServiceHandle } from '@gyre/observability';

export interface EdgeDeps {
  config: GyreConfig;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  app: TemplatedApp;
  nodeId: string;
  nodeName: string;
}

export async function startEdge(deps: EdgeDeps): Promise<ServiceHandle> {
  deps.metrics.nodeNumClients.set(0);
  return {
    name: 'edge',
    async stop() {},
  };
}
