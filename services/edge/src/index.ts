export { startEdge, type EdgeDeps, type EdgeHandle } from './service.js';
