import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, parseConfigText } from '../src/index.js';
import { convertString } from '../src/env.js';
import { keyValues } from '../src/schema_kit.js';

const FILE = JSON.stringify({
  client: { channel_limit: 64, token: { hmac_secret_key: 'from-file' } },
  channel: {
    namespaces: [
      { name: 'chat', history_size: 10, history_ttl: '60s' },
      { name: 'my-ns.v2', presence: false },
    ],
  },
  rpc: { namespaces: [{ name: 'users' }] },
  proxies: [{ name: 'backend-1', endpoint: 'http://localhost:3000', timeout: '1s' }],
});

function load(env: Record<string, string>, text = FILE, overrides?: Record<string, string>) {
  return parseConfigText(text, 'config.json', { env, ...(overrides ? { overrides } : {}) });
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

test('env - precedence is defaults < file < env < overrides', () => {
  assert.equal(load({}).config.client.channel_limit, 64);
  assert.equal(load({ CENTRIFUGO_CLIENT_CHANNEL_LIMIT: '32' }).config.client.channel_limit, 32);
  assert.equal(
    load({ CENTRIFUGO_CLIENT_CHANNEL_LIMIT: '32' }, FILE, { 'client.channel_limit': '16' }).config.client.channel_limit,
    16,
  );
  // a key the file does not set: default < env
  assert.equal(load({}).config.client.user_connection_limit, 0);
  assert.equal(load({ CENTRIFUGO_CLIENT_USER_CONNECTION_LIMIT: '3' }).config.client.user_connection_limit, 3);
});

test('env - GYRE_ wins over CENTRIFUGO_', () => {
  const { config } = load({ CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY: 'c', GYRE_CLIENT_TOKEN_HMAC_SECRET_KEY: 'g' });
  assert.equal(config.client.token.hmac_secret_key, 'g');
  // and an empty GYRE_ value does not hide a CENTRIFUGO_ one
  const second = load({ CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY: 'c', GYRE_CLIENT_TOKEN_HMAC_SECRET_KEY: '' });
  assert.equal(second.config.client.token.hmac_secret_key, 'c');
});

test('env - gyre section keys have a short GYRE_ form', () => {
  assert.equal(load({ GYRE_BUS_TYPE: 'nats' }).config.gyre.bus.type, 'nats');
  assert.equal(load({ GYRE_GYRE_BUS_TYPE: 'nats' }).config.gyre.bus.type, 'nats');
  assert.equal(load({ CENTRIFUGO_GYRE_BUS_TYPE: 'nats' }).config.gyre.bus.type, 'nats');
  assert.equal(load({ CENTRIFUGO_GYRE_BUS_TYPE: 'memory', GYRE_BUS_TYPE: 'nats' }).config.gyre.bus.type, 'nats');
  const c = load({ GYRE_STORE_REDIS_ADDRESS: 'redis://r:6380', GYRE_BUS_NATS_URL: 'nats://n:4223', GYRE_SERVICES: 'edge api' }).config;
  assert.equal(c.gyre.store.redis.address, 'redis://r:6380');
  assert.equal(c.gyre.bus.nats.url, 'nats://n:4223');
  assert.deepEqual(c.gyre.services, ['edge', 'api']);
});

test('env - an empty value counts as unset and is not reported', () => {
  const r = load({ CENTRIFUGO_CLIENT_CHANNEL_LIMIT: '', CENTRIFUGO_LOG_LEVEL: '' });
  assert.equal(r.config.client.channel_limit, 64);
  assert.equal(r.config.log.level, 'info');
  assert.deepEqual(r.warnings, []);
});

test('env - string, int and duration values convert', () => {
  const c = load({
    CENTRIFUGO_HTTP_SERVER_ADDRESS: '127.0.0.1',
    CENTRIFUGO_HTTP_SERVER_PORT: '9000',
    CENTRIFUGO_HTTP_SERVER_INTERNAL_PORT: '9001',
    CENTRIFUGO_CLIENT_PING_INTERVAL: '1m30s',
    CENTRIFUGO_CLIENT_PONG_TIMEOUT: '500ms',
    CENTRIFUGO_CHANNEL_HISTORY_META_TTL: '24h',
    CENTRIFUGO_WEBSOCKET_WRITE_TIMEOUT: '250us',
  }).config;
  assert.equal(c.http_server.address, '127.0.0.1');
  assert.equal(c.http_server.port, 9000);
  assert.equal(c.http_server.internal_port, '9001');
  assert.equal(c.client.ping_interval, 90_000);
  assert.equal(c.client.pong_timeout, 500);
  assert.equal(c.channel.history_meta_ttl, 86_400_000);
  assert.equal(c.websocket.write_timeout, 0.25);
});

test('env - booleans take Go ParseBool forms', () => {
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
    assert.equal(load({ CENTRIFUGO_CLIENT_INSECURE: v }).config.client.insecure, true, v);
  }
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
    assert.equal(load({ CENTRIFUGO_CLIENT_INSECURE: v }).config.client.insecure, false, v);
  }
  assert.equal(
    message(() => load({ CENTRIFUGO_CLIENT_INSECURE: 'yes' })),
    'environment variable CENTRIFUGO_CLIENT_INSECURE: client.insecure: expected boolean (true/false, 1/0, t/f), got "yes"',
  );
});

