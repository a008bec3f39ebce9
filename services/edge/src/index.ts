export { startEdge, type EdgeDeps } from './service.js';
