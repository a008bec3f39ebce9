export { startProxyDispatcher, type ProxyDispatcherDeps } from './service.js';
