import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  configKeys,
  defaultConfig,
  parseConfigText,
  type ChannelOptions,
  type GyreConfig,
  type GyreSection,
  type NamedProxyConfig,
  type NamespaceConfig,
  type ProxyConfig,
  type TlsConfig,
  type TokenConfig,
} from '../src/index.js';

function get(cfg: GyreConfig, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], cfg);
}

// Appendix A of the reference: key, default as the loaded value (durations in milliseconds).
const APPENDIX_A: Array<[string, unknown]> = [
  ['http_server.address', ''],
  ['http_server.port', 8000],
  ['http_server.internal_port', ''],
  ['http_server.tls.enabled', false],
  ['http_server.tls_autocert.http_addr', ':80'],
  ['log.level', 'info'],
  ['engine.type', 'memory'],
  ['engine.redis.prefix', 'centrifugo'],
  ['engine.redis.address', ['redis://127.0.0.1:6379']],
  ['engine.redis.connect_timeout', 1000],
  ['engine.redis.io_timeout', 4000],
  ['engine.redis.db', 0],
  ['engine.redis.presence_ttl', 60_000],
  ['broker.type', 'memory'],
  ['broker.nats.prefix', 'centrifugo'],
  ['broker.nats.url', 'nats://localhost:4222'],
  ['broker.nats.dial_timeout', 1000],
  ['broker.nats.raw_mode.channel_replacements', {}],
  ['broker.postgres.pool_size', 16],
  ['broker.postgres.num_shards', 8],
  ['broker.postgres.cleanup_interval', 60_000],
  ['broker.postgres.stream_retention', 86_400_000],
  ['broker.postgres.table_prefix', 'cf'],
  ['broker.postgres.outbox.poll_interval', 100],
  ['broker.postgres.partition_retention_days', 7],
  ['presence_manager.type', 'memory'],
  ['map_broker.type', 'memory'],
  ['map_broker.redis.cleanup_batch_size', 100],
  ['map_broker.postgres.ttl_check_interval', 1000],
  ['controller.postgres.pool_size', 8],
  ['controller.postgres.poll_interval', 50],
  ['controller.postgres.partition_retention_days', 1],
  ['client.allowed_origins', []],
  ['client.token.hmac_secret_key', ''],
  ['client.ping_interval', 25_000],
  ['client.pong_timeout', 8000],
  ['client.expired_close_delay', 25_000],
  ['client.expired_sub_close_delay', 25_000],
  ['client.stale_close_delay', 10_000],
  ['client.channel_limit', 128],
  ['client.queue_max_size', 1_048_576],
  ['client.presence_update_interval', 27_000],
  ['client.channel_position_check_delay', 40_000],
  ['client.user_connection_limit', 0],
  ['client.history_max_publication_limit', 300],
  ['client.recovery_max_publication_limit', 300],
  ['client.connect_code_to_unidirectional_disconnect.transforms', []],
  ['channel.namespaces', []],
  ['channel.history_meta_ttl', 720 * 3_600_000],
  ['channel.publication_data_format', ''],
  ['channel.max_length', 255],
  ['channel.private_prefix', '$'],
  ['channel.namespace_boundary', ':'],
  ['channel.user_boundary', '#'],
  ['channel.user_separator', ','],
  ['channel.without_namespace.subscribe_proxy_name', 'default'],
  ['channel.proxy.subscribe.timeout', 1000],
  ['rpc.without_namespace.proxy_name', 'default'],
  ['rpc.ping.method', 'ping'],
  ['rpc.namespace_boundary', ':'],
  ['proxies', []],
  ['http_api.handler_prefix', '/api'],
  ['http_api.error_mode', ''],
  ['grpc_api.port', 10000],
  ['consumers', []],
  ['websocket.handler_prefix', '/connection/websocket'],
  ['websocket.compression_level', 1],
  ['websocket.write_timeout', 1000],
  ['websocket.message_size_limit', 65536],
  ['sse.handler_prefix', '/connection/sse'],
  ['sse.max_request_body_size', 65536],
  ['http_stream.handler_prefix', '/connection/http_stream'],
  ['webtransport.message_size_limit', 65536],
  ['uni_sse.handler_prefix', '/connection/uni_sse'],
  ['uni_http_stream.max_request_body_size', 65536],
  ['uni_websocket.handler_prefix', '/connection/uni_websocket'],
  ['uni_websocket.write_timeout', 1000],
  ['uni_grpc.port', 11000],
  ['emulation.handler_prefix', '/emulation'],
  ['emulation.max_request_body_size', 65536],
  ['admin.enabled', false],
  ['admin.handler_prefix', ''],
  ['prometheus.handler_prefix', '/metrics'],
  ['health.handler_prefix', '/health'],
  ['swagger.handler_prefix', '/swagger'],
  ['debug.handler_prefix', '/debug/pprof'],
  ['init.handler_prefix', '/connection/init'],
  ['graphite.host', 'localhost'],
  ['graphite.port', 2003],
  ['graphite.prefix', 'centrifugo'],
  ['graphite.interval', 10_000],
  ['node.info_metrics_aggregate_interval', 60_000],
  ['shutdown.timeout', 30_000],
  ['pid_file', ''],
  ['enable_unreleased_features', false],
  // the gyre section
  ['gyre.bus.type', 'memory'],
  ['gyre.bus.nats.url', 'nats://127.0.0.1:4222'],
  ['gyre.bus.subject_prefix', 'gyre'],
  ['gyre.store.type', 'memory'],
  ['gyre.store.redis.address', 'redis://127.0.0.1:6379'],
  ['gyre.services', ['edge', 'api', 'proxy-dispatcher', 'presence-history']],
  ['gyre.http.max_request_body_size', 1_048_576],
];

