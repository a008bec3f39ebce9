/**
 * The edge side of the event proxy: asks a proxy-dispatcher (queue group on
 * `<prefix>.proxy.<event>`) to call the application backend, and gets back the backend's encoded
 * <Event>Response or a transport error. Works the same over the in-process bus and NATS.
 *
 * Who does what (the dispatcher is services/proxy-dispatcher):
 * - Edge: builds the <Event>Request with the client's raw payloads in the raw fields (`data`,
 *   `meta` when the connection has one; `encoding` and `b64data` may be left empty), selects the
 *   client headers with `selectProxyHeaders` (only the edge knows whether a header came from the
 *   connection's HTTP request, GRPC metadata or headers emulation), calls `callProxy`, and maps
 *   the outcome:
 *   - `response`: the backend's answer. Check `disconnect`, then `error`, then `result` (the
 *     order of Centrifugo's handlers; a backend may set several). All `b64*` fields are already
 *     decoded into their raw siblings (`info`, `data`) by the dispatcher.
 *   - `transportError`: no usable answer (unreachable, timeout, non-200 without a transform,
 *     bad body, GRPC status). Connect → error 100 temporary (bidirectional) / disconnect 3004
 *     (unidirectional); subscribe / publish / rpc → error 100; refresh / sub_refresh → retry later.
 * - Dispatcher: proxy lookup by name, timeout, `binary_encoding` (data → b64data, `encoding`),
 *   `include_connection_meta` (drops `meta` when off), header allow-lists again (defence in
 *   depth), `http.static_headers`, `grpc.static_metadata`, credentials, compression,
 *   `http.status_to_code_transforms` (a matching status arrives as a normal `response` carrying
 *   the configured error or disconnect), b64 decoding of results.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { bus as busPb, proxy as pp } from '@gyre/protocol';
import { BusClosedError, BusNoRespondersError, BusTimeoutError, type Bus } from './bus.js';

/** Queue group the proxy-dispatcher instances share. */
export const PROXY_QUEUE_GROUP = 'proxy-dispatcher';

/** Events a dispatcher answers with one reply (subscribe_stream is a stream and is not among them). */
export const PROXY_EVENT_SCHEMAS = {
  connect: { request: pp.ConnectRequestSchema, response: pp.ConnectResponseSchema },
  refresh: { request: pp.RefreshRequestSchema, response: pp.RefreshResponseSchema },
  subscribe: { request: pp.SubscribeRequestSchema, response: pp.SubscribeResponseSchema },
  publish: { request: pp.PublishRequestSchema, response: pp.PublishResponseSchema },
  sub_refresh: { request: pp.SubRefreshRequestSchema, response: pp.SubRefreshResponseSchema },
  rpc: { request: pp.RPCRequestSchema, response: pp.RPCResponseSchema },
  map_publish: { request: pp.MapPublishRequestSchema, response: pp.MapPublishResponseSchema },
  map_remove: { request: pp.MapRemoveRequestSchema, response: pp.MapRemoveResponseSchema },
  shared_poll_refresh: { request: pp.SharedPollRefreshRequestSchema, response: pp.SharedPollRefreshResponseSchema },
} as const satisfies Record<string, { request: DescMessage; response: DescMessage }>;

export type ProxyEvent = keyof typeof PROXY_EVENT_SCHEMAS;
export type ProxyEventRequest<E extends ProxyEvent> = MessageShape<(typeof PROXY_EVENT_SCHEMAS)[E]['request']>;
export type ProxyEventResponse<E extends ProxyEvent> = MessageShape<(typeof PROXY_EVENT_SCHEMAS)[E]['response']>;

/** `<prefix>.proxy.<event>`. */
export function proxySubject(prefix: string, event: string): string {
  return `${prefix}.proxy.${event}`;
}

/** `<prefix>.proxy.stream.<id>.<dir>`: the subjects of one open subscribe stream (bus.proto ProxyRequest.stream_id). */
export function proxyStreamSubject(prefix: string, streamId: string, dir: 'down' | 'up' | 'close'): string {
  return `${prefix}.proxy.stream.${streamId}.${dir}`;
}

