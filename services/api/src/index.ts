export { startApi, type ApiDeps } from './service.js';
