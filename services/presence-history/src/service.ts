/**
 * presence-history: the only owner of history and presence state. Other services reach it through
 * the bus only, on `<prefix>.state.<op>` in the queue group `presence-history` (clients:
 * BusHistoryStore / BusPresenceStore in @gyre/store), so any number of instances share the load and
 * a caller never knows where the state lives.
 *
 * Lifecycle: requests are handled concurrently; stop() unsubscribes first (NATS hands later
 * requests to the remaining instances), lets the requests in flight finish until the deadline, then
 * closes the stores it built.
 */
import type { Bus, BusMessage, BusSubscription } from '@gyre/bus';
import type { GyreConfig } from '@gyre/config';
import type { Health, Logger, Metrics, ServiceHandle } from '@gyre/observability';
import { STATE_QUEUE, stateSubject, stateWildcardSubject, type HistoryStore, type PresenceStore } from '@gyre/store';
import { StateHandler } from './handler.js';
import { createStores, storesOf, type Stores } from './stores.js';

export { STATE_QUEUE, stateSubject };

export interface PresenceHistoryDeps {
  config: GyreConfig;
  bus: Bus;
  logger: Logger;
  metrics?: Metrics;
  health?: Health;
  nodeId?: string;
  nodeName?: string;
  /**
   * Stores to serve instead of the ones `gyre.store` describes (tests, embedding). The caller keeps
   * ownership: stop() does not close them.
   */
  stores?: { history: HistoryStore; presence: PresenceStore };
  /** How long the readiness probe waits for the stores before staying silent (default 800 ms). */
  pingTimeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function startPresenceHistory(deps: PresenceHistoryDeps): Promise<ServiceHandle> {
  const { bus, logger, config } = deps;
  const prefix = config.gyre.bus.subject_prefix;
  const stores: Stores = deps.stores
    ? storesOf(deps.stores.history, deps.stores.presence, false)
    : await createStores(config, logger);
  const handler = new StateHandler({ history: stores.history, presence: stores.presence, bus, prefix, logger, metrics: deps.metrics });
  const head = stateSubject(prefix, '');
  const pingTimeoutMs = deps.pingTimeoutMs ?? 800;
  const inflight = new Set<Promise<void>>();

  const track = (work: Promise<void>): void => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  };

  const onMessage = (msg: BusMessage): void => {
    const op = msg.subject.slice(head.length);
    if (op === 'ping') {
      // Readiness: answer only when the stores answer, so a requester's probe times out (not
      // ready) while Redis is down. Any reply, even an empty one, means "ready".
      track(withTimeout(stores.ping(), pingTimeoutMs, 'store ping').then(
        () => void msg.respond(new Uint8Array(0)),
        (err: unknown) => logger.warn({ err }, 'store not answering: readiness probe left unanswered'),
      ));
      return;
    }
    track(handler.handle(op, msg.data).then(
      (reply) => {
        if (!msg.respond(reply)) logger.debug({ subject: msg.subject }, 'state request without reply subject');
      },
      // handle() never rejects; this is the last line of defence for the process.
      (err: unknown) => logger.error({ err, subject: msg.subject }, 'state request crashed'),
    ));
  };

  const subs: BusSubscription[] = [bus.queueSubscribe(stateWildcardSubject(prefix), STATE_QUEUE, onMessage)];
  logger.debug({ store: config.gyre.store.type, prefix }, 'presence-history started');

  let stopping: Promise<void> | undefined;
  return {
    name: 'presence-history',
    stop(deadline: number) {
      stopping ??= (async () => {
        for (const s of subs) s.unsubscribe();
        const left = Math.max(0, deadline - Date.now());
        if (inflight.size > 0) {
          await withTimeout(Promise.allSettled([...inflight]), left, 'in-flight state requests').catch((err: unknown) =>
            logger.warn({ err, inflight: inflight.size }, 'stopping with state requests in flight'),
          );
        }
        await stores.close();
        logger.debug('presence-history stopped');
      })();
      return stopping;
    },
  };
}
