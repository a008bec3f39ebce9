export { startPresenceHistory, stateSubject, type PresenceHistoryDeps } from './service.js';
