/**
 * Every config key Gyre reads: Centrifugo v6's OSS key tree (reference Appendix A, §2.5 channel
 * options, §2.8 TLS object, §5.3 proxy object) plus the `gyre` section for cluster wiring that
 * Centrifugo has no key for. Property names are the exact snake_case keys of config.json.
 *
 * To add a key: add a node here. Its type, default, env var name, unknown-key detection and docs
 * entry follow from the node. Cross-key rules go in validate.ts.
 */
import {
  arr,
  bool,
  dur,
  int,
  INT32_MAX,
  obj,
  oneOf,
  port,
  str,
  strList,
  strMap,
  uint32,
  type BoolNode,
  type Infer,
  type ObjectNode,
  type StringNode,
} from './schema_kit.js';

// ---- shared objects ------------------------------------------------------------------------

/** §2.8: the TLS object used everywhere. `*_pem` take raw PEM, base64 PEM or a file path. */
export const tlsNode = obj({
  enabled: bool(false, 'Turns TLS on for this connection or listener.'),
  cert_pem: str('', 'Certificate: raw PEM, base64-encoded PEM or a file path.'),
  key_pem: str('', 'Private key: raw PEM, base64-encoded PEM or a file path.'),
  server_ca_pem: str('', 'CA used by a client to verify the server.'),
  client_ca_pem: str('', 'CA used by a server to verify clients (mTLS).'),
  insecure_skip_verify: bool(false, 'Do not verify the server certificate (testing only).'),
  server_name: str('', 'Server name used to verify the certificate host name.'),
});

const statusToCodeTransformNode = obj({
  status_code: int(0, { max: 599 }),
  to_error: obj({ code: uint32(), message: str(), temporary: bool() }),
  to_disconnect: obj({ code: uint32(), reason: str() }),
});

/** §5.3: fields of a proxy (connect, refresh, subscribe, publish, ... and named proxies). */
const proxyFields = {
  endpoint: str('', 'Backend endpoint: http://, https:// or grpc://host:port.'),
  timeout: dur('1s', { doc: 'Timeout of one proxy request.' }),
  http_headers: strList([], 'Client request headers to pass to the backend.'),
  grpc_metadata: strList([], 'Client GRPC metadata keys to pass to the backend.'),
  emulated_headers: strList([], 'Headers emulated by clients (via connect request data) to pass on.'),
  binary_encoding: bool(false, 'Send payloads base64-encoded (b64data) instead of JSON.'),
  include_connection_meta: bool(false, 'Attach the connection meta to every proxy request.'),
  http: obj({
    tls: tlsNode,
    static_headers: strMap('Headers added to every HTTP proxy request; values may use ${CENTRIFUGO_VAR_*}.'),
    status_to_code_transforms: arr(statusToCodeTransformNode),
  }),
  grpc: obj({
    tls: tlsNode,
    credentials_key: str(),
    credentials_value: str(),
    compression: bool(),
    static_metadata: strMap(),
  }),
} as const;

export const proxyNode = obj(proxyFields);
export const enabledProxyNode = obj({ enabled: bool(false, 'Turns this proxy on.'), ...proxyFields });
export const namedProxyNode = obj({
  name: str('', 'Unique proxy name, matching ^[-a-zA-Z0-9_.]{2,}$; "default" is reserved.'),
  ...proxyFields,
});

/** Token verification settings (client.token; client.subscription_token adds `enabled`). */
const tokenFields = {
  hmac_secret_key: str('', 'Secret for HS256/384/512 tokens.'),
  hmac_previous_secret_key: str('', 'Previous HMAC secret, accepted during key rotation.'),
  hmac_previous_secret_key_valid_until: int(0, {}, 'Unix seconds until which the previous key is accepted.'),
  rsa_public_key: str('', 'RSA public key (PEM) for RS256/384/512.'),
  ecdsa_public_key: str('', 'ECDSA public key (PEM) for ES256/384/512.'),
  jwks_public_endpoint: str('', 'JWKS URL; when set, only JWKS is used.'),
  audience: str(),
  audience_regex: str(),
  issuer: str(),
  issuer_regex: str(),
  user_id_claim: str('', 'Custom claim for the user ID (default "sub"); must match ^[a-zA-Z_]+$.'),
  insecure_skip_jwks_endpoint_safety_check: bool(),
} as const;

