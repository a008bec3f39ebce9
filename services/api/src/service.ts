/**
 * api: the server HTTP and GRPC API (issue: server API). Entry point called by the composing
 * `gyre` process; it talks to the other services only through the bus.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { Bus } from '@gyre/bus';
import type { GyreConfig } from '@gyre/config';
import type { Logger, ServiceHandle } from '@gyre/observability';

export interface ApiDeps {
  config: GyreConfig;
  bus: Bus;
  logger: Logger;
  app: TemplatedApp;
}

export async function startApi(_deps: ApiDeps): Promise<ServiceHandle> {
  return {
    name: 'api',
    async stop() {},
  };
}