test('env - string lists are space-separated', () => {
  const c = load({ CENTRIFUGO_CLIENT_ALLOWED_ORIGINS: 'https://a.example  https://b.example\thttp://localhost:*' }).config;
  assert.deepEqual(c.client.allowed_origins, ['https://a.example', 'https://b.example', 'http://localhost:*']);
  const r = load({ CENTRIFUGO_ENGINE_REDIS_ADDRESS: 'redis://a:6379 redis://b:6379' }).config;
  assert.deepEqual(r.engine.redis.address, ['redis://a:6379', 'redis://b:6379']);
});

test('env - string maps are JSON objects with ${CENTRIFUGO_VAR_*} placeholders expanded', () => {
  const c = load({
    CENTRIFUGO_CHANNEL_PROXY_SUBSCRIBE_HTTP_STATIC_HEADERS: '{"X-Secret": "${CENTRIFUGO_VAR_SECRET}", "X-Static": "s"}',
    CENTRIFUGO_VAR_SECRET: 'hunter2',
  }).config;
  assert.deepEqual(c.channel.proxy.subscribe.http.static_headers, { 'X-Secret': 'hunter2', 'X-Static': 's' });
  assert.match(
    message(() => load({ CENTRIFUGO_BROKER_NATS_RAW_MODE_CHANNEL_REPLACEMENTS: '{"a": 1' })),
    /^environment variable CENTRIFUGO_BROKER_NATS_RAW_MODE_CHANNEL_REPLACEMENTS: broker\.nats\.raw_mode\.channel_replacements: invalid JSON at column 8: unexpected end of input$/,
  );
  assert.equal(
    message(() => load({ CENTRIFUGO_BROKER_NATS_RAW_MODE_CHANNEL_REPLACEMENTS: '["a"]' })),
    'environment variable CENTRIFUGO_BROKER_NATS_RAW_MODE_CHANNEL_REPLACEMENTS: broker.nats.raw_mode.channel_replacements: expected object of strings, got array',
  );
});

test('env - placeholders in file map values are expanded from the environment', () => {
  const text = JSON.stringify({ proxies: [{ name: 'p1', endpoint: 'https://x', http: { static_headers: { Authorization: 'Bearer ${CENTRIFUGO_VAR_TOKEN}', Plain: '${HOME}' } } }] });
  const { config, warnings } = load({ CENTRIFUGO_VAR_TOKEN: 'abc' }, text);
  assert.deepEqual(config.proxies[0]?.http.static_headers, { Authorization: 'Bearer abc', Plain: '${HOME}' });
  assert.deepEqual(warnings, []); // CENTRIFUGO_VAR_* is never "unknown"
  assert.equal(
    message(() => load({}, text)),
    'proxies[0].http.static_headers.Authorization: placeholder ${CENTRIFUGO_VAR_TOKEN} refers to an unset environment variable',
  );
});