export const tokenNode = obj(tokenFields);
export const subscriptionTokenNode = obj({ enabled: bool(), ...tokenFields });

const redisCommonFields = {
  address: strList(['redis://127.0.0.1:6379'], 'Redis addresses (space-separated in env).'),
  connect_timeout: dur('1s'),
  io_timeout: dur('4s'),
  db: int(0),
  user: str(),
  password: str(),
  client_name: str(),
  force_resp2: bool(),
  cluster_address: strList(),
  tls: tlsNode,
  sentinel_address: strList(),
  sentinel_user: str(),
  sentinel_password: str(),
  sentinel_master_name: str(),
  sentinel_client_name: str(),
  sentinel_tls: tlsNode,
  replica_client: obj({ enabled: bool() }),
} as const;

const redisPresenceFields = {
  presence_ttl: dur('60s'),
  presence_hash_field_ttl: bool(),
  presence_user_mapping: bool(),
} as const;

const postgresStreamFields = {
  dsn: str(),
  tls: tlsNode,
  pool_size: int(16),
  num_shards: int(8),
  cleanup_interval: dur('1m'),
  idempotent_result_ttl: dur('5m'),
  binary_data: bool(),
  stream_retention: dur('24h'),
  use_notify: bool(),
  notify_dsn: str(),
  table_prefix: str('cf'),
  skip_schema_init: bool(),
  outbox: obj({ poll_interval: dur('100ms'), batch_size: int(1000) }),
  partition_lookahead_days: int(2),
  partition_retention_days: int(7),
} as const;

const natsBrokerNode = obj({
  prefix: str('centrifugo'),
  url: str('nats://localhost:4222'),
  dial_timeout: dur('1s'),
  write_timeout: dur('1s'),
  tls: tlsNode,
  allow_wildcards: bool(),
  raw_mode: obj({ enabled: bool(), channel_replacements: strMap(), prefix: str() }),
});

// ---- channel options (§2.5) ----------------------------------------------------------------

const mapOptionsNode = obj({
  mode: oneOf(['', 'ephemeral', 'recoverable', 'persistent'], ''),
  key_ttl: dur(),
  ordered: bool(),
  stream_size: int(0),
  stream_ttl: dur(),
  meta_ttl: dur(),
  remove_client_on_unsubscribe: bool(),
  client_key: oneOf(['', 'client_id', 'user_id'], ''),
  allow_publish_for_client: bool(),
  allow_publish_for_subscriber: bool(),
  allow_publish_for_anonymous: bool(),
  allow_remove_for_client: bool(),
  allow_remove_for_subscriber: bool(),
  allow_remove_for_anonymous: bool(),
  publish_proxy_enabled: bool(),
  publish_proxy_name: str('default'),
  remove_proxy_enabled: bool(),
  remove_proxy_name: str('default'),
  default_page_size: int(0),
  min_page_size: int(0),
  max_page_size: int(0),
  live_transition_max_publication_limit: int(0),
  subscribe_catch_up_timeout: dur(),
});

const sharedPollOptionsNode = obj({
  proxy_name: str(),
  refresh_interval: dur(),
  refresh_batch_size: int(0),
  max_keys_per_connection: int(0),
  mode: oneOf(['', 'versionless', 'versioned'], ''),
  channel_shutdown_delay: dur(),
  track_expired_extra_delay: dur(),
  publish_enabled: bool(),
});

const publicationDataFormats = ['', 'json', 'json_object', 'binary'] as const;

