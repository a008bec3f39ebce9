/**
 * proxy-dispatcher: calls the application backend for proxied client events (issue: event proxy).
 * Entry point called by the composing `gyre` process.
 */
import type { Bus } from '@gyre/bus';
import type { GyreConfig } from '@gyre/config';
import type { Logger, ServiceHandle } from '@gyre/observability';

export interface ProxyDispatcherDeps {
  config: GyreConfig;
  bus: Bus;
  logger: Logger;
}

export async function startProxyDispatcher(_deps: ProxyDispatcherDeps): Promise<ServiceHandle> {
  return {
    name: 'proxy-dispatcher',
    async stop() {},
  };
}
