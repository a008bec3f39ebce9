/**
 * Channel and RPC namespace resolution (reference §2.6), used on the client hot path. Options are
 * resolved once per config: a Map from namespace name to frozen options with the compiled
 * channel_regex, cached per config object. A lookup is then a prefix strip, one indexOf and one
 * Map get.
 *
 * The index is built on first use (eagerly by loadConfig). It is rebuilt when the channel or rpc
 * sections or their namespace arrays are replaced or change length (a test pushing a namespace into
 * a defaultConfig() works), but edits inside an existing namespace after the first lookup are not
 * seen: to change options at run time, load a new config object (that is what a reload does).
 */
import { compileGoRegex } from './regex.js';
import type { ChannelOptions, GyreConfig, RpcOptions } from './schema.js';

export interface ResolvedChannel {
  /** Namespace name, or null for channels without one (channel.without_namespace). */
  readonly namespace: string | null;
  /** The part channel_regex is matched against: after "ns:" (the whole channel without a namespace). */
  readonly rest: string;
  readonly options: Readonly<ChannelOptions>;
  /** Compiled channel_regex, or null when the namespace has none (then the channel must be ASCII). */
  readonly regex: RegExp | null;
}

interface NamespaceEntry {
  readonly namespace: string | null;
  readonly options: Readonly<ChannelOptions>;
  readonly regex: RegExp | null;
}

interface ChannelIndex {
  // What the index was built from, to notice replaced sections (see the header comment).
  readonly channel: GyreConfig['channel'];
  readonly namespaces: GyreConfig['channel']['namespaces'];
  readonly namespaceCount: number;
  readonly rpc: GyreConfig['rpc'];
  readonly rpcNamespaces: GyreConfig['rpc']['namespaces'];
  readonly rpcNamespaceCount: number;
  readonly privatePrefix: string;
  readonly boundary: string;
  readonly userBoundary: string;
  readonly userSeparator: string;
  readonly withoutNamespace: NamespaceEntry;
  readonly byName: ReadonlyMap<string, NamespaceEntry>;
  readonly rpcBoundary: string;
  readonly rpcWithout: Readonly<RpcOptions>;
  readonly rpcByName: ReadonlyMap<string, Readonly<RpcOptions>>;
}

const indexes = new WeakMap<GyreConfig, ChannelIndex>();

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function entry(namespace: string | null, source: ChannelOptions & { name?: string }): NamespaceEntry {
  // A frozen copy without `name`: callers may hold it, nobody may change it.
  const { name: _name, ...options } = structuredClone(source);
  let regex: RegExp | null = null;
  if (options.channel_regex !== '') {
    const compiled = compileGoRegex(options.channel_regex);
    // validateConfig rejects bad patterns; a hand-built config that skipped it fails closed.
    regex = compiled.ok ? compiled.regex : /(?!)/;
  }
  return Object.freeze({ namespace, options: deepFreeze(options as ChannelOptions), regex });
}

/** Builds (or returns the cached) resolution index for a config. */
export function channelIndex(config: GyreConfig): ChannelIndex {
  let idx = indexes.get(config);
  if (
    idx &&
    idx.channel === config.channel &&
    idx.namespaces === config.channel.namespaces &&
    idx.namespaceCount === config.channel.namespaces.length &&
    idx.rpc === config.rpc &&
    idx.rpcNamespaces === config.rpc.namespaces &&
    idx.rpcNamespaceCount === config.rpc.namespaces.length
  ) {
    return idx;
  }
  const byName = new Map<string, NamespaceEntry>();
  for (const ns of config.channel.namespaces) byName.set(ns.name, entry(ns.name, ns));
  const rpcByName = new Map<string, Readonly<RpcOptions>>();
  for (const ns of config.rpc.namespaces) {
    rpcByName.set(ns.name, Object.freeze({ proxy_enabled: ns.proxy_enabled, proxy_name: ns.proxy_name }));
  }
  idx = {
    channel: config.channel,
    namespaces: config.channel.namespaces,
    namespaceCount: config.channel.namespaces.length,
    rpc: config.rpc,
    rpcNamespaces: config.rpc.namespaces,
    rpcNamespaceCount: config.rpc.namespaces.length,
    privatePrefix: config.channel.private_prefix,
    boundary: config.channel.namespace_boundary,
    userBoundary: config.channel.user_boundary,
    userSeparator: config.channel.user_separator,
    withoutNamespace: entry(null, config.channel.without_namespace),
    byName,
    rpcBoundary: config.rpc.namespace_boundary,
    rpcWithout: Object.freeze({ ...config.rpc.without_namespace }),
    rpcByName,
  };
  indexes.set(config, idx);
  return idx;
}

