export {
  BusClosedError,
  BusError,
  BusInvalidSubjectError,
  BusNoRespondersError,
  BusTimeoutError,
  type Bus,
  type BusHandler,
  type BusMessage,
  type BusRequestOptions,
  type BusStatusEvent,
  type BusStatusListener,
  type BusStatusType,
  type BusSubscription,
} from './bus.js';
export { assertValidQueue, assertValidSubject, subjectMatches } from './subject.js';
export {
  DEFAULT_SUBJECT_PREFIX,
  allChannelsSubject,
  channelFromSubject,
  channelSubject,
  decodeChannelToken,
  encodeChannelToken,
} from './channel_subject.js';
export { MemoryBus, MemoryBusHub, createMemoryBus } from './bus_memory.js';
export { NatsBus, connectNatsBus, type NatsBusOptions } from './bus_nats.js';
export { createBus, type CreateBusOptions } from './create_bus.js';
export { PROXY_EVENT_SCHEMAS, PROXY_QUEUE_GROUP, callProxy, callProxyEvent, proxyStreamSubject, proxySubject, selectProxyHeaders, type CallProxyOptions, type ClientHeaderSources, type HeaderInput, type ProxyCallResult, type ProxyEvent, type ProxyEventRequest, type ProxyEventResponse, type ProxyHeaderRules, type ProxyTransportFailure, type TypedProxyCallResult } from './proxy_client.js';