test('defaults - match Appendix A key by key', () => {
  assert.ok(APPENDIX_A.length >= 30);
  const cfg = defaultConfig();
  for (const [key, expected] of APPENDIX_A) {
    assert.deepEqual(get(cfg, key), expected, key);
  }
});

// Item defaults apply inside array items once an item exists.
const ITEM_DEFAULTS: Array<[string, string, unknown]> = [
  ['channel.namespaces', 'subscribe_proxy_name', 'default'],
  ['channel.namespaces', 'map.publish_proxy_name', 'default'],
  ['rpc.namespaces', 'proxy_name', 'default'],
  ['proxies', 'timeout', 1000],
  ['consumers', 'kafka.max_poll_records', 100],
  ['consumers', 'kafka.fetch_max_wait', 500],
  ['consumers', 'kafka.method_header', 'centrifugo-method'],
  ['consumers', 'postgresql.partition_poll_interval', 300],
  ['consumers', 'nats_jetstream.url', 'nats://127.0.0.1:4222'],
  ['consumers', 'redis_stream.visibility_timeout', 30_000],
  ['consumers', 'aws_sqs.wait_time_time', 20_000],
  ['consumers', 'google_pub_sub.publication_data_mode.channels_attribute', 'centrifugo-channels'],
  ['consumers', 'azure_service_bus.publication_data_mode.tags_property_prefix', 'centrifugo-tag-'],
];

test('defaults - apply inside array items', () => {
  const { config } = parseConfigText(
    JSON.stringify({
      channel: { namespaces: [{ name: 'chat' }] },
      rpc: { namespaces: [{ name: 'users' }] },
      proxies: [{ name: 'backend', endpoint: 'http://localhost:3000/proxy' }],
      consumers: [{ name: 'outbox', type: 'postgresql' }],
    }),
    'config.json',
  );
  for (const [arrayKey, field, expected] of ITEM_DEFAULTS) {
    const item = (get(config, arrayKey) as unknown[])[0] as Record<string, unknown>;
    const value = field.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], item);
    assert.deepEqual(value, expected, `${arrayKey}[0].${field}`);
  }
});

