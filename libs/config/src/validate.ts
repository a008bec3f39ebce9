/**
 * Semantic validation of a fully merged and defaulted config: the rules Centrifugo v6 applies in
 * Config.Validate() and when building engines and transports (reference §2.9), plus Gyre's own
 * section. Every failure throws a one-line ConfigError that starts with the dotted key at fault.
 * A server must never start half-configured, so anything that would only fail later at runtime
 * (a regex JavaScript cannot compile, a TLS listener without a certificate) fails here.
 *
 * Deliberate differences from Centrifugo, all stricter and documented in the messages:
 *   - proxy endpoints must start with http://, https:// or grpc://;
 *   - a "cache" recovery mode with recovery on needs history;
 *   - personal-channel rules are checked only when the feature is enabled.
 */
import { compileGlob } from './glob.js';
import { ConfigError, quote } from './errors.js';
import { formatDuration } from './duration.js';
import { compileGoRegex } from './regex.js';
import {
  configSchema,
  GYRE_SERVICES,
  type ChannelOptions,
  type GyreConfig,
  type ProxyConfig,
  type TlsConfig,
} from './schema.js';
import type { Node } from './schema_kit.js';

export const NAME_PATTERN = /^[-a-zA-Z0-9_.]{2,}$/;
export const CONSUMER_NAME_PATTERN = /^[a-zA-Z0-9_]{2,}$/;
export const USER_ID_CLAIM_PATTERN = /^[a-zA-Z_]+$/;
export const DEFAULT_PROXY_NAME = 'default';
export const KNOWN_CONSUMER_TYPES = [
  'postgresql',
  'kafka',
  'nats_jetstream',
  'redis_stream',
  'google_pub_sub',
  'aws_sqs',
  'azure_service_bus',
] as const;

function fail(path: string, message: string): never {
  throw new ConfigError(`${path}: ${message}`, path);
}

/** Checks every `oneOf` string against its allowed values. */
export function validateEnums(node: Node, value: unknown, path = ''): void {
  switch (node.kind) {
    case 'string':
      if (node.oneOf && !node.oneOf.includes(value as string)) {
        const allowed = node.oneOf.map((v) => JSON.stringify(v)).join(', ');
        fail(path, `unknown value ${quote(value)} (expected one of ${allowed})`);
      }
      return;
    case 'object': {
      const o = value as Record<string, unknown>;
      for (const [k, child] of Object.entries(node.fields)) validateEnums(child, o[k], path ? `${path}.${k}` : k);
      return;
    }
    case 'array':
      (value as unknown[]).forEach((item, i) => validateEnums(node.item, item, `${path}[${i}]`));
      return;
    default:
      return;
  }
}