test('env - key-values take a JSON object or a JSON list of {key, value}', () => {
  const node = keyValues();
  const ctx = { source: 'environment variable X', unknownKeys: [], warnings: [], env: { CENTRIFUGO_VAR_V: 'v' } };
  assert.deepEqual(convertString(node, '{"A": "1", "b": "${CENTRIFUGO_VAR_V}"}', 'k', ctx), [
    { key: 'A', value: '1' },
    { key: 'b', value: 'v' },
  ]);
  assert.deepEqual(convertString(node, '[{"key": "A", "value": "1"}]', 'k', ctx), [{ key: 'A', value: '1' }]);
  assert.throws(() => convertString(node, '[{"key": "A", "value": "1"}, {"key": "A", "value": "2"}]', 'k', ctx), /^ConfigError: environment variable X: k: duplicate key "A"$/);
});

test('env - arrays of objects are JSON arrays', () => {
  const c = load({
    CENTRIFUGO_CHANNEL_NAMESPACES: '[{"name": "ns1", "presence": true}, {"name": "ns2"}]',
    CENTRIFUGO_PROXIES: '[]',
  }).config;
  assert.deepEqual(c.channel.namespaces.map((n) => [n.name, n.presence, n.subscribe_proxy_name]), [
    ['ns1', true, 'default'],
    ['ns2', false, 'default'],
  ]);
  assert.deepEqual(c.proxies, []);
  assert.equal(
    message(() => load({ CENTRIFUGO_CHANNEL_NAMESPACES: '[{"name": "ns1", "history_size": "ten"}]' })),
    'environment variable CENTRIFUGO_CHANNEL_NAMESPACES: channel.namespaces[0].history_size: expected integer, got string',
  );
});

test('env - named arrays also take space-separated names, then per-item variables', () => {
  const c = load({
    CENTRIFUGO_CHANNEL_NAMESPACES: 'alpha beta',
    CENTRIFUGO_CHANNEL_NAMESPACES_ALPHA_PRESENCE: 'true',
    CENTRIFUGO_CHANNEL_NAMESPACES_BETA_HISTORY_SIZE: '5',
    CENTRIFUGO_CHANNEL_NAMESPACES_BETA_HISTORY_TTL: '30s',
  }).config;
  assert.deepEqual(c.channel.namespaces.map((n) => n.name), ['alpha', 'beta']);
  assert.equal(c.channel.namespaces[0]?.presence, true);
  assert.equal(c.channel.namespaces[1]?.history_size, 5);
  assert.equal(c.channel.namespaces[1]?.history_ttl, 30_000);
});

test('env - fields of named items defined in the file can be overridden', () => {
  const r = load({
    CENTRIFUGO_CHANNEL_NAMESPACES_CHAT_HISTORY_SIZE: '20',
    GYRE_CHANNEL_NAMESPACES_CHAT_PRESENCE: 'true',
    // "my-ns.v2" → MY_NS_V2
    CENTRIFUGO_CHANNEL_NAMESPACES_MY_NS_V2_PRESENCE: 'true',
    CENTRIFUGO_CHANNEL_NAMESPACES_MY_NS_V2_MAP_MODE: 'ephemeral',
    CENTRIFUGO_CHANNEL_NAMESPACES_MY_NS_V2_MAP_KEY_TTL: '10s',
    CENTRIFUGO_RPC_NAMESPACES_USERS_PROXY_ENABLED: 'true',
    CENTRIFUGO_RPC_NAMESPACES_USERS_PROXY_NAME: 'backend-1',
    CENTRIFUGO_PROXIES_BACKEND_1_TIMEOUT: '3s',
    CENTRIFUGO_PROXIES_BACKEND_1_HTTP_STATIC_HEADERS: '{"X-A": "b"}',
  });
  const c = r.config;
  assert.equal(c.channel.namespaces[0]?.history_size, 20);
  assert.equal(c.channel.namespaces[0]?.presence, true);
  assert.equal(c.channel.namespaces[1]?.presence, true);
  assert.equal(c.channel.namespaces[1]?.map.mode, 'ephemeral');
  assert.equal(c.channel.namespaces[1]?.map.key_ttl, 10_000);
  assert.equal(c.rpc.namespaces[0]?.proxy_enabled, true);
  assert.equal(c.rpc.namespaces[0]?.proxy_name, 'backend-1');
  assert.equal(c.proxies[0]?.timeout, 3000);
  assert.deepEqual(c.proxies[0]?.http.static_headers, { 'X-A': 'b' });
  assert.deepEqual(r.warnings, []);
});