/**
 * Resolves the options of a channel: strip the private prefix ("$"), take the namespace before the
 * first namespace boundary (":"). Returns null when that namespace is not defined, so the caller
 * answers 102 (unknown channel). An empty namespace (":abc") means without_namespace, as in
 * Centrifugo.
 */
export function resolveChannel(config: GyreConfig, channel: string): ResolvedChannel | null {
  const idx = channelIndex(config);
  const trimmed = idx.privatePrefix !== '' && channel.startsWith(idx.privatePrefix) ? channel.slice(idx.privatePrefix.length) : channel;
  const at = idx.boundary === '' ? -1 : trimmed.indexOf(idx.boundary);
  if (at === -1) {
    const w = idx.withoutNamespace;
    return { namespace: null, rest: channel, options: w.options, regex: w.regex };
  }
  const name = trimmed.slice(0, at);
  const rest = trimmed.slice(at + idx.boundary.length);
  const e = name === '' ? idx.withoutNamespace : idx.byName.get(name);
  if (!e) return null;
  return { namespace: e.namespace, rest, options: e.options, regex: e.regex };
}

/** Whether subscribing needs a subscription token: the channel starts with channel.private_prefix. */
export function isPrivateChannel(config: GyreConfig, channel: string): boolean {
  const p = config.channel.private_prefix;
  return p !== '' && channel.startsWith(p);
}

/**
 * The users a user-limited channel is for: the part after the last user boundary ("#"), split on
 * the user separator (","): `dialog#42,43` → ["42", "43"]. Null when the channel is not user-limited.
 * Whether the namespace allows such channels (allow_user_limited_channels) is the caller's check.
 */
export function userLimitedUsers(config: GyreConfig, channel: string): string[] | null {
  const { user_boundary: boundary, user_separator: separator } = config.channel;
  if (boundary === '') return null;
  const at = channel.lastIndexOf(boundary);
  if (at === -1) return null;
  const tail = channel.slice(at + boundary.length);
  return separator === '' ? [tail] : tail.split(separator);
}

/** The personal channel of a user: `#<user>`, or `<ns>:#<user>` with a personal namespace. */
export function personalChannel(config: GyreConfig, user: string): string {
  const ns = config.client.subscribe_to_user_personal_channel.personal_channel_namespace;
  const c = config.channel;
  return ns === '' ? `${c.user_boundary}${user}` : `${ns}${c.namespace_boundary}${c.user_boundary}${user}`;
}

export interface ResolvedRpc {
  readonly namespace: string | null;
  readonly options: Readonly<RpcOptions>;
}

/** RPC method namespace: the part before the first rpc.namespace_boundary. Null when undefined. */
export function resolveRpcNamespace(config: GyreConfig, method: string): ResolvedRpc | null {
  const idx = channelIndex(config);
  const at = idx.rpcBoundary === '' ? -1 : method.indexOf(idx.rpcBoundary);
  const name = at === -1 ? '' : method.slice(0, at);
  if (name === '') return { namespace: null, options: idx.rpcWithout };
  const options = idx.rpcByName.get(name);
  return options ? { namespace: name, options } : null;
}