/** gyre.v1.ProxyTransportError as plain data. */
export interface ProxyTransportFailure {
  readonly message: string;
  /** HTTP status of a non-200 answer without a matching status_to_code transform (else 0). */
  readonly httpStatus: number;
  /** GRPC status code of a failed GRPC call (else 0). */
  readonly grpcCode: number;
  /** The call ran out of time (in the dispatcher, or no reply reached the edge in time). */
  readonly timeout: boolean;
}

export type ProxyCallResult = { readonly response: Uint8Array } | { readonly transportError: ProxyTransportFailure };

export interface CallProxyOptions {
  /** `default` (or "") for the event's own proxy object, else a `proxies[].name`. */
  proxy?: string;
  /** Encoded centrifugal.centrifugo.proxy.<Event>Request. */
  request: Uint8Array;
  /** Client headers to forward, from selectProxyHeaders (lower-case keys). */
  headers?: Readonly<Record<string, string>>;
  /** The proxy's `timeout` (ms). The dispatcher does not start the call after now + timeoutMs. */
  timeoutMs: number;
  /**
   * Extra time the edge waits past timeoutMs for the dispatcher's own timeout reply before it
   * gives up on the bus (default 250 ms).
   */
  replyGraceMs?: number;
  /** subscribe_stream only: the stream id (see proxyStreamSubject). */
  streamId?: string;
  /** subscribe_stream only: SubscribeBidirectional. */
  bidirectional?: boolean;
}

const transportError = (message: string, extra: Partial<ProxyTransportFailure> = {}): ProxyCallResult => ({
  transportError: { message, httpStatus: 0, grpcCode: 0, timeout: false, ...extra },
});

/**
 * Sends one proxy request over the bus and waits for the dispatcher's reply. Never rejects:
 * bus failures (no dispatcher running, no reply in time, bus closed) come back as transportError.
 */