test('env - consumers take per-item variables too', () => {
  const text = JSON.stringify({ consumers: [{ name: 'kafka_main', type: 'kafka' }] });
  const c = load(
    {
      CENTRIFUGO_CONSUMERS_KAFKA_MAIN_ENABLED: 'true',
      CENTRIFUGO_CONSUMERS_KAFKA_MAIN_KAFKA_BROKERS: 'k1:9092 k2:9092',
      CENTRIFUGO_CONSUMERS_KAFKA_MAIN_KAFKA_TOPICS: 'events',
      CENTRIFUGO_CONSUMERS_KAFKA_MAIN_KAFKA_CONSUMER_GROUP: 'centrifugo',
    },
    text,
  ).config;
  assert.equal(c.consumers[0]?.enabled, true);
  assert.deepEqual(c.consumers[0]?.kafka.brokers, ['k1:9092', 'k2:9092']);
});

test('env - unknown CENTRIFUGO_ and GYRE_ variables are warnings; VAR_ and Kubernetes ones are ignored', () => {
  const r = load({
    CENTRIFUGO_CLIENT_CHANEL_LIMIT: '1',
    GYRE_NO_SUCH_THING: 'x',
    CENTRIFUGO_CHANNEL_NAMESPACES_MISSING_PRESENCE: 'true',
    CENTRIFUGO_VAR_ANYTHING: 'x',
    GYRE_VAR_ANYTHING: 'x',
    CENTRIFUGO_PORT: 'tcp://10.0.0.1:8000',
    CENTRIFUGO_SERVICE_HOST: '10.0.0.1',
    CENTRIFUGO_PORT_8000_TCP_ADDR: '10.0.0.1',
    CENTRIFUGO_INTERNAL_SERVICE_PORT: '9000',
    HOME: '/root',
  });
  assert.deepEqual(r.warnings, [
    'unknown environment variable CENTRIFUGO_CHANNEL_NAMESPACES_MISSING_PRESENCE',
    'unknown environment variable CENTRIFUGO_CLIENT_CHANEL_LIMIT',
    'unknown environment variable GYRE_NO_SUCH_THING',
  ]);
});

test('env - bad values name the variable and the key', () => {
  assert.equal(
    message(() => load({ CENTRIFUGO_CLIENT_CHANNEL_LIMIT: 'abc' })),
    'environment variable CENTRIFUGO_CLIENT_CHANNEL_LIMIT: client.channel_limit: expected integer, got "abc"',
  );
  assert.equal(
    message(() => load({ GYRE_HTTP_SERVER_PORT: '70000' })),
    'environment variable GYRE_HTTP_SERVER_PORT: http_server.port: must be between 0 and 65535, got 70000',
  );
  assert.equal(
    message(() => load({ CENTRIFUGO_CLIENT_PING_INTERVAL: '25' })),
    'environment variable CENTRIFUGO_CLIENT_PING_INTERVAL: client.ping_interval: missing unit in duration "25"; use Go duration syntax such as "500ms", "25s" or "1h30m"',
  );
  assert.equal(
    message(() => load({ CENTRIFUGO_CHANNEL_NAMESPACES_CHAT_HISTORY_TTL: '1.5s' })),
    'environment variable CENTRIFUGO_CHANNEL_NAMESPACES_CHAT_HISTORY_TTL: channel.namespaces[0].history_ttl: malformed duration 1.5s, sub-second precision is not supported for this key',
  );
  assert.equal(
    message(() => load({ CENTRIFUGO_ENGINE_TYPE: 'tarantool' })),
    'engine.type: unknown value "tarantool" (expected one of "memory", "redis")',
  );
});