test('defaults - zero values are refilled, as in Centrifugo', () => {
  const { config } = parseConfigText(
    JSON.stringify({
      http_server: { port: 0 },
      client: { channel_limit: 0, ping_interval: 0, allowed_origins: [] },
      channel: { private_prefix: '', history_meta_ttl: '0s' },
      engine: { redis: { address: [] } },
      gyre: { services: [] },
    }),
    'config.json',
  );
  assert.equal(config.http_server.port, 8000);
  assert.equal(config.client.channel_limit, 128);
  assert.equal(config.client.ping_interval, 25_000);
  assert.equal(config.channel.private_prefix, '$');
  assert.equal(config.channel.history_meta_ttl, 2_592_000_000);
  assert.deepEqual(config.engine.redis.address, ['redis://127.0.0.1:6379']);
  assert.deepEqual(config.gyre.services, ['edge', 'api', 'proxy-dispatcher', 'presence-history']);
  assert.deepEqual(config.client.allowed_origins, []);
});

test('defaults - -1 disables ping and pong instead of being refilled', () => {
  const { config } = parseConfigText('{"client": {"ping_interval": "-1s", "pong_timeout": -1}}', 'config.json');
  assert.equal(config.client.ping_interval, -1);
  assert.equal(config.client.pong_timeout, -1);
});

test('defaults - defaultConfig returns a fresh object each time', () => {
  const a = defaultConfig();
  a.client.channel_limit = 5;
  assert.equal(defaultConfig().client.channel_limit, 128);
});

test('configKeys - lists every key with type, default and env names', () => {
  const keys = configKeys();
  const byKey = new Map(keys.map((k) => [k.key, k]));
  assert.ok(keys.length > 400);
  assert.deepEqual(byKey.get('client.channel_limit'), {
    key: 'client.channel_limit',
    type: 'int',
    default: 128,
    env: ['CENTRIFUGO_CLIENT_CHANNEL_LIMIT', 'GYRE_CLIENT_CHANNEL_LIMIT'],
    doc: 'Maximum subscriptions per connection.',
  });
  assert.equal(byKey.get('channel.history_meta_ttl')?.default, '720h');
  assert.equal(byKey.get('channel.history_meta_ttl')?.type, 'duration (whole seconds)');
  assert.equal(byKey.get('engine.type')?.type, 'string ("memory" | "redis")');
  assert.deepEqual(byKey.get('gyre.bus.type')?.env, ['CENTRIFUGO_GYRE_BUS_TYPE', 'GYRE_GYRE_BUS_TYPE', 'GYRE_BUS_TYPE']);
  assert.deepEqual(byKey.get('channel.namespaces[].history_ttl')?.env, ['CENTRIFUGO_CHANNEL_NAMESPACES_<NAME>_HISTORY_TTL']);
  assert.equal(byKey.get('channel.namespaces')?.type, 'array of named objects');
  // Every key listed once.
  assert.equal(byKey.size, keys.length);
  // Every Appendix A sample key is listed.
  for (const [key] of APPENDIX_A) assert.ok(byKey.has(key), key);
});

test('types - GyreConfig uses the snake_case keys with loaded value types', () => {
  const c: GyreConfig = defaultConfig();
  // These assignments are checked by the type checker (npm run typecheck covers tests).
  const ping: number = c.client.ping_interval;
  const level: 'none' | 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' = c.log.level;
  const namespaces: NamespaceConfig[] = c.channel.namespaces;
  const token: TokenConfig = c.client.token;
  const tls: TlsConfig = c.http_server.tls;
  const proxy: ProxyConfig = c.channel.proxy.subscribe;
  const named: NamedProxyConfig[] = c.proxies;
  const options: ChannelOptions = c.channel.without_namespace;
  const gyre: GyreSection = c.gyre;
  const bus: 'memory' | 'nats' = c.gyre.bus.type;
  const headers: Record<string, string> = proxy.http.static_headers;
  c.client.insecure = true; // plain mutable data
  assert.equal(ping, 25_000);
  assert.equal(level, 'info');
  assert.deepEqual(namespaces, []);
  assert.equal(token.hmac_secret_key, '');
  assert.equal(tls.enabled, false);
  assert.deepEqual(named, []);
  assert.equal(options.subscribe_proxy_name, 'default');
  assert.equal(gyre.store.type, 'memory');
  assert.equal(bus, 'memory');
  assert.deepEqual(headers, {});
  assert.equal(c.client.insecure, true);
});
