/**
 * Which proxy object serves a request: `default` (or "") is the per-event object under
 * client.proxy.* / channel.proxy.* / rpc.proxy, any other name is an entry of `proxies[]`
 * (Centrifugo's per-namespace `*_proxy_name`).
 */
import type { GyreConfig, ProxyConfig } from '@gyre/config';

export const DEFAULT_PROXY_NAME = 'default';

export type EndpointKind =
  | { readonly protocol: 'http'; readonly url: URL }
  | { readonly protocol: 'grpc'; readonly target: string };

export class ProxyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyConfigError';
  }
}

/** The per-event default proxy object (may have an empty endpoint when not configured). */
export function defaultProxyFor(config: GyreConfig, event: string): ProxyConfig | undefined {
  switch (event) {
    case 'connect':
      return config.client.proxy.connect;
    case 'refresh':
      return config.client.proxy.refresh;
    case 'rpc':
      return config.rpc.proxy;
    default: {
      const channel = config.channel.proxy as Record<string, ProxyConfig | undefined>;
      return Object.hasOwn(channel, event) ? channel[event] : undefined;
    }
  }
}

export interface ResolvedProxy {
  /** `default` or the proxies[] name: the `name` metric label and the pool key. */
  readonly name: string;
  readonly config: ProxyConfig;
}

/** Resolves (event, name) to a proxy object with an endpoint, or undefined. */
export function resolveProxy(config: GyreConfig, event: string, name: string): ResolvedProxy | undefined {
  if (name === '' || name === DEFAULT_PROXY_NAME) {
    const p = defaultProxyFor(config, event);
    return p && p.endpoint !== '' ? { name: DEFAULT_PROXY_NAME, config: p } : undefined;
  }
  const p = config.proxies.find((x) => x.name === name);
  return p && p.endpoint !== '' ? { name, config: p } : undefined;
}

/** Every proxy object with an endpoint, with the config path it came from (for start-up checks). */
export function configuredProxies(config: GyreConfig): Array<{ path: string; config: ProxyConfig }> {
  const out: Array<{ path: string; config: ProxyConfig }> = [];
  const add = (path: string, p: ProxyConfig | undefined) => {
    if (p && p.endpoint !== '') out.push({ path, config: p });
  };
  add('client.proxy.connect', config.client.proxy.connect);
  add('client.proxy.refresh', config.client.proxy.refresh);
  for (const [event, p] of Object.entries(config.channel.proxy)) add(`channel.proxy.${event}`, p as ProxyConfig);
  add('rpc.proxy', config.rpc.proxy);
  config.proxies.forEach((p, i) => add(`proxies[${i}] (${p.name})`, p));
  return out;
}

/** `http(s)://…` is HTTP, `grpc://host:port` is GRPC; anything else is a config error. */
export function parseEndpoint(endpoint: string): EndpointKind {
  const lower = endpoint.toLowerCase();
  if (lower.startsWith('http://') || lower.startsWith('https://')) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ProxyConfigError(`invalid proxy endpoint ${JSON.stringify(endpoint)}`);
    }
    return { protocol: 'http', url };
  }
  if (lower.startsWith('grpc://')) {
    // Centrifugo dials u.Host: the path, if any, is ignored. Taken verbatim (URL would drop `:80`).
    const host = endpoint.slice('grpc://'.length).split(/[/?#]/, 1)[0] ?? '';
    let url: URL;
    try {
      url = new URL(`http://${host}`);
    } catch {
      throw new ProxyConfigError(`invalid proxy endpoint ${JSON.stringify(endpoint)}`);
    }
    if (!url.hostname || url.username || url.password) throw new ProxyConfigError(`invalid proxy endpoint ${JSON.stringify(endpoint)}`);
    return { protocol: 'grpc', target: host };
  }
  throw new ProxyConfigError(`proxy endpoint ${JSON.stringify(endpoint)} must start with http://, https:// or grpc://`);
}