test('env - overrides convert like env values and reject unknown keys', () => {
  const r = load({}, FILE, {
    'http_server.port': '8100',
    'Client.Insecure': 'true',
    'engine.type': 'redis',
    'gyre.services': 'api',
    'gyre.bus.type': 'nats',
    'log.level': '',
  });
  assert.equal(r.config.http_server.port, 8100);
  assert.equal(r.config.client.insecure, true);
  assert.equal(r.config.engine.type, 'redis');
  assert.deepEqual(r.config.gyre.services, ['api']);
  assert.equal(r.config.log.level, 'info');
  assert.equal(message(() => load({}, FILE, { 'http_server.prot': '1' })), 'override "http_server.prot": unknown config key');
  assert.equal(message(() => load({}, FILE, { 'grpc_api.port': 'x' })), 'override grpc_api.port: grpc_api.port: expected integer, got "x"');
});

test('env - loadConfig reads process.env by default', () => {
  const before = process.env.GYRE_CLIENT_CHANNEL_LIMIT;
  process.env.GYRE_CLIENT_CHANNEL_LIMIT = '7';
  try {
    assert.equal(loadConfig({}).config.client.channel_limit, 7);
  } finally {
    if (before === undefined) delete process.env.GYRE_CLIENT_CHANNEL_LIMIT;
    else process.env.GYRE_CLIENT_CHANNEL_LIMIT = before;
  }
});

test('env - leaves of TLS, proxy and channel-option objects have their own variables', () => {
  const c = load({
    CENTRIFUGO_HTTP_SERVER_TLS_ENABLED: 'true',
    CENTRIFUGO_HTTP_SERVER_TLS_CERT_PEM: '/etc/tls/cert.pem',
    CENTRIFUGO_HTTP_SERVER_TLS_KEY_PEM: '/etc/tls/key.pem',
    CENTRIFUGO_ENGINE_REDIS_TLS_INSECURE_SKIP_VERIFY: '1',
    CENTRIFUGO_CLIENT_PROXY_CONNECT_ENABLED: 'true',
    CENTRIFUGO_CLIENT_PROXY_CONNECT_ENDPOINT: 'grpc://backend:10001',
    CENTRIFUGO_CLIENT_PROXY_CONNECT_TIMEOUT: '2s',
    CENTRIFUGO_CLIENT_PROXY_CONNECT_HTTP_HEADERS: 'Cookie Authorization',
    CENTRIFUGO_CHANNEL_WITHOUT_NAMESPACE_PRESENCE: 'true',
    CENTRIFUGO_CHANNEL_WITHOUT_NAMESPACE_ALLOWED_DELTA_TYPES: 'fossil',
    CENTRIFUGO_RPC_WITHOUT_NAMESPACE_PROXY_NAME: 'backend-1',
  }).config;
  assert.deepEqual(c.http_server.tls, {
    enabled: true,
    cert_pem: '/etc/tls/cert.pem',
    key_pem: '/etc/tls/key.pem',
    server_ca_pem: '',
    client_ca_pem: '',
    insecure_skip_verify: false,
    server_name: '',
  });
  assert.equal(c.engine.redis.tls.insecure_skip_verify, true);
  assert.equal(c.client.proxy.connect.enabled, true);
  assert.equal(c.client.proxy.connect.endpoint, 'grpc://backend:10001');
  assert.equal(c.client.proxy.connect.timeout, 2000);
  assert.deepEqual(c.client.proxy.connect.http_headers, ['Cookie', 'Authorization']);
  assert.equal(c.channel.without_namespace.presence, true);
  assert.deepEqual(c.channel.without_namespace.allowed_delta_types, ['fossil']);
  assert.equal(c.rpc.without_namespace.proxy_name, 'backend-1');
});

test('env - an object itself is not settable as a whole', () => {
  const r = load({ CENTRIFUGO_HTTP_SERVER_TLS: '{"enabled": true}' });
  assert.equal(r.config.http_server.tls.enabled, false);
  assert.deepEqual(r.warnings, ['unknown environment variable CENTRIFUGO_HTTP_SERVER_TLS']);
});
