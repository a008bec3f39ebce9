import type { FlagSpec } from '../cli_args.js';

const b = (key: string): FlagSpec => ({ name: key, type: 'bool', configKey: key });
const s = (key: string, short?: string): FlagSpec => ({ name: key, type: 'string', configKey: key, ...(short ? { short } : {}) });

/** The flags of Centrifugo's root command (server.md §2.3), plus Gyre's `--services`. */
export const serveFlags: FlagSpec[] = [
  { name: 'config', short: 'c', type: 'string' },
  s('http_server.port', 'p'),
  s('http_server.address', 'a'),
  s('http_server.internal_address'),
  s('http_server.internal_port'),
  s('pid_file'),
  s('log.level'),
  s('log.file'),
  s('engine.type'),
  b('broker.enabled'),
  s('broker.type'),
  b('presence_manager.enabled'),
  s('presence_manager.type'),
  s('map_broker.type'),
  b('debug.enabled'),
  b('admin.enabled'),
  b('admin.external'),
  b('admin.insecure'),
  b('client.insecure'),
  b('http_api.insecure'),
  b('http_api.external'),
  b('prometheus.enabled'),
  b('health.enabled'),
  b('swagger.enabled'),
  b('init.enabled'),
  b('grpc_api.enabled'),
  s('grpc_api.port'),
  b('uni_grpc.enabled'),
  s('uni_grpc.port'),
  b('uni_websocket.enabled'),
  b('uni_sse.enabled'),
  b('uni_http_stream.enabled'),
  b('sse.enabled'),
  b('http_stream.enabled'),
  // Gyre: run a subset of the services in this process (cluster mode), comma-separated.
  { name: 'services', type: 'string', configKey: 'gyre.services' },
];