const channelOptionFields = {
  presence: bool(false, 'Keep presence (who is subscribed) for channels.'),
  join_leave: bool(false, 'Emit join/leave events.'),
  force_push_join_leave: bool(false, 'Push join/leave to every subscriber without them asking.'),
  history_size: int(0, {}, 'Publications kept in history; history needs history_size and history_ttl.'),
  history_ttl: dur('', { wholeSeconds: true, doc: 'History retention window (whole seconds).' }),
  history_meta_ttl: dur('', { wholeSeconds: true, doc: 'Stream meta TTL; 0 means channel.history_meta_ttl.' }),
  force_positioning: bool(),
  allow_positioning: bool(),
  force_recovery: bool(false, 'Every subscription is recoverable; needs history.'),
  allow_recovery: bool(),
  force_recovery_mode: oneOf(['', 'stream', 'cache'], ''),
  auto_cache_recover: bool(false, 'Cache recovery without the client asking; needs force_recovery and cache mode.'),
  allowed_delta_types: strList([], 'Delta types subscribers may negotiate; only "fossil".'),
  delta_publish: bool(),
  allow_tags_filter: bool(),
  allow_subscribe_for_client: bool(),
  allow_subscribe_for_anonymous: bool(),
  allow_publish_for_client: bool(),
  allow_publish_for_subscriber: bool(),
  allow_publish_for_anonymous: bool(),
  allow_history_for_client: bool(),
  allow_history_for_subscriber: bool(),
  allow_history_for_anonymous: bool(),
  allow_presence_for_client: bool(),
  allow_presence_for_subscriber: bool(),
  allow_presence_for_anonymous: bool(),
  allow_user_limited_channels: bool(false, 'Allow #user1,user2 user-limited channels.'),
  channel_regex: str('', 'Regex (Go RE2 syntax) the channel part after "ns:" must match.'),
  publication_data_format: oneOf(publicationDataFormats, ''),
  subscribe_proxy_enabled: bool(),
  subscribe_proxy_name: str('default'),
  publish_proxy_enabled: bool(),
  publish_proxy_name: str('default'),
  sub_refresh_proxy_enabled: bool(),
  sub_refresh_proxy_name: str('default'),
  subscribe_stream_proxy_enabled: bool(),
  subscribe_stream_proxy_name: str('default'),
  subscribe_stream_proxy_bidirectional: bool(),
  subscription_type: oneOf(['', 'stream', 'map', 'map_clients', 'map_users', 'shared_poll'], ''),
  map: mapOptionsNode,
  map_clients_presence_channel_prefix: str(),
  map_users_presence_channel_prefix: str(),
  shared_poll: sharedPollOptionsNode,
} as const;

export const channelOptionsNode = obj(channelOptionFields);
export const namespaceNode = obj({
  name: str('', 'Unique namespace name, matching ^[-a-zA-Z0-9_.]{2,}$.'),
  ...channelOptionFields,
});

const rpcOptionFields = {
  proxy_enabled: bool(),
  proxy_name: str('default'),
} as const;

export const rpcOptionsNode = obj(rpcOptionFields);
export const rpcNamespaceNode = obj({ name: str(), ...rpcOptionFields });

// ---- consumers -----------------------------------------------------------------------------

type PublicationDataModeFields<W extends string> = { readonly enabled: BoolNode } & {
  readonly [K in
    | `channels_${W}`
    | `idempotency_key_${W}`
    | `delta_${W}`
    | `version_${W}`
    | `version_epoch_${W}`
    | `tags_${W}_prefix`]: StringNode;
};

/** Consumers' publication data mode; `word` is header, value, attribute or property. */
function publicationDataMode<W extends string>(word: W): ObjectNode<PublicationDataModeFields<W>> {
  const fields = {
    enabled: bool(),
    [`channels_${word}`]: str('centrifugo-channels'),
    [`idempotency_key_${word}`]: str('centrifugo-idempotency-key'),
    [`delta_${word}`]: str('centrifugo-delta'),
    [`version_${word}`]: str('centrifugo-version'),
    [`version_epoch_${word}`]: str('centrifugo-version-epoch'),
    [`tags_${word}_prefix`]: str('centrifugo-tag-'),
  } as unknown as PublicationDataModeFields<W>;
  return obj(fields);
}