export async function callProxy(bus: Bus, prefix: string, event: string, opts: CallProxyOptions): Promise<ProxyCallResult> {
  const timeoutMs = Math.max(1, Math.floor(opts.timeoutMs));
  const envelope = create(busPb.ProxyRequestSchema, {
    proxy: opts.proxy ?? '',
    event,
    request: opts.request,
    headers: { ...(opts.headers ?? {}) },
    deadlineMs: BigInt(Date.now() + timeoutMs),
    streamId: opts.streamId ?? '',
    bidirectional: opts.bidirectional ?? false,
  });
  let replyBytes: Uint8Array;
  try {
    replyBytes = await bus.request(proxySubject(prefix, event), toBinary(busPb.ProxyRequestSchema, envelope), {
      timeoutMs: timeoutMs + (opts.replyGraceMs ?? 250),
    });
  } catch (err) {
    if (err instanceof BusTimeoutError) return transportError(`no proxy reply within ${timeoutMs} ms`, { timeout: true });
    if (err instanceof BusNoRespondersError) return transportError('no proxy-dispatcher is running');
    if (err instanceof BusClosedError) return transportError('bus is closed');
    return transportError(`bus request failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  let reply: busPb.ProxyReply;
  try {
    reply = fromBinary(busPb.ProxyReplySchema, replyBytes);
  } catch (err) {
    return transportError(`malformed ProxyReply: ${err instanceof Error ? err.message : String(err)}`);
  }
  switch (reply.outcome.case) {
    case 'response':
      return { response: reply.outcome.value };
    case 'transportError': {
      const e = reply.outcome.value;
      return { transportError: { message: e.message, httpStatus: e.httpStatus, grpcCode: e.grpcCode, timeout: e.timeout } };
    }
    default:
      return transportError('empty ProxyReply');
  }
}

export type TypedProxyCallResult<E extends ProxyEvent> =
  | { readonly response: ProxyEventResponse<E> }
  | { readonly transportError: ProxyTransportFailure };

/**
 * callProxy with messages instead of bytes: encodes the <Event>Request, decodes the
 * <Event>Response (an undecodable response becomes a transportError).
 */
export async function callProxyEvent<E extends ProxyEvent>(
  bus: Bus,
  prefix: string,
  event: E,
  opts: Omit<CallProxyOptions, 'request'> & { request: MessageInitShape<(typeof PROXY_EVENT_SCHEMAS)[E]['request']> },
): Promise<TypedProxyCallResult<E>> {
  const schemas: { request: DescMessage; response: DescMessage } = PROXY_EVENT_SCHEMAS[event];
  const request = toBinary(schemas.request, create(schemas.request, opts.request as never));
  const result = await callProxy(bus, prefix, event, { ...opts, request });
  if ('transportError' in result) return result;
  try {
    return { response: fromBinary(schemas.response, result.response) as ProxyEventResponse<E> };
  } catch (err) {
    return transportError(`malformed ${schemas.response.name}: ${err instanceof Error ? err.message : String(err)}`) as TypedProxyCallResult<E>;
  }
}

// ---------------------------------------------------------------------------------------------
// Header selection (seed 003 "Proxy HTTP headers", "HTTP headers emulation", "Header proxy rules").

/** The allow-lists of a proxy object (structurally a subset of @gyre/config's ProxyConfig). */
export interface ProxyHeaderRules {
  readonly http_headers?: readonly string[];
  readonly grpc_metadata?: readonly string[];
  readonly emulated_headers?: readonly string[];
}

/** Headers as Node gives them (IncomingMessage.headers, uWS forEach pairs, grpc Metadata.getMap()). */
export type HeaderInput =
  | Readonly<Record<string, string | readonly string[] | Buffer | undefined>>
  | Iterable<readonly [string, string]>;

export interface ClientHeaderSources {
  /**
   * Headers of the HTTP request that opened the connection (WebSocket upgrade, SSE, HTTP-stream,
   * emulation...). Present for every HTTP-based transport, even when empty.
   */
  readonly http?: HeaderInput;
  /** Incoming GRPC metadata of a uni_grpc client; used only when `http` is absent. */
  readonly grpcMetadata?: HeaderInput;
  /** Headers the client sent in its connect command (headers emulation). */
  readonly emulated?: Readonly<Record<string, string>>;
}

function entriesOf(input: HeaderInput): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const isIterable = typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function';
  if (isIterable) {
    for (const [k, v] of input as Iterable<readonly [string, string]>) out.push([k, v]);
    return out;
  }
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      const sep = k.toLowerCase() === 'cookie' ? '; ' : ', ';
      out.push([k, v.map(String).join(sep)]);
    } else if (Buffer.isBuffer(v)) {
      out.push([k, v.toString('latin1')]);
    } else {
      out.push([k, String(v)]);
    }
  }
  return out;
}

const lowerSet = (list: readonly string[] | undefined): Set<string> => new Set((list ?? []).map((h) => h.toLowerCase()));

/**
 * The client headers to forward to one proxy, lower-case keys, as Centrifugo's requestHeaders /
 * requestMetadata pick them:
 * 1. emulated headers listed in `http_headers` or `emulated_headers`;
 * 2. then (overriding) the connection's HTTP request headers listed in `http_headers`;
 * 3. only when there is no HTTP request (GRPC client): GRPC metadata listed in `grpc_metadata`.
 * The same map serves HTTP and GRPC proxies: the dispatcher turns it into request headers or
 * into metadata (the seed's rules table), adding static headers / credentials itself.
 */
export function selectProxyHeaders(rules: ProxyHeaderRules, sources: ClientHeaderSources): Record<string, string> {
  const httpAllowed = lowerSet(rules.http_headers);
  const emulatedAllowed = new Set([...httpAllowed, ...lowerSet(rules.emulated_headers)]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sources.emulated ?? {})) {
    const key = k.toLowerCase();
    if (emulatedAllowed.has(key) && typeof v === 'string') out[key] = v;
  }
  if (sources.http !== undefined) {
    for (const [k, v] of entriesOf(sources.http)) {
      const key = k.toLowerCase();
      if (httpAllowed.has(key)) out[key] = v;
    }
  } else if (sources.grpcMetadata !== undefined) {
    const mdAllowed = lowerSet(rules.grpc_metadata);
    for (const [k, v] of entriesOf(sources.grpcMetadata)) {
      const key = k.toLowerCase();
      if (mdAllowed.has(key)) out[key] = v;
    }
  }
  return out;
}
