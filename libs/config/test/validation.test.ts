import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from '../src/index.js';

function load(cfg: unknown) {
  return parseConfigText(JSON.stringify(cfg), 'config.json');
}

function message(cfg: unknown): string {
  try {
    load(cfg);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'));
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(cfg)} to be rejected`);
}

const ns = (o: Record<string, unknown>) => ({ channel: { namespaces: [{ name: 'chat', ...o }] } });
const proxy = { endpoint: 'http://localhost:3000/proxy' };

// [rule, config, exact message]
const CASES: Array<[string, unknown, string]> = [
  // types and ranges
  ['type: integer expected', { client: { channel_limit: '5' } }, 'client.channel_limit: expected integer, got string'],
  ['type: integer, not a fraction', { client: { channel_limit: 1.5 } }, 'client.channel_limit: expected integer, got number 1.5'],
  ['type: boolean expected', { client: { insecure: 'true' } }, 'client.insecure: expected boolean, got string'],
  ['type: object expected', { client: 'x' }, 'client: expected object, got string'],
  ['type: array expected', { channel: { namespaces: { name: 'x' } } }, 'channel.namespaces: expected array of objects, got object'],
  ['type: array item object expected', { channel: { namespaces: ['chat'] } }, 'channel.namespaces[0]: expected object, got string'],
  ['type: string list items', { client: { allowed_origins: ['a', {}] } }, 'client.allowed_origins[1]: expected string, got object'],
  ['type: string map values', { proxies: [{ name: 'p1', ...proxy, http: { static_headers: { a: true } } }] }, 'proxies[0].http.static_headers.a: expected string, got boolean'],
  ['type: duration', { client: { ping_interval: true } }, 'client.ping_interval: expected duration such as "25s", got boolean'],
  ['duration: syntax', { client: { ping_interval: '25 seconds' } }, 'client.ping_interval: unknown unit " seconds" in duration "25 seconds"; use Go duration syntax such as "500ms", "25s" or "1h30m"'],
  ['range: negative limit', { client: { user_connection_limit: -1 } }, 'client.user_connection_limit: must not be negative, got -1'],
  ['range: port', { http_server: { port: 70000 } }, 'http_server.port: must be between 0 and 65535, got 70000'],
  ['range: grpc port', { grpc_api: { port: -5 } }, 'grpc_api.port: must be between 0 and 65535, got -5'],
  ['range: internal_port string', { http_server: { internal_port: '99999' } }, 'http_server.internal_port: must be a port number 0-65535, got "99999"'],
  ['whole seconds: channel.history_meta_ttl', { channel: { history_meta_ttl: '1500ms' } }, 'channel.history_meta_ttl: malformed duration 1.5s, sub-second precision is not supported for this key'],
  ['whole seconds: namespace history_ttl', ns({ history_size: 1, history_ttl: '2.5s' }), 'channel.namespaces[0].history_ttl: malformed duration 2.5s, sub-second precision is not supported for this key'],
  ['whole seconds: bare number is ns', ns({ history_size: 1, history_ttl: 300 }), 'channel.namespaces[0].history_ttl: malformed duration 300ns, sub-second precision is not supported for this key (a bare number means nanoseconds: write "300s" for seconds)'],
  ['whole seconds: history_meta_ttl', { channel: { without_namespace: { history_meta_ttl: '10.5s' } } }, 'channel.without_namespace.history_meta_ttl: malformed duration 10.5s, sub-second precision is not supported for this key'],
  // enums
  ['enum: log level', { log: { level: 'verbose' } }, 'log.level: unknown value "verbose" (expected one of "none", "trace", "debug", "info", "warn", "error", "fatal")'],
  ['enum: engine type', { engine: { type: 'tarantool' } }, 'engine.type: unknown value "tarantool" (expected one of "memory", "redis")'],
  ['enum: broker type', { broker: { type: 'kafka' } }, 'broker.type: unknown value "kafka" (expected one of "memory", "nats", "redis", "redisnats", "postgres")'],
  ['enum: presence manager type', { presence_manager: { type: 'nats' } }, 'presence_manager.type: unknown value "nats" (expected one of "memory", "redis")'],
  ['enum: map broker type', { map_broker: { type: 'nats' } }, 'map_broker.type: unknown value "nats" (expected one of "memory", "redis", "postgres")'],
  ['enum: http_api.error_mode', { http_api: { error_mode: 'Transport' } }, 'http_api.error_mode: unknown value "Transport" (expected one of "", "transport")'],
  ['enum: grpc_api.error_mode', { grpc_api: { error_mode: 'x' } }, 'grpc_api.error_mode: unknown value "x" (expected one of "", "transport")'],
  ['enum: recovery mode', ns({ force_recovery_mode: 'latest' }), 'channel.namespaces[0].force_recovery_mode: unknown value "latest" (expected one of "", "stream", "cache")'],
  ['enum: publication data format', ns({ publication_data_format: 'xml' }), 'channel.namespaces[0].publication_data_format: unknown value "xml" (expected one of "", "json", "json_object", "binary")'],
  ['enum: global publication data format', { channel: { publication_data_format: 'xml' } }, 'channel.publication_data_format: unknown value "xml" (expected one of "", "json", "json_object", "binary")'],
  ['enum: gyre bus type', { gyre: { bus: { type: 'kafka' } } }, 'gyre.bus.type: unknown value "kafka" (expected one of "memory", "nats")'],
  ['enum: gyre store type', { gyre: { store: { type: 'postgres' } } }, 'gyre.store.type: unknown value "postgres" (expected one of "memory", "redis")'],
  ['redisnats needs unreleased features', { broker: { type: 'redisnats' } }, 'broker.type: "redisnats" requires enable_unreleased_features: true'],
  // http server
  ['h2c needs internal port', { http_server: { h2c_external: true } }, 'http_server.h2c_external: requires a separate http_server.internal_port'],
  ['h2c internal port must differ', { http_server: { h2c_external: true, port: 8000, internal_port: '8000' } }, 'http_server.h2c_external: requires a separate http_server.internal_port'],
  ['h2c without TLS', { http_server: { h2c_external: true, internal_port: '9000', tls: { enabled: true, cert_pem: 'c', key_pem: 'k' } } }, 'http_server.h2c_external: cannot be combined with http_server.tls.enabled'],
  ['TLS listener needs a certificate', { http_server: { tls: { enabled: true } } }, 'http_server.tls.cert_pem: required when http_server.tls.enabled is true'],
  ['TLS listener needs a key', { grpc_api: { enabled: true, tls: { enabled: true, cert_pem: 'c' } } }, 'grpc_api.tls.key_pem: required when grpc_api.tls.enabled is true'],
  ['autocert without HTTP/3', { http_server: { tls_autocert: { enabled: true }, http3: { enabled: true } } }, 'http_server.tls_autocert.enabled: cannot be combined with http_server.http3.enabled'],
  // tokens
  ['user_id_claim pattern', { client: { token: { user_id_claim: 'user-id' } } }, 'client.token.user_id_claim: must match ^[a-zA-Z_]+$ (got "user-id")'],
  ['subscription token user_id_claim pattern', { client: { subscription_token: { user_id_claim: 'a.b' } } }, 'client.subscription_token.user_id_claim: must match ^[a-zA-Z_]+$ (got "a.b")'],
  ['issuer_regex compiles', { client: { token: { issuer_regex: '(' } } }, 'client.token.issuer_regex: invalid regular expression "(": JavaScript cannot compile it: Invalid regular expression: /(/: Unterminated group'],
  // ping / pong
  ['ping must exceed pong', { client: { ping_interval: '5s', pong_timeout: '5s' } }, 'client.ping_interval: must be greater than client.pong_timeout (5s <= 5s); use -1 to disable pings or pong checks'],
  // namespaces
  ['namespace name pattern', { channel: { namespaces: [{ name: 'chat' }, { name: 'a' }] } }, 'channel.namespaces[1].name: must match ^[-a-zA-Z0-9_.]{2,}$ (got "a")'],
  ['namespace name pattern: characters', { channel: { namespaces: [{ name: 'chat room' }] } }, 'channel.namespaces[0].name: must match ^[-a-zA-Z0-9_.]{2,}$ (got "chat room")'],
  ['namespace names unique', { channel: { namespaces: [{ name: 'chat' }, { name: 'news' }, { name: 'chat' }] } }, 'channel.namespaces[2].name: duplicate namespace name "chat" (also channel.namespaces[0])'],
  ['history size without ttl', ns({ history_size: 10 }), 'channel.namespaces[0].history_ttl: required when history_size is set (history needs both history_size and history_ttl)'],
  ['history ttl without size', ns({ history_ttl: '60s' }), 'channel.namespaces[0].history_size: required when history_ttl is set (history needs both history_size and history_ttl)'],
  ['history ttl within global meta ttl', ns({ history_size: 1, history_ttl: '721h' }), 'channel.namespaces[0].history_ttl: 721h0m0s must not exceed the history meta TTL (channel.history_meta_ttl: 720h0m0s)'],
  ['history ttl within namespace meta ttl', ns({ history_size: 1, history_ttl: '120s', history_meta_ttl: '60s' }), 'channel.namespaces[0].history_ttl: 2m0s must not exceed the history meta TTL (channel.namespaces[0].history_meta_ttl: 1m0s)'],
  ['force_recovery needs history', ns({ force_recovery: true }), 'channel.namespaces[0].force_recovery: requires history (set history_size and history_ttl)'],
  ['cache recovery needs history', ns({ allow_recovery: true, force_recovery_mode: 'cache' }), 'channel.namespaces[0].force_recovery_mode: "cache" recovery reads the latest publication from history: set history_size and history_ttl'],
  ['auto_cache_recover needs cache mode', ns({ history_size: 1, history_ttl: '60s', force_recovery: true, auto_cache_recover: true }), 'channel.namespaces[0].auto_cache_recover: requires force_recovery: true and force_recovery_mode: "cache"'],
  ['channel_regex compiles', ns({ channel_regex: '[a-z' }), 'channel.namespaces[0].channel_regex: invalid regular expression "[a-z": missing closing ]'],
  ['channel_regex: no lookaround (RE2)', ns({ channel_regex: '^(?!admin)' }), 'channel.namespaces[0].channel_regex: invalid regular expression "^(?!admin)": lookahead and lookbehind are not supported by Go RE2'],
  ['channel_regex: no backreferences (RE2)', ns({ channel_regex: '(a)\\1' }), 'channel.namespaces[0].channel_regex: invalid regular expression "(a)\\\\1": backreferences are not supported by Go RE2'],
  ['delta type fossil only', ns({ allowed_delta_types: ['fossil', 'json-patch'] }), 'channel.namespaces[0].allowed_delta_types[1]: unknown delta type "json-patch" (only "fossil" is supported)'],
  ['stream proxy is exclusive', ns({ subscribe_stream_proxy_enabled: true, publish_proxy_enabled: true }), 'channel.namespaces[0].subscribe_stream_proxy_enabled: cannot be combined with the subscribe, publish or sub_refresh proxies'],
  ['referenced proxy exists', ns({ subscribe_proxy_name: 'nope' }), 'channel.namespaces[0].subscribe_proxy_name: proxy "nope" is not defined in proxies[]'],
  ['referenced publish proxy exists', { channel: { without_namespace: { publish_proxy_name: 'nope' } } }, 'channel.without_namespace.publish_proxy_name: proxy "nope" is not defined in proxies[]'],
  ['enabled default proxy needs endpoint', ns({ subscribe_proxy_enabled: true }), 'channel.proxy.subscribe.endpoint: required (channel.namespaces[0].subscribe_proxy_enabled uses it)'],
  ['enabled default proxy needs supported scheme', { channel: { proxy: { publish: { endpoint: 'localhost:3000' } }, without_namespace: { publish_proxy_enabled: true } } }, 'channel.proxy.publish.endpoint: must start with http://, https:// or grpc:// (got "localhost:3000") (channel.without_namespace.publish_proxy_enabled uses it)'],
  // proxies
  ['proxy name pattern', { proxies: [{ name: 'x', ...proxy }] }, 'proxies[0].name: must match ^[-a-zA-Z0-9_.]{2,}$ (got "x")'],
  ['proxy name "default" is reserved', { proxies: [{ name: 'default', ...proxy }] }, 'proxies[0].name: "default" is reserved for the proxies under client.proxy, channel.proxy and rpc.proxy'],
  ['proxy names unique', { proxies: [{ name: 'p1', ...proxy }, { name: 'p1', ...proxy }] }, 'proxies[1].name: duplicate proxy name "p1"'],
  ['proxy needs endpoint', { proxies: [{ name: 'p1' }] }, 'proxies[0].endpoint: required'],
  ['proxy endpoint scheme', { proxies: [{ name: 'p1', endpoint: 'ftp://x' }] }, 'proxies[0].endpoint: must start with http://, https:// or grpc:// (got "ftp://x")'],
  ['proxy needs a positive timeout', { proxies: [{ name: 'p1', ...proxy, timeout: '-1s' }] }, 'proxies[0].timeout: must be positive'],
  ['enabled connect proxy needs endpoint', { client: { proxy: { connect: { enabled: true } } } }, 'client.proxy.connect.endpoint: required'],
  ['status transforms need a status code', { proxies: [{ name: 'p1', ...proxy, http: { status_to_code_transforms: [{ to_error: { code: 1000 } }] } }] }, 'proxies[0].http.status_to_code_transforms[0].status_code: required'],
  ['status transforms: error or disconnect', { proxies: [{ name: 'p1', ...proxy, http: { status_to_code_transforms: [{ status_code: 404 }] } }] }, 'proxies[0].http.status_to_code_transforms[0]: set to_error.code or to_disconnect.code'],
  ['status transforms: not both', { proxies: [{ name: 'p1', ...proxy, http: { status_to_code_transforms: [{ status_code: 404, to_error: { code: 1000 }, to_disconnect: { code: 4000 } }] } }] }, 'proxies[0].http.status_to_code_transforms[0]: set either to_error or to_disconnect, not both'],
  ['status transforms: ASCII', { proxies: [{ name: 'p1', ...proxy, http: { status_to_code_transforms: [{ status_code: 404, to_disconnect: { code: 4000, reason: 'нет' } }] } }] }, 'proxies[0].http.status_to_code_transforms[0].to_disconnect.reason: must be ASCII'],
  // rpc
  ['rpc namespace name pattern', { rpc: { namespaces: [{ name: '!' }] } }, 'rpc.namespaces[0].name: must match ^[-a-zA-Z0-9_.]{2,}$ (got "!")'],
  ['rpc namespace names unique', { rpc: { namespaces: [{ name: 'users' }, { name: 'users' }] } }, 'rpc.namespaces[1].name: duplicate rpc namespace name "users" (also rpc.namespaces[0])'],
  ['rpc proxy name exists', { rpc: { without_namespace: { proxy_name: 'nope' } } }, 'rpc.without_namespace.proxy_name: proxy "nope" is not defined in proxies[]'],
  ['rpc default proxy needs endpoint when used', { rpc: { namespaces: [{ name: 'users', proxy_enabled: true }] } }, 'rpc.proxy.endpoint: required (rpc.namespaces[0].proxy_enabled uses it)'],
  // personal channel
  ['personal namespace exists', { client: { subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'personal' } } }, 'client.subscribe_to_user_personal_channel.personal_channel_namespace: namespace "personal" is not defined in channel.namespaces'],
  ['single connection needs presence in the namespace', { client: { subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'chat', single_connection: true } }, ...ns({}) }, 'client.subscribe_to_user_personal_channel.single_connection: requires presence: true in namespace "chat"'],
  ['single connection needs top-level presence', { client: { subscribe_to_user_personal_channel: { enabled: true, single_connection: true } } }, 'client.subscribe_to_user_personal_channel.single_connection: requires channel.without_namespace.presence: true'],
  // transforms
  ['uni disconnect transform needs a code', { client: { connect_code_to_unidirectional_disconnect: { transforms: [{ to: { code: 4000 } }] } } }, 'client.connect_code_to_unidirectional_disconnect.transforms[0].code: required (a connect error code)'],
  ['uni disconnect transform needs a disconnect code', { client: { connect_code_to_unidirectional_disconnect: { transforms: [{ code: 100 }] } } }, 'client.connect_code_to_unidirectional_disconnect.transforms[0].to.code: required (a disconnect code)'],
  ['uni_sse http response transform needs a status', { uni_sse: { connect_code_to_http_response: { transforms: [{ code: 100 }] } } }, 'uni_sse.connect_code_to_http_response.transforms[0].to.status_code: required (an HTTP status code)'],
  // consumers
  ['consumer name pattern', { consumers: [{ name: 'my-consumer', type: 'kafka' }] }, 'consumers[0].name: must match ^[a-zA-Z0-9_]{2,}$ (got "my-consumer")'],
  ['consumer names unique', { consumers: [{ name: 'c1', type: 'kafka' }, { name: 'c1', type: 'kafka' }] }, 'consumers[1].name: duplicate consumer name "c1"'],
  ['consumer type known', { consumers: [{ name: 'c1', type: 'rabbitmq' }] }, 'consumers[0].type: unknown consumer type "rabbitmq" (expected one of postgresql, kafka, nats_jetstream, redis_stream, google_pub_sub, aws_sqs, azure_service_bus)'],
  ['enabled kafka consumer needs brokers', { consumers: [{ name: 'c1', type: 'kafka', enabled: true }] }, 'consumers[0].kafka.brokers: at least one broker is required (consumer "c1" is enabled)'],
  ['enabled postgresql consumer needs a dsn', { consumers: [{ name: 'c1', type: 'postgresql', enabled: true }] }, 'consumers[0].postgresql.dsn: required (consumer "c1" is enabled)'],
  ['enabled azure consumer needs a connection string', { consumers: [{ name: 'c1', type: 'azure_service_bus', enabled: true }] }, 'consumers[0].azure_service_bus.connection_string: required unless use_azure_identity is true (consumer "c1" is enabled)'],
  // map / shared poll
  ['map types need a mode', ns({ subscription_type: 'map' }), 'channel.namespaces[0].map.mode: required when subscription_type is "map"'],
  ['ephemeral map needs key_ttl', ns({ subscription_type: 'map', map: { mode: 'ephemeral' } }), 'channel.namespaces[0].map.key_ttl: required when map.mode is "ephemeral"'],
  ['shared poll needs the global secret', ns({ subscription_type: 'shared_poll' }), 'channel.namespaces[0].subscription_type: "shared_poll" requires shared_poll.hmac_secret_key'],
  // gyre
  ['gyre services are known', { gyre: { services: ['edge', 'gateway'] } }, 'gyre.services[1]: unknown service "gateway" (expected one of edge, api, proxy-dispatcher, presence-history)'],
  ['gyre services listed once', { gyre: { services: ['api', 'api'] } }, 'gyre.services[1]: service "api" is listed twice'],
  ['gyre subject prefix is subject-safe', { gyre: { bus: { subject_prefix: 'gyre.*' } } }, 'gyre.bus.subject_prefix: must be NATS subject tokens (letters, digits, _ and -, separated by dots), got "gyre.*"'],
  ['gyre max request body positive', { gyre: { http: { max_request_body_size: -1 } } }, 'gyre.http.max_request_body_size: must be at least 1, got -1'],
];

for (const [rule, cfg, expected] of CASES) {
  test(`validation - ${rule}`, () => {
    assert.equal(message(cfg), expected);
  });
}

test('validation - a valid config with every rule satisfied loads without warnings', () => {
  const { warnings, config } = load({
    client: {
      token: { hmac_secret_key: 's', user_id_claim: 'user_id' },
      ping_interval: '-1',
      pong_timeout: '10s',
      subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'personal', single_connection: true },
      proxy: { connect: { enabled: true, endpoint: 'grpc://backend:10001' } },
    },
    channel: {
      proxy: { subscribe: { endpoint: 'https://backend/subscribe' } },
      namespaces: [
        { name: 'personal', presence: true },
        { name: 'chat', history_size: 10, history_ttl: '300s', force_recovery: true, force_recovery_mode: 'cache', auto_cache_recover: true, subscribe_proxy_enabled: true },
        { name: 'feed.v2', channel_regex: '(?i)^[[:alnum:]_]+$', allowed_delta_types: ['fossil'], publish_proxy_name: 'backend' },
      ],
    },
    proxies: [{ name: 'backend', endpoint: 'http://backend:3000' }],
    rpc: { namespaces: [{ name: 'users', proxy_enabled: true, proxy_name: 'backend' }] },
    consumers: [{ name: 'outbox', type: 'postgresql', enabled: true, postgresql: { dsn: 'postgres://x', outbox_table_name: 'outbox' } }],
    gyre: { bus: { type: 'nats', subject_prefix: 'prod.gyre' }, services: ['edge'] },
  });
  assert.deepEqual(warnings, []);
  assert.equal(config.client.ping_interval, -1);
});

test('validation - risky but allowed settings are warnings', () => {
  const r = load({ client: { allowed_origins: ['*'] }, gyre: { services: ['edge', 'api'] } });
  assert.deepEqual(r.warnings, [
    'client.allowed_origins contains "*": connections from every origin are allowed',
    'gyre.services runs only edge, api with gyre.bus.type "memory": the other services cannot reach this process; use gyre.bus.type "nats" to run services separately',
  ]);
});

test('validation - ConfigError carries the dotted key', () => {
  try {
    load({ channel: { namespaces: [{ name: 'chat' }, { name: 'x' }] } });
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.key, 'channel.namespaces[1].name');
    assert.equal(e.name, 'ConfigError');
  }
});

test('validation - allowed_origins patterns must be valid globs, named by index', () => {
  assert.match(message({ client: { allowed_origins: ['https://ok.example.com', 'https://[bad.example.com'] } }), /^client\.allowed_origins\[1\]: invalid pattern "https:\/\/\[bad\.example\.com"/);
  assert.doesNotThrow(() => load({ client: { allowed_origins: ['https://*.example.com', 'http://{a,b}.test'] } }));
});