export const consumerNode = obj({
  name: str('', 'Unique consumer name, matching ^[a-zA-Z0-9_]{2,}$.'),
  enabled: bool(),
  type: str('', 'postgresql, kafka, nats_jetstream, redis_stream, google_pub_sub, aws_sqs or azure_service_bus.'),
  postgresql: obj({
    dsn: str(),
    outbox_table_name: str(),
    num_partitions: int(1),
    partition_select_limit: int(100),
    partition_poll_interval: dur('300ms'),
    partition_notification_channel: str(),
    partition_notification_dsn: str(),
    tls: tlsNode,
    use_try_lock: bool(),
  }),
  kafka: obj({
    brokers: strList(),
    topics: strList(),
    consumer_group: str(),
    max_poll_records: int(100),
    fetch_max_bytes: int(0, { max: INT32_MAX }),
    fetch_max_wait: dur('500ms'),
    fetch_read_uncommitted: bool(),
    partition_queue_max_size: int(1000, { min: -1 }),
    dial_timeout: dur('3s'),
    tls: tlsNode,
    sasl_mechanism: str(),
    sasl_user: str(),
    sasl_password: str(),
    assume_role_arn: str(),
    instance_id: str(),
    method_header: str('centrifugo-method'),
    publication_data_mode: publicationDataMode('header'),
  }),
  nats_jetstream: obj({
    url: str('nats://127.0.0.1:4222'),
    credentials_file: str(),
    username: str(),
    password: str(),
    token: str(),
    stream_name: str(),
    use_existing_consumer: bool(),
    subjects: strList(),
    durable_consumer_name: str(),
    deliver_policy: str('new'),
    max_ack_pending: int(100),
    method_header: str('centrifugo-method'),
    publication_data_mode: publicationDataMode('header'),
    tls: tlsNode,
  }),
  redis_stream: obj({
    ...redisCommonFields,
    streams: strList(),
    consumer_group: str(),
    visibility_timeout: dur('30s'),
    num_workers: int(1),
    payload_value: str('payload'),
    method_value: str('method'),
    publication_data_mode: publicationDataMode('value'),
  }),
  google_pub_sub: obj({
    project_id: str(),
    subscriptions: strList(),
    max_outstanding_messages: int(100),
    max_outstanding_bytes: int(1000000),
    auth_mechanism: str(),
    credentials_file: str(),
    method_attribute: str('centrifugo-method'),
    publication_data_mode: publicationDataMode('attribute'),
  }),
  aws_sqs: obj({
    queues: strList(),
    sns_envelope: bool(),
    region: str(),
    max_number_of_messages: int(10, { max: INT32_MAX }),
    wait_time_time: dur('20s'),
    visibility_timeout: dur('30s'),
    max_concurrency: int(1),
    credentials_profile: str(),
    assume_role_arn: str(),
    method_attribute: str('centrifugo-method'),
    localstack_endpoint: str(),
    publication_data_mode: publicationDataMode('attribute'),
  }),
  azure_service_bus: obj({
    connection_string: str(),
    use_azure_identity: bool(),
    fully_qualified_namespace: str(),
    tenant_id: str(),
    client_id: str(),
    client_secret: str(),
    queues: strList(),
    use_sessions: bool(),
    max_concurrent_calls: int(1),
    max_receive_messages: int(1),
    method_property: str('centrifugo-method'),
    publication_data_mode: publicationDataMode('property'),
  }),
});

// ---- transports ----------------------------------------------------------------------------

const connectCodeToHttpResponseNode = obj({
  enabled: bool(),
  transforms: arr(obj({ code: uint32(), to: obj({ status_code: int(0, { max: 599 }), body: str() }) })),
});

const websocketFields = {
  handler_prefix: str('/connection/websocket'),
  compression: bool(),
  compression_min_size: int(0),
  compression_level: int(1, { min: -2, max: 9 }),
  read_buffer_size: int(0),
  use_write_buffer_pool: bool(),
  write_buffer_size: int(0),
  write_timeout: dur('1000ms'),
  message_size_limit: int(65536),
  decompressed_message_size_limit: int(0),
} as const;

/** Service names `gyre.services` may list; the embedded default runs all of them. */
export const GYRE_SERVICES = ['edge', 'api', 'proxy-dispatcher', 'presence-history'] as const;
export type GyreServiceName = (typeof GYRE_SERVICES)[number];

// ---- the whole tree ------------------------------------------------------------------------