/** Runs every rule; returns warnings for things that are allowed but probably not intended. */
export function validateConfig(cfg: GyreConfig): string[] {
  const warnings: string[] = [];
  validateEnums(configSchema, cfg);
  validateHttpServer(cfg);

  if (cfg.broker.type === 'redisnats' && !cfg.enable_unreleased_features) {
    fail('broker.type', '"redisnats" requires enable_unreleased_features: true');
  }

  validateToken('client.token', cfg.client.token);
  validateToken('client.subscription_token', cfg.client.subscription_token);

  if (cfg.client.proxy.connect.enabled) validateProxyObject('client.proxy.connect', cfg.client.proxy.connect);
  if (cfg.client.proxy.refresh.enabled) validateProxyObject('client.proxy.refresh', cfg.client.proxy.refresh);

  validatePingPong(cfg);

  cfg.client.allowed_origins.forEach((pattern, i) => {
    try {
      compileGlob(pattern);
    } catch (e) {
      fail(`client.allowed_origins[${i}]`, `invalid pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
  });
  if (cfg.client.allowed_origins.includes('*')) {
    warnings.push('client.allowed_origins contains "*": connections from every origin are allowed');
  }
  cfg.client.connect_code_to_unidirectional_disconnect.transforms.forEach((t, i) => {
    const p = `client.connect_code_to_unidirectional_disconnect.transforms[${i}]`;
    if (t.code === 0) fail(`${p}.code`, 'required (a connect error code)');
    if (t.to.code === 0) fail(`${p}.to.code`, 'required (a disconnect code)');
    if (!isAscii(t.to.reason)) fail(`${p}.to.reason`, 'must be ASCII');
  });

  if (cfg.channel.history_meta_ttl < 0) fail('channel.history_meta_ttl', 'must not be negative');

  // Named proxies: unique names matching the pattern; "default" means the per-event proxy objects.
  const proxyNames = new Set<string>();
  cfg.proxies.forEach((p, i) => {
    const path = `proxies[${i}]`;
    if (!NAME_PATTERN.test(p.name)) fail(`${path}.name`, `must match ${NAME_PATTERN.source} (got ${quote(p.name)})`);
    if (p.name === DEFAULT_PROXY_NAME) fail(`${path}.name`, '"default" is reserved for the proxies under client.proxy, channel.proxy and rpc.proxy');
    if (proxyNames.has(p.name)) fail(`${path}.name`, `duplicate proxy name ${quote(p.name)}`);
    proxyNames.add(p.name);
    validateProxyObject(path, p);
  });
  proxyNames.add(DEFAULT_PROXY_NAME);

  validateChannelOptions('channel.without_namespace', cfg.channel.without_namespace, cfg, proxyNames);
  const namespaceNames = new Map<string, number>();
  cfg.channel.namespaces.forEach((ns, i) => {
    const path = `channel.namespaces[${i}]`;
    if (!NAME_PATTERN.test(ns.name)) fail(`${path}.name`, `must match ${NAME_PATTERN.source} (got ${quote(ns.name)})`);
    const prev = namespaceNames.get(ns.name);
    if (prev !== undefined) fail(`${path}.name`, `duplicate namespace name ${quote(ns.name)} (also channel.namespaces[${prev}])`);
    namespaceNames.set(ns.name, i);
    validateChannelOptions(path, ns, cfg, proxyNames);
  });

  validatePersonalChannel(cfg);
  validateRpc(cfg, proxyNames);
  validateConsumers(cfg);

  for (const section of ['uni_sse', 'uni_http_stream'] as const) {
    cfg[section].connect_code_to_http_response.transforms.forEach((t, i) => {
      const p = `${section}.connect_code_to_http_response.transforms[${i}]`;
      if (t.code === 0) fail(`${p}.code`, 'required (a connect error code)');
      if (t.to.status_code === 0) fail(`${p}.to.status_code`, 'required (an HTTP status code)');
    });
  }

  warnings.push(...validateGyre(cfg));
  return warnings;
}

function validateHttpServer(cfg: GyreConfig): void {
  const http = cfg.http_server;
  if (http.internal_port !== '') {
    const n = /^\d+$/.test(http.internal_port) ? Number(http.internal_port) : NaN;
    if (!(n >= 0 && n <= 65535)) fail('http_server.internal_port', `must be a port number 0-65535, got ${quote(http.internal_port)}`);
  }
  if (http.h2c_external) {
    if (http.internal_port === '' || http.internal_port === String(http.port)) {
      fail('http_server.h2c_external', 'requires a separate http_server.internal_port');
    }
    if (http.tls.enabled) fail('http_server.h2c_external', 'cannot be combined with http_server.tls.enabled');
  }
  if (http.tls_autocert.enabled && http.http3.enabled) {
    fail('http_server.tls_autocert.enabled', 'cannot be combined with http_server.http3.enabled');
  }
  if (http.tls.enabled) validateServerTls('http_server.tls', http.tls);
  if (http.internal_tls.enabled) validateServerTls('http_server.internal_tls', http.internal_tls);
  if (cfg.grpc_api.enabled && cfg.grpc_api.tls.enabled) validateServerTls('grpc_api.tls', cfg.grpc_api.tls);
  if (cfg.uni_grpc.enabled && cfg.uni_grpc.tls.enabled) validateServerTls('uni_grpc.tls', cfg.uni_grpc.tls);
}

/** A listener with TLS on needs a certificate and its key. */
function validateServerTls(path: string, tls: TlsConfig): void {
  if (tls.cert_pem === '') fail(`${path}.cert_pem`, `required when ${path}.enabled is true`);
  if (tls.key_pem === '') fail(`${path}.key_pem`, `required when ${path}.enabled is true`);
}

function validateToken(path: string, token: GyreConfig['client']['token']): void {
  if (token.user_id_claim !== '' && !USER_ID_CLAIM_PATTERN.test(token.user_id_claim)) {
    fail(`${path}.user_id_claim`, `must match ${USER_ID_CLAIM_PATTERN.source} (got ${quote(token.user_id_claim)})`);
  }
  for (const key of ['audience_regex', 'issuer_regex'] as const) {
    if (token[key] === '') continue;
    const compiled = compileGoRegex(token[key]);
    if (!compiled.ok) fail(`${path}.${key}`, `invalid regular expression ${quote(token[key])}: ${compiled.reason}`);
  }
}

function validatePingPong(cfg: GyreConfig): void {
  const { ping_interval: ping, pong_timeout: pong } = cfg.client;
  if (ping > 0 && pong > 0 && pong >= ping) {
    fail(
      'client.ping_interval',
      `must be greater than client.pong_timeout (${formatDuration(ping)} <= ${formatDuration(pong)}); use -1 to disable pings or pong checks`,
    );
  }
}

/**
 * A proxy that is in use: endpoint with a supported scheme, a positive timeout and valid status
 * transforms. `usedBy` names what turned it on, for proxies validated because something uses them.
 */
export function validateProxyObject(path: string, p: ProxyConfig, usedBy?: string): void {
  const why = usedBy ? ` (${usedBy})` : '';
  if (p.endpoint === '') fail(`${path}.endpoint`, `required${why}`);
  if (!/^(https?|grpc):\/\/./i.test(p.endpoint)) {
    fail(`${path}.endpoint`, `must start with http://, https:// or grpc:// (got ${quote(p.endpoint)})${why}`);
  }
  if (!(p.timeout > 0)) fail(`${path}.timeout`, `must be positive${why}`);
  p.http.status_to_code_transforms.forEach((t, i) => {
    const tp = `${path}.http.status_to_code_transforms[${i}]`;
    if (t.status_code === 0) fail(`${tp}.status_code`, 'required');
    if (t.to_error.code === 0 && t.to_disconnect.code === 0) fail(tp, 'set to_error.code or to_disconnect.code');
    if (t.to_error.code > 0 && t.to_disconnect.code > 0) fail(tp, 'set either to_error or to_disconnect, not both');
    if (!isAscii(t.to_error.message)) fail(`${tp}.to_error.message`, 'must be ASCII');
    if (!isAscii(t.to_disconnect.reason)) fail(`${tp}.to_disconnect.reason`, 'must be ASCII');
    // The WebSocket close reason limit (RFC 6455) bounds both.
    if (t.to_error.message.length > 123) fail(`${tp}.to_error.message`, 'must be at most 123 characters');
    if (t.to_disconnect.reason.length > 123) fail(`${tp}.to_disconnect.reason`, 'must be at most 123 characters');
  });
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function hasHistory(o: ChannelOptions): boolean {
  return o.history_size > 0 && o.history_ttl > 0;
}

type ChannelProxyKey = keyof GyreConfig['channel']['proxy'];

function validateChannelOptions(path: string, o: ChannelOptions, cfg: GyreConfig, proxyNames: Set<string>): void {
  if (o.history_ttl < 0) fail(`${path}.history_ttl`, 'must not be negative');
  if (o.history_meta_ttl < 0) fail(`${path}.history_meta_ttl`, 'must not be negative');
  if (o.history_size > 0 && o.history_ttl === 0) {
    fail(`${path}.history_ttl`, `required when history_size is set (history needs both history_size and history_ttl)`);
  }
  if (o.history_ttl > 0 && o.history_size === 0) {
    fail(`${path}.history_size`, `required when history_ttl is set (history needs both history_size and history_ttl)`);
  }
  const metaTtl = o.history_meta_ttl > 0 ? o.history_meta_ttl : cfg.channel.history_meta_ttl;
  if (o.history_ttl > metaTtl) {
    const metaKey = o.history_meta_ttl > 0 ? `${path}.history_meta_ttl` : 'channel.history_meta_ttl';
    fail(`${path}.history_ttl`, `${formatDuration(o.history_ttl)} must not exceed the history meta TTL (${metaKey}: ${formatDuration(metaTtl)})`);
  }
  if (o.force_recovery && !hasHistory(o)) {
    fail(`${path}.force_recovery`, 'requires history (set history_size and history_ttl)');
  }
  if (o.force_recovery_mode === 'cache' && (o.force_recovery || o.allow_recovery) && !hasHistory(o)) {
    fail(`${path}.force_recovery_mode`, '"cache" recovery reads the latest publication from history: set history_size and history_ttl');
  }
  if (o.auto_cache_recover && (!o.force_recovery || o.force_recovery_mode !== 'cache')) {
    fail(`${path}.auto_cache_recover`, 'requires force_recovery: true and force_recovery_mode: "cache"');
  }
  if (o.channel_regex !== '') {
    const compiled = compileGoRegex(o.channel_regex);
    if (!compiled.ok) fail(`${path}.channel_regex`, `invalid regular expression ${quote(o.channel_regex)}: ${compiled.reason}`);
  }
  if (o.subscribe_stream_proxy_enabled && (o.subscribe_proxy_enabled || o.publish_proxy_enabled || o.sub_refresh_proxy_enabled)) {
    fail(`${path}.subscribe_stream_proxy_enabled`, 'cannot be combined with the subscribe, publish or sub_refresh proxies');
  }
  o.allowed_delta_types.forEach((t, i) => {
    if (t !== 'fossil') fail(`${path}.allowed_delta_types[${i}]`, `unknown delta type ${quote(t)} (only "fossil" is supported)`);
  });

  const proxyRefs: Array<[string, boolean, string, ChannelProxyKey]> = [
    ['subscribe_proxy_name', o.subscribe_proxy_enabled, o.subscribe_proxy_name, 'subscribe'],
    ['publish_proxy_name', o.publish_proxy_enabled, o.publish_proxy_name, 'publish'],
    ['sub_refresh_proxy_name', o.sub_refresh_proxy_enabled, o.sub_refresh_proxy_name, 'sub_refresh'],
    ['subscribe_stream_proxy_name', o.subscribe_stream_proxy_enabled, o.subscribe_stream_proxy_name, 'subscribe_stream'],
    ['map.publish_proxy_name', o.map.publish_proxy_enabled, o.map.publish_proxy_name, 'map_publish'],
    ['map.remove_proxy_name', o.map.remove_proxy_enabled, o.map.remove_proxy_name, 'map_remove'],
  ];
  for (const [key, enabled, name, event] of proxyRefs) {
    checkProxyRef(`${path}.${key}`, name, proxyNames);
    if (enabled && name === DEFAULT_PROXY_NAME) {
      validateProxyObject(`channel.proxy.${event}`, cfg.channel.proxy[event], `${path}.${key.replace('_name', '_enabled')} uses it`);
    }
  }

  validateMapOptions(path, o, cfg, proxyNames);
}

function checkProxyRef(path: string, name: string, proxyNames: Set<string>): void {
  if (name !== '' && !proxyNames.has(name)) fail(path, `proxy ${quote(name)} is not defined in proxies[]`);
}

/** Map and shared-poll subscription types (EXP in Centrifugo v6.8): option combinations. */
function validateMapOptions(path: string, o: ChannelOptions, cfg: GyreConfig, proxyNames: Set<string>): void {
  const m = o.map;
  const mapType = o.subscription_type === 'map' || o.subscription_type === 'map_clients' || o.subscription_type === 'map_users';
  if (m.client_key !== '' && m.publish_proxy_enabled) {
    fail(`${path}.map.client_key`, 'cannot be combined with map.publish_proxy_enabled (the proxy decides the key)');
  }
  if (m.client_key !== '' && m.remove_proxy_enabled) {
    fail(`${path}.map.client_key`, 'cannot be combined with map.remove_proxy_enabled (the proxy decides the key)');
  }
  if (o.subscription_type === 'shared_poll') {
    if (cfg.shared_poll.hmac_secret_key === '') {
      fail(`${path}.subscription_type`, '"shared_poll" requires shared_poll.hmac_secret_key');
    }
    checkProxyRef(`${path}.shared_poll.proxy_name`, o.shared_poll.proxy_name, proxyNames);
    const proxyName = o.shared_poll.proxy_name || DEFAULT_PROXY_NAME;
    if (proxyName === DEFAULT_PROXY_NAME) {
      validateProxyObject('channel.proxy.shared_poll_refresh', cfg.channel.proxy.shared_poll_refresh, `${path} is a shared_poll namespace`);
    }
    if (o.shared_poll.publish_enabled && o.shared_poll.mode !== 'versioned') {
      fail(`${path}.shared_poll.publish_enabled`, 'requires shared_poll.mode "versioned"');
    }
  }
  if (mapType && m.mode === '') fail(`${path}.map.mode`, `required when subscription_type is ${quote(o.subscription_type)}`);
  if (m.mode === 'ephemeral' || m.mode === 'recoverable') {
    if (m.key_ttl === 0) fail(`${path}.map.key_ttl`, `required when map.mode is ${quote(m.mode)}`);
    if (m.key_ttl < 0) fail(`${path}.map.key_ttl`, 'must be positive');
  }
  if (m.mode === 'persistent') {
    if (m.key_ttl !== 0) fail(`${path}.map.key_ttl`, 'must not be set when map.mode is "persistent" (entries do not expire)');
    if (o.subscription_type === 'map_clients' || o.subscription_type === 'map_users') {
      fail(`${path}.map.mode`, `"persistent" is not allowed with subscription_type ${quote(o.subscription_type)} (presence entries need TTL cleanup)`);
    }
  }
  if (m.mode === 'ephemeral') {
    if (m.stream_size > 0) fail(`${path}.map.stream_size`, 'must be 0 when map.mode is "ephemeral"');
    if (m.stream_ttl !== 0) fail(`${path}.map.stream_ttl`, 'must be 0 when map.mode is "ephemeral"');
    if (m.meta_ttl !== 0) fail(`${path}.map.meta_ttl`, 'must be 0 when map.mode is "ephemeral"');
  }
  if ((m.mode === 'recoverable' || m.mode === 'persistent') && m.meta_ttl !== 0) {
    if (m.stream_ttl < 0) fail(`${path}.map.stream_ttl`, 'must not be negative');
    if (m.meta_ttl < 0) fail(`${path}.map.meta_ttl`, 'must not be negative');
    const streamTtl = m.stream_ttl === 0 ? 60_000 : m.stream_ttl;
    if (m.meta_ttl < streamTtl) {
      fail(`${path}.map.meta_ttl`, `${formatDuration(m.meta_ttl)} must be at least map.stream_ttl (${formatDuration(streamTtl)}): meta must outlive the stream`);
    }
  }
  if (m.remove_client_on_unsubscribe && !mapType) {
    fail(`${path}.map.remove_client_on_unsubscribe`, 'requires a map subscription_type');
  }
  if (m.min_page_size > 0 && m.max_page_size > 0 && m.min_page_size > m.max_page_size) {
    fail(`${path}.map.min_page_size`, `must not exceed map.max_page_size (${m.min_page_size} > ${m.max_page_size})`);
  }
  if (m.default_page_size > 0 && m.max_page_size > 0 && m.default_page_size > m.max_page_size) {
    fail(`${path}.map.default_page_size`, `must not exceed map.max_page_size (${m.default_page_size} > ${m.max_page_size})`);
  }
  if (m.default_page_size > 0 && m.min_page_size > 0 && m.default_page_size < m.min_page_size) {
    fail(`${path}.map.default_page_size`, `must not be below map.min_page_size (${m.default_page_size} < ${m.min_page_size})`);
  }
  for (const [key, prefix, wanted] of [
    ['map_clients_presence_channel_prefix', o.map_clients_presence_channel_prefix, 'map_clients'],
    ['map_users_presence_channel_prefix', o.map_users_presence_channel_prefix, 'map_users'],
  ] as const) {
    if (prefix === '') continue;
    const boundary = cfg.channel.namespace_boundary;
    const idx = boundary === '' ? -1 : prefix.indexOf(boundary);
    const nsName = idx >= 0 ? prefix.slice(0, idx) : '';
    const target = nsName === '' ? cfg.channel.without_namespace : cfg.channel.namespaces.find((n) => n.name === nsName);
    if (!target) fail(`${path}.${key}`, `${quote(prefix)} resolves to namespace ${quote(nsName)}, which is not defined`);
    if (target.subscription_type !== wanted) {
      fail(`${path}.${key}`, `${quote(prefix)} resolves to a namespace whose subscription_type is ${quote(target.subscription_type)}, expected ${quote(wanted)}`);
    }
  }
}

function validatePersonalChannel(cfg: GyreConfig): void {
  const pc = cfg.client.subscribe_to_user_personal_channel;
  if (!pc.enabled) return;
  const base = 'client.subscribe_to_user_personal_channel';
  if (pc.personal_channel_namespace === '') {
    if (pc.single_connection && !cfg.channel.without_namespace.presence) {
      fail(`${base}.single_connection`, 'requires channel.without_namespace.presence: true');
    }
    return;
  }
  const ns = cfg.channel.namespaces.find((n) => n.name === pc.personal_channel_namespace);
  if (!ns) fail(`${base}.personal_channel_namespace`, `namespace ${quote(pc.personal_channel_namespace)} is not defined in channel.namespaces`);
  if (pc.single_connection && !ns.presence) {
    fail(`${base}.single_connection`, `requires presence: true in namespace ${quote(ns.name)}`);
  }
}

function validateRpc(cfg: GyreConfig, proxyNames: Set<string>): void {
  const check = (path: string, o: { proxy_enabled: boolean; proxy_name: string }): void => {
    checkProxyRef(`${path}.proxy_name`, o.proxy_name, proxyNames);
    if (o.proxy_enabled && o.proxy_name === DEFAULT_PROXY_NAME) {
      validateProxyObject('rpc.proxy', cfg.rpc.proxy, `${path}.proxy_enabled uses it`);
    }
  };
  check('rpc.without_namespace', cfg.rpc.without_namespace);
  const names = new Map<string, number>();
  cfg.rpc.namespaces.forEach((ns, i) => {
    const path = `rpc.namespaces[${i}]`;
    if (!NAME_PATTERN.test(ns.name)) fail(`${path}.name`, `must match ${NAME_PATTERN.source} (got ${quote(ns.name)})`);
    const prev = names.get(ns.name);
    if (prev !== undefined) fail(`${path}.name`, `duplicate rpc namespace name ${quote(ns.name)} (also rpc.namespaces[${prev}])`);
    names.set(ns.name, i);
    check(path, ns);
  });
}

function validateConsumers(cfg: GyreConfig): void {
  const names = new Set<string>();
  cfg.consumers.forEach((c, i) => {
    const path = `consumers[${i}]`;
    if (!CONSUMER_NAME_PATTERN.test(c.name)) fail(`${path}.name`, `must match ${CONSUMER_NAME_PATTERN.source} (got ${quote(c.name)})`);
    if (names.has(c.name)) fail(`${path}.name`, `duplicate consumer name ${quote(c.name)}`);
    names.add(c.name);
    if (!(KNOWN_CONSUMER_TYPES as readonly string[]).includes(c.type)) {
      fail(`${path}.type`, `unknown consumer type ${quote(c.type)} (expected one of ${KNOWN_CONSUMER_TYPES.join(', ')})`);
    }
    if (!c.enabled) return;
    const need = (cond: boolean, key: string, what: string): void => {
      if (!cond) fail(`${path}.${c.type}.${key}`, `${what} (consumer ${quote(c.name)} is enabled)`);
    };
    switch (c.type) {
      case 'postgresql':
        need(c.postgresql.dsn !== '', 'dsn', 'required');
        need(c.postgresql.outbox_table_name !== '', 'outbox_table_name', 'required');
        break;
      case 'kafka':
        need(c.kafka.brokers.length > 0, 'brokers', 'at least one broker is required');
        need(c.kafka.topics.length > 0, 'topics', 'at least one topic is required');
        need(c.kafka.consumer_group !== '', 'consumer_group', 'required');
        if (c.kafka.assume_role_arn !== '') {
          need(c.kafka.sasl_mechanism === 'aws-msk-iam', 'assume_role_arn', 'requires sasl_mechanism "aws-msk-iam"');
        }
        break;
      case 'nats_jetstream':
        need(c.nats_jetstream.stream_name !== '', 'stream_name', 'required');
        need(c.nats_jetstream.durable_consumer_name !== '', 'durable_consumer_name', 'required');
        if (!c.nats_jetstream.use_existing_consumer) {
          need(['new', 'all'].includes(c.nats_jetstream.deliver_policy), 'deliver_policy', 'must be "new" or "all"');
        }
        break;
      case 'redis_stream':
        need(c.redis_stream.streams.length > 0, 'streams', 'at least one stream is required');
        need(c.redis_stream.consumer_group !== '', 'consumer_group', 'required');
        break;
      case 'google_pub_sub':
        need(c.google_pub_sub.project_id !== '', 'project_id', 'required');
        need(c.google_pub_sub.subscriptions.length > 0, 'subscriptions', 'at least one subscription is required');
        break;
      case 'aws_sqs':
        need(c.aws_sqs.queues.length > 0, 'queues', 'at least one queue URL is required');
        break;
      case 'azure_service_bus': {
        const a = c.azure_service_bus;
        if (a.use_azure_identity) {
          for (const k of ['fully_qualified_namespace', 'tenant_id', 'client_id', 'client_secret'] as const) {
            need(a[k] !== '', k, 'required when use_azure_identity is true');
          }
        } else {
          need(a.connection_string !== '', 'connection_string', 'required unless use_azure_identity is true');
        }
        need(a.queues.length > 0, 'queues', 'at least one queue is required');
        break;
      }
    }
  });
}

const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function validateGyre(cfg: GyreConfig): string[] {
  const warnings: string[] = [];
  const g = cfg.gyre;
  const seen = new Set<string>();
  g.services.forEach((s, i) => {
    if (!(GYRE_SERVICES as readonly string[]).includes(s)) {
      fail(`gyre.services[${i}]`, `unknown service ${quote(s)} (expected one of ${GYRE_SERVICES.join(', ')})`);
    }
    if (seen.has(s)) fail(`gyre.services[${i}]`, `service ${quote(s)} is listed twice`);
    seen.add(s);
  });
  if (!SUBJECT_TOKEN.test(g.bus.subject_prefix)) {
    fail('gyre.bus.subject_prefix', `must be NATS subject tokens (letters, digits, _ and -, separated by dots), got ${quote(g.bus.subject_prefix)}`);
  }
  if (g.bus.type === 'memory' && seen.size < GYRE_SERVICES.length) {
    warnings.push(
      `gyre.services runs only ${[...seen].join(', ')} with gyre.bus.type "memory": the other services cannot reach this process; use gyre.bus.type "nats" to run services separately`,
    );
  }
  return warnings;
}
