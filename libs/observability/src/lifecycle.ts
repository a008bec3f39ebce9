/**
 * What every service returns when started. The composing process (services/gyre) stops services in
 * reverse start order: edges first, so clients are told 3001 (shutdown) and reconnect elsewhere
 * while the state and api services still answer.
 */
export interface ServiceHandle {
  readonly name: string;
  /**
   * Stops accepting new work, finishes or hands back what is in flight, releases resources.
   * Must resolve before `deadline` (a Date.now() timestamp) or give up what is left by then.
   */
  stop(deadline: number): Promise<void>;
}

/** The service names `gyre serve --services` accepts, in start order. */
export const SERVICE_NAMES = ['presence-history', 'proxy-dispatcher', 'api', 'edge'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