export const configSchema = obj({
  http_server: obj({
    address: str('', 'Bind host for the external server ("" = all interfaces).'),
    port: port(8000, 'External HTTP port.'),
    internal_address: str(),
    internal_port: str('', 'Separate port (a string) for API, admin, metrics, health and debug.'),
    tls: tlsNode,
    tls_autocert: obj({
      enabled: bool(),
      host_whitelist: strList(),
      cache_dir: str(),
      email: str(),
      server_name: str(),
      http: bool(),
      http_addr: str(':80'),
    }),
    tls_external: bool(),
    internal_tls: tlsNode,
    http3: obj({ enabled: bool() }),
    h2c_external: bool(),
  }),
  log: obj({
    level: oneOf(['none', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'], 'info'),
    file: str(),
  }),
  engine: obj({
    type: oneOf(['memory', 'redis'], 'memory'),
    redis: obj({ prefix: str('centrifugo'), ...redisCommonFields, history_use_lists: bool(), ...redisPresenceFields }),
  }),
  broker: obj({
    enabled: bool(),
    type: oneOf(['memory', 'nats', 'redis', 'redisnats', 'postgres'], 'memory'),
    redis: obj({ prefix: str('centrifugo'), ...redisCommonFields, history_use_lists: bool() }),
    nats: natsBrokerNode,
    postgres: obj(postgresStreamFields),
  }),
  presence_manager: obj({
    enabled: bool(),
    type: oneOf(['memory', 'redis'], 'memory'),
    redis: obj({ prefix: str('centrifugo'), ...redisCommonFields, ...redisPresenceFields }),
  }),
  map_broker: obj({
    type: oneOf(['memory', 'redis', 'postgres'], 'memory'),
    redis: obj({
      prefix: str('centrifugo'),
      ...redisCommonFields,
      cleanup_interval: dur('1s'),
      cleanup_batch_size: int(100),
      idempotent_result_ttl: dur('5m'),
      skip_pub_sub: bool(),
    }),
    postgres: obj({
      dsn: str(),
      tls: tlsNode,
      pool_size: int(16),
      num_shards: int(8),
      ttl_check_interval: dur('1s'),
      cleanup_interval: dur('1m'),
      idempotent_result_ttl: dur('5m'),
      binary_data: bool(),
      stream_retention: dur('24h'),
      use_notify: bool(),
      notify_dsn: str(),
      table_prefix: str('cf'),
      skip_schema_init: bool(),
      outbox: obj({ poll_interval: dur('100ms'), batch_size: int(1000) }),
      partition_lookahead_days: int(2),
      partition_retention_days: int(7),
    }),
  }),
  controller: obj({
    enabled: bool(),
    type: str(),
    postgres: obj({
      dsn: str(),
      tls: tlsNode,
      pool_size: int(8),
      num_shards: int(1),
      table_prefix: str('cf'),
      poll_interval: dur('50ms'),
      use_notify: bool(),
      notify_dsn: str(),
      partition_retention_days: int(1),
      partition_lookahead_days: int(2),
      partition_cleanup_interval: dur('1m'),
      batch_size: int(1000),
      skip_schema_init: bool(),
    }),
  }),
  shared_poll: obj({
    hmac_secret_key: str(),
    hmac_previous_secret_key: str(),
    hmac_previous_secret_key_valid_until: int(0),
    concurrency_limit: int(0),
  }),
  client: obj({
    proxy: obj({ connect: enabledProxyNode, refresh: enabledProxyNode }),
    allowed_origins: strList([], 'Origin glob patterns allowed to connect; empty rejects every request with Origin.'),
    token: tokenNode,
    subscription_token: subscriptionTokenNode,
    allow_anonymous_connect_without_token: bool(),
    disallow_anonymous_connection_tokens: bool(),
    ping_interval: dur('25s', { doc: 'App-level ping interval; -1 disables. Must exceed pong_timeout.' }),
    pong_timeout: dur('8s', { doc: 'Pong wait after a ping; -1 disables.' }),
    expired_close_delay: dur('25s'),
    expired_sub_close_delay: dur('25s'),
    stale_close_delay: dur('10s'),
    channel_limit: int(128, {}, 'Maximum subscriptions per connection.'),
    queue_max_size: int(1048576, {}, 'Per-connection outgoing queue in bytes (then disconnect 3008).'),
    presence_update_interval: dur('27s'),
    concurrency: int(0),
    channel_position_check_delay: dur('40s'),
    channel_position_max_time_lag: dur(),
    connection_limit: int(0),
    user_connection_limit: int(0),
    connection_rate_limit: int(0),
    connect_include_server_time: bool(),
    history_max_publication_limit: int(300),
    recovery_max_publication_limit: int(300),
    insecure_skip_token_signature_verify: bool(),
    user_id_http_header: str(),
    insecure: bool(false, 'No auth at all (development only).'),
    subscribe_to_user_personal_channel: obj({
      enabled: bool(),
      personal_channel_namespace: str(),
      single_connection: bool(),
    }),
    connect_code_to_unidirectional_disconnect: obj({
      enabled: bool(),
      transforms: arr(obj({ code: uint32(), to: obj({ code: uint32(), reason: str() }) })),
    }),
  }),
  channel: obj({
    proxy: obj({
      subscribe: proxyNode,
      publish: proxyNode,
      sub_refresh: proxyNode,
      subscribe_stream: proxyNode,
      map_publish: proxyNode,
      map_remove: proxyNode,
      shared_poll_refresh: proxyNode,
    }),
    without_namespace: channelOptionsNode,
    namespaces: arr(namespaceNode, { named: true }),
    history_meta_ttl: dur('720h', { wholeSeconds: true, doc: 'Default stream meta TTL (whole seconds).' }),
    publication_data_format: oneOf(publicationDataFormats, ''),
    max_length: int(255, {}, 'Maximum channel length in bytes.'),
    private_prefix: str('$'),
    namespace_boundary: str(':'),
    user_boundary: str('#'),
    user_separator: str(','),
  }),
  rpc: obj({
    proxy: proxyNode,
    without_namespace: rpcOptionsNode,
    namespaces: arr(rpcNamespaceNode, { named: true }),
    ping: obj({ enabled: bool(), method: str('ping') }),
    namespace_boundary: str(':'),
  }),
  proxies: arr(namedProxyNode, { named: true }),
  http_api: obj({
    disabled: bool(),
    handler_prefix: str('/api'),
    key: str('', 'Server API key (X-API-Key or "Authorization: apikey <KEY>").'),
    error_mode: oneOf(['', 'transport'], ''),
    external: bool(),
    insecure: bool(),
  }),
  grpc_api: obj({
    enabled: bool(),
    error_mode: oneOf(['', 'transport'], ''),
    address: str(),
    port: port(10000),
    key: str(),
    tls: tlsNode,
    reflection: bool(),
    max_receive_message_size: int(0),
  }),
  consumers: arr(consumerNode, { named: true }),
  websocket: obj({ disabled: bool(), ...websocketFields }),
  sse: obj({ enabled: bool(), handler_prefix: str('/connection/sse'), max_request_body_size: int(65536) }),
  http_stream: obj({
    enabled: bool(),
    handler_prefix: str('/connection/http_stream'),
    max_request_body_size: int(65536),
  }),
  webtransport: obj({
    enabled: bool(),
    handler_prefix: str('/connection/webtransport'),
    message_size_limit: int(65536),
  }),
  uni_sse: obj({
    enabled: bool(),
    handler_prefix: str('/connection/uni_sse'),
    max_request_body_size: int(65536),
    connect_code_to_http_response: connectCodeToHttpResponseNode,
  }),
  uni_http_stream: obj({
    enabled: bool(),
    handler_prefix: str('/connection/uni_http_stream'),
    max_request_body_size: int(65536),
    connect_code_to_http_response: connectCodeToHttpResponseNode,
  }),
  uni_websocket: obj({
    enabled: bool(),
    ...websocketFields,
    handler_prefix: str('/connection/uni_websocket'),
    disable_closing_handshake: bool(),
    disable_disconnect_push: bool(),
    join_push_messages: bool(),
  }),
  uni_grpc: obj({
    enabled: bool(),
    address: str(),
    port: port(11000),
    max_receive_message_size: int(0),
    tls: tlsNode,
  }),
  emulation: obj({ handler_prefix: str('/emulation'), max_request_body_size: int(65536) }),
  admin: obj({
    enabled: bool(),
    handler_prefix: str(),
    password: str(),
    secret: str(),
    insecure: bool(),
    web_path: str(),
    web_proxy_address: str(),
    external: bool(),
  }),
  prometheus: obj({
    enabled: bool(),
    handler_prefix: str('/metrics'),
    instrument_http_handlers: bool(),
    recovered_publications_histogram: bool(),
    native_histograms: bool(),
  }),
  health: obj({ enabled: bool(), handler_prefix: str('/health') }),
  swagger: obj({ enabled: bool(), handler_prefix: str('/swagger') }),
  debug: obj({ enabled: bool(), handler_prefix: str('/debug/pprof') }),
  init: obj({ enabled: bool(), handler_prefix: str('/connection/init') }),
  opentelemetry: obj({ enabled: bool(), api: bool(), consuming: bool(), google_cloud_adc_auth: bool() }),
  graphite: obj({
    enabled: bool(),
    host: str('localhost'),
    port: port(2003),
    prefix: str('centrifugo'),
    interval: dur('10s'),
    tags: bool(),
  }),
  usage_stats: obj({ disabled: bool() }),
  node: obj({ name: str('', 'Human-readable node name (default hostname_port).'), info_metrics_aggregate_interval: dur('60s') }),
  shutdown: obj({ timeout: dur('30s', { doc: 'Graceful shutdown (drain) window.' }) }),
  pid_file: str(),
  enable_unreleased_features: bool(),

  /** Keys Centrifugo has no equivalent for: how Gyre's services are wired together. */
  gyre: obj({
    bus: obj({
      type: oneOf(['memory', 'nats'], 'memory', 'Bus between services: in-process (embedded) or NATS (cluster).'),
      subject_prefix: str('gyre', 'Prefix of every NATS subject Gyre uses.'),
      nats: obj({ url: str('nats://127.0.0.1:4222', 'NATS server URL(s) for the bus.') }),
    }),
    store: obj({
      type: oneOf(['memory', 'redis'], 'memory', 'History/presence store: in-process or Redis.'),
      redis: obj({ address: str('redis://127.0.0.1:6379', 'Redis URL for the store.') }),
    }),
    services: strList(GYRE_SERVICES, 'Services this process runs (edge, api, proxy-dispatcher, presence-history).'),
    http: obj({
      max_request_body_size: int(1048576, { min: 1 }, 'Maximum server API request body in bytes.'),
    }),
  }),
});

// ---- exported types ------------------------------------------------------------------------

/** The loaded config: Centrifugo v6 keys plus the `gyre` section. Durations are milliseconds. */
export type GyreConfig = Infer<typeof configSchema>;
export type TlsConfig = Infer<typeof tlsNode>;
/** Fields shared by every proxy object (§5.3). */
export type ProxyConfig = Infer<typeof proxyNode>;
/** client.proxy.connect / client.proxy.refresh: a proxy with `enabled`. */
export type EnabledProxyConfig = Infer<typeof enabledProxyNode>;
/** An item of the top-level `proxies` array. */
export type NamedProxyConfig = Infer<typeof namedProxyNode>;
/** The `client.token` section. */
export type TokenConfig = Infer<typeof tokenNode>;
export type SubscriptionTokenConfig = Infer<typeof subscriptionTokenNode>;
export type ChannelOptions = Infer<typeof channelOptionsNode>;
export type NamespaceConfig = Infer<typeof namespaceNode>;
export type RpcOptions = Infer<typeof rpcOptionsNode>;
export type RpcNamespaceConfig = Infer<typeof rpcNamespaceNode>;
export type ConsumerConfig = Infer<typeof consumerNode>;
export type GyreSection = GyreConfig['gyre'];
export type ClientConfig = GyreConfig['client'];
export type ChannelConfig = GyreConfig['channel'];
export type EngineRedisConfig = GyreConfig['engine']['redis'];
