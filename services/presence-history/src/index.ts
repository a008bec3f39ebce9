export { STATE_QUEUE, startPresenceHistory, stateSubject, type PresenceHistoryDeps } from './service.js';
