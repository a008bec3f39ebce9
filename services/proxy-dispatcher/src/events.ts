/**
 * The proxy events the dispatcher serves: for each, the request/response messages of
 * centrifugal.centrifugo.proxy and the CentrifugoProxy GRPC method. One table, so HTTP and GRPC
 * can never disagree about which message an event carries.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { proxy as pp } from '@gyre/protocol';

export interface ProxyEventSpec {
  /** Event name: the subject suffix and the `type` metric label. */
  readonly name: string;
  readonly request: DescMessage;
  readonly response: DescMessage;
  /** Full GRPC method path, `/centrifugal.centrifugo.proxy.CentrifugoProxy/<Method>`. */
  readonly grpcPath: string;
}

const svc = pp.CentrifugoProxy;
const path = (method: { name: string }): string => `/${svc.typeName}/${method.name}`;

function spec(name: string, request: DescMessage, response: DescMessage, method: { name: string }): ProxyEventSpec {
  return { name, request, response, grpcPath: path(method) };
}

/**
 * Unary events. `subscribe_stream` is absent: it is a GRPC stream (one request, many publications
 * back), served by stream.ts over the request plus per-stream subjects.
 */
export const PROXY_EVENT_SPECS: ReadonlyMap<string, ProxyEventSpec> = new Map(
  [
    spec('connect', pp.ConnectRequestSchema, pp.ConnectResponseSchema, svc.method.connect),
    spec('refresh', pp.RefreshRequestSchema, pp.RefreshResponseSchema, svc.method.refresh),
    spec('subscribe', pp.SubscribeRequestSchema, pp.SubscribeResponseSchema, svc.method.subscribe),
    spec('publish', pp.PublishRequestSchema, pp.PublishResponseSchema, svc.method.publish),
    spec('sub_refresh', pp.SubRefreshRequestSchema, pp.SubRefreshResponseSchema, svc.method.subRefresh),
    spec('rpc', pp.RPCRequestSchema, pp.RPCResponseSchema, svc.method.rPC),
    spec('map_publish', pp.MapPublishRequestSchema, pp.MapPublishResponseSchema, svc.method.mapPublish),
    spec('map_remove', pp.MapRemoveRequestSchema, pp.MapRemoveResponseSchema, svc.method.mapRemove),
    spec('shared_poll_refresh', pp.SharedPollRefreshRequestSchema, pp.SharedPollRefreshResponseSchema, svc.method.sharedPollRefresh),
  ].map((s) => [s.name, s] as const),
);
