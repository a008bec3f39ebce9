/**
 * Server API metrics with Centrifugo's names and labels (server.md §4.2):
 * - centrifugo_api_command_duration_seconds_histogram{protocol, method}
 * - centrifugo_api_command_errors_total{protocol, method, error}
 * and one of Gyre's own:
 * - gyre_api_request_size_bytes{protocol, method}: request body / message sizes.
 *
 * Label values are bounded: `protocol` is http / grpc, `method` is one of the API method names
 * (unknown names are counted as "unknown", never echoed), `error` is a numeric API code or one of
 * read_body / unmarshal / marshal.
 */
import { Histogram } from 'prom-client';
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
  requestSize(protocol: ApiProtocol, method: string, bytes: number): void;
}

const REQUEST_SIZE = 'gyre_api_request_size_bytes';

/** The request size histogram of a registry, created on first use (one per node registry). */
function requestSizeHistogram(metrics: Metrics): Histogram<'protocol' | 'method'> {
  const existing = metrics.registry.getSingleMetric(REQUEST_SIZE);
  if (existing) return existing as Histogram<'protocol' | 'method'>;
  return new Histogram({
    name: REQUEST_SIZE,
    help: 'Server API request sizes in bytes (HTTP bodies, GRPC messages).',
    labelNames: ['protocol', 'method'],
    buckets: [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
    registers: [metrics.registry],
  });
}

function bounded(method: string): string {
  return METRIC_METHODS.has(method) ? method : 'unknown';
}

export function apiMetrics(metrics: Metrics | undefined): ApiMetrics {
  if (!metrics) return { observe() {}, error() {}, requestSize() {} };
  const sizes = requestSizeHistogram(metrics);
  return {
    requestSize(protocol, method, bytes) {
      sizes.observe({ protocol, method: bounded(method) }, bytes);
    },
    observe(protocol, method, seconds) {
      metrics.apiCommandDuration.observe({ protocol, method: bounded(method) }, seconds);
    },
    error(protocol, method, error) {
      metrics.apiCommandErrors.inc({ protocol, method: bounded(method), error: String(error) });
    },
  };
}
