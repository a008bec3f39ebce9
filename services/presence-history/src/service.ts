/**
 * presence-history: the only owner of history and presence state. Other services reach it through
 * the bus only, on `<prefix>.state.<op>` in the queue group `presence-history`, so any number of
 * instances share the load and a caller never knows where the state lives.
 */
import type { Bus, BusSubscription } from '@gyre/bus';
import type { GyreConfig } from '@gyre/config';
import type { Logger, ServiceHandle } from '@gyre/observability';

export interface PresenceHistoryDeps {
  config: GyreConfig;
  bus: Bus;
  logger: Logger;
}

export const STATE_QUEUE = 'presence-history';

export function stateSubject(prefix: string, op: string): string {
  return `${prefix}.state.${op}`;
}

export async function startPresenceHistory(deps: PresenceHistoryDeps): Promise<ServiceHandle> {
  const prefix = deps.config.gyre.bus.subject_prefix;
  const subs: BusSubscription[] = [];
  // Readiness probe target: answers when this service and its store can work.
  subs.push(deps.bus.queueSubscribe(stateSubject(prefix, 'ping'), STATE_QUEUE, (msg) => {
    msg.respond(new Uint8Array(0));
  }));
  deps.logger.debug({ store: deps.config.gyre.store.type }, 'presence-history started');
  return {
    name: 'presence-history',
    async stop() {
      for (const s of subs) s.unsubscribe();
    },
  };
}
