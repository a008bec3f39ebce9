// @gyre/config: Centrifugo v6 config (JSON/YAML/TOML, env, flags) plus the `gyre` section,
// loaded, defaulted and validated from one schema. See schema.ts for every key.
export { ConfigError } from './errors.js';
export {
  configSchema,
  GYRE_SERVICES,
  type GyreServiceName,
  type GyreConfig,
  type GyreSection,
  type TlsConfig,
  type ProxyConfig,
  type EnabledProxyConfig,
  type NamedProxyConfig,
  type TokenConfig,
  type SubscriptionTokenConfig,
  type ChannelOptions,
  type NamespaceConfig,
  type RpcOptions,
  type RpcNamespaceConfig,
  type ConsumerConfig,
  type ClientConfig,
  type ChannelConfig,
  type EngineRedisConfig,
} from './schema.js';
export type { Infer, KeyValue } from './schema_kit.js';
export { loadConfig, parseConfigText, defaultConfig, type LoadOptions, type LoadResult } from './load.js';
export {
  resolveChannel,
  resolveRpcNamespace,
  userLimitedUsers,
  isPrivateChannel,
  personalChannel,
  type ResolvedChannel,
  type ResolvedRpc,
} from './channels.js';
export { genconfig, type GenconfigFormat } from './genconfig.js';
export { configKeys, configDocs, type ConfigKey } from './docs.js';
export { formatDuration, parseGoDuration } from './duration.js';
export { compileGoRegex } from './regex.js';
/** Re-validates a config built or changed by hand; throws ConfigError, returns warnings. */
export { validateConfig } from './validate.js';
export { compileGlob, originChecker, GlobSyntaxError } from './glob.js';
export { readPem } from './tls.js';
