// @gyre/api: the Centrifugo v6 server API (HTTP `/api/<method>`, legacy `/api`, GRPC
// CentrifugoApi) over the bus.
export { startApi, type ApiDeps, type ApiHandle } from './service.js';
export { ApiErrors, type ApiError } from './errors.js';
export { Executor, METHODS, type ExecutorDeps, type MethodSpec, type Outcome, type Publisher } from './executor.js';
export { decodeJson, encodeJson } from './codec.js';
export { controlSubject, nodeSubject, channelsSurveySubject } from './subjects.js';
