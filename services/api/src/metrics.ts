/**
 * Server API metrics with Centrifugo's names and labels (server.md §4.2):
 * - centrifugo_api_command_duration_seconds_histogram{protocol, method}
 * - centrifugo_api_command_errors_total{protocol, method, error}
 *
 * Label values are bounded: `protocol` is http / grpc, `method` is one of the API method names
 * (unknown names are counted as "unknown", never echoed), `error` is a numeric API code or one of
 * read_body / unmarshal / marshal.
 */
import type { Metrics } from '@gyre/observability';

export type ApiProtocol = 'http' | 'grpc';

export type TransportErrorLabel = 'read_body' | 'unmarshal' | 'marshal';

/** Every value the `method` label may take. */
export const METRIC_METHODS: ReadonlySet<string> = new Set([
  'batch', 'publish', 'broadcast', 'broadcast_publish', 'subscribe', 'unsubscribe', 'disconnect', 'refresh',
  'presence', 'presence_stats', 'history', 'history_remove', 'channels', 'info', 'rpc',
  'map_publish', 'map_remove', 'map_read_state', 'map_read_stream', 'map_stats', 'map_clear', 'shared_poll_publish',
  'unknown',
]);

export interface ApiMetrics {
  observe(protocol: ApiProtocol, method: string, seconds: number): void;
  error(protocol: ApiProtocol, method: string, error: number | TransportErrorLabel): void;
}

function bounded(method: string): string {
  return METRIC_METHODS.has(method) ? method : 'unknown';
}

export function apiMetrics(metrics: Metrics | undefined): ApiMetrics {
  if (!metrics) return { observe() {}, error() {} };
  return {
    observe(protocol, method, seconds) {
      metrics.apiCommandDuration.observe({ protocol, method: bounded(method) }, seconds);
    },
    error(protocol, method, error) {
      metrics.apiCommandErrors.inc({ protocol, method: bounded(method), error: String(error) });
    },
  };
}
