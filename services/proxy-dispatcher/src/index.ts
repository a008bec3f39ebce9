export {
  startProxyDispatcher,
  DEFAULT_MAX_RESPONSE_BYTES,
  PROXY_DISPATCHER_QUEUE,
  type ProxyDispatcherDeps,
} from './service.js';
export { PROXY_EVENT_SPECS, type ProxyEventSpec } from './events.js';
export { decodeGoJson, encodeGoJson, GoJsonError } from './go_json.js';
export { DEFAULT_PROXY_NAME, ProxyConfigError, resolveProxy, type ResolvedProxy } from './proxies.js';
