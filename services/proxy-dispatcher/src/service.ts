/**
 * proxy-dispatcher: answers `<prefix>.proxy.<event>` bus requests (queue group
 * `proxy-dispatcher`) by calling the application backend over HTTP or GRPC.
 *
 * Request path, for every message:
 *   ProxyRequest → event spec (events.ts) → proxy object by name (proxies.ts) → deadline check
 *   → <Event>Request decoded and prepared (encoding.ts: encoding, binary_encoding, meta)
 *   → headers filtered by the proxy's allow-lists (headers.ts) → backend call (http_backend.ts /
 *   grpc_backend.ts, with timeout and status transforms) → b64 fields of the result decoded
 *   (encoding.ts) → ProxyReply { response | transport_error }.
 *
 * What must hold:
 * - Every request gets exactly one well-formed ProxyReply; nothing a backend or a peer sends can
 *   throw out of the handler or crash the process.
 * - A request whose `deadline_ms` has passed is answered at once without calling the backend;
 *   otherwise the call's deadline is the earlier of `deadline_ms` and now + proxy `timeout`.
 * - Runs the same in-process (memory bus) and as its own process (NATS): no shared state with
 *   the edge except the config file and the bus messages.
 * - Metrics (`centrifugo_proxy_*`) carry bounded labels only: protocol (http/grpc), type (a
 *   known event) and name (`default` or a configured proxies[] name).
 */
import { create, fromBinary, toBinary, type Message } from '@bufbuild/protobuf';
import { PROXY_QUEUE_GROUP, proxySubject, type Bus, type BusMessage } from '@gyre/bus';
import type { GyreConfig, ProxyConfig } from '@gyre/config';
import type { Logger, Metrics, ServiceHandle } from '@gyre/observability';
import { bus as busPb, proxy as pp } from '@gyre/protocol';
import { type Backend, type TransportFailure, errorMessage } from './backend.js';
import { prepareRequest, normalizeResponse } from './encoding.js';
import { PROXY_EVENT_SPECS } from './events.js';
import { GrpcBackend, GrpcChannels } from './grpc_backend.js';
import { allowedHeaderNames, filterForwardedHeaders } from './headers.js';
import { HttpBackend, HttpPools } from './http_backend.js';
import { ProxyConfigError, configuredProxies, parseEndpoint, resolveProxy } from './proxies.js';
import { openSubscribeStream } from './stream.js';
import { loadTls } from './tls.js';

/** Queue group of every proxy-dispatcher instance: each request reaches exactly one of them. */
export const PROXY_DISPATCHER_QUEUE = PROXY_QUEUE_GROUP;
/** Default cap on a backend's HTTP response body. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** Centrifugo's default proxy timeout; a zero timeout in the config means this. */
const DEFAULT_TIMEOUT_MS = 1000;

export interface ProxyDispatcherDeps {
  config: GyreConfig;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  /** Largest HTTP response body accepted from a backend (default 10 MiB). */
  maxResponseBytes?: number;
}

export async function startProxyDispatcher(deps: ProxyDispatcherDeps): Promise<ServiceHandle> {
  const { config, bus, logger, metrics } = deps;
  const prefix = config.gyre.bus.subject_prefix || 'gyre';
  const subjectBase = proxySubject(prefix, '');
  const maxResponseBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  // Backends for every proxy object with an endpoint, built now so that a bad endpoint or TLS
  // file fails the start instead of the first client.
  const pools = new HttpPools();
  const channels = new GrpcChannels();
  const backends = new Map<ProxyConfig, Backend>();
  const allowLists = new Map<ProxyConfig, Set<string>>();
  try {
    for (const { path, config: p } of configuredProxies(config)) {
      const endpoint = parseEndpoint(p.endpoint);
      if (endpoint.protocol === 'http') {
        const tls = p.http.tls.enabled ? loadTls(p.http.tls, `${path}.http.tls`) : undefined;
        backends.set(p, new HttpBackend({ url: endpoint.url, proxy: p, pool: pools.get(endpoint.url, tls), maxResponseBytes }));
      } else {
        const tls = p.grpc.tls.enabled ? loadTls(p.grpc.tls, `${path}.grpc.tls`) : undefined;
        backends.set(p, new GrpcBackend({ client: channels.get(endpoint.target, tls, p.grpc.compression), proxy: p }));
      }
      allowLists.set(p, allowedHeaderNames(p));
    }
    // subscribe_stream is a GRPC stream: an HTTP endpoint cannot serve it (Centrifugo refuses it
    // at start too).
    for (const ns of [{ name: '', ...config.channel.without_namespace }, ...config.channel.namespaces]) {
      if (!ns.subscribe_stream_proxy_enabled) continue;
      const resolved = resolveProxy(config, 'subscribe_stream', ns.subscribe_stream_proxy_name);
      if (resolved && backends.get(resolved.config)?.protocol !== 'grpc') {
        const where = ns.name === '' ? 'channel.without_namespace' : `namespace ${JSON.stringify(ns.name)}`;
        throw new ProxyConfigError(`${where}: subscribe_stream proxy ${JSON.stringify(resolved.name)} must have a GRPC endpoint (subscribe stream proxy is GRPC only)`);
      }
    }
  } catch (err) {
    await pools.close(true);
    channels.close();
    if (err instanceof ProxyConfigError) throw err;
    throw new ProxyConfigError(errorMessage(err));
  }

  const stopSignal = new AbortController();
  const inflight = new Set<Promise<void>>();
  let stopping = false;

  const replyWith = (msg: BusMessage, outcome: busPb.ProxyReply['outcome']): void => {
    let sent = false;
    try {
      sent = msg.respond(toBinary(busPb.ProxyReplySchema, create(busPb.ProxyReplySchema, { outcome })));
    } catch (err) {
      logger.warn({ err: errorMessage(err), subject: msg.subject }, 'proxy reply could not be sent');
    }
    if (!sent && outcome.case === 'response') {
      // Most likely larger than the bus allows (NATS max_payload): tell the edge instead of
      // letting it wait for its timeout.
      replyFailure(msg, { message: `proxy reply of ${outcome.value.length} bytes could not be sent over the bus` });
    }
  };
  function replyFailure(msg: BusMessage, f: TransportFailure): void {
    replyWith(msg, {
      case: 'transportError',
      value: create(busPb.ProxyTransportErrorSchema, {
        message: f.message,
        httpStatus: f.httpStatus ?? 0,
        grpcCode: f.grpcCode ?? 0,
        timeout: f.timeout ?? false,
      }),
    });
  }

  async function handle(msg: BusMessage): Promise<void> {
    const event = msg.subject.slice(subjectBase.length);
    let req: busPb.ProxyRequest;
    try {
      req = fromBinary(busPb.ProxyRequestSchema, msg.data);
    } catch (err) {
      replyFailure(msg, { message: `malformed ProxyRequest: ${errorMessage(err)}` });
      return;
    }
    if (req.event !== '' && req.event !== event) {
      replyFailure(msg, { message: `ProxyRequest.event ${JSON.stringify(req.event)} does not match subject event ${JSON.stringify(event)}` });
      return;
    }
    if (event === 'subscribe_stream') {
      await handleStream(msg, req);
      return;
    }
    const spec = PROXY_EVENT_SPECS.get(event);
    if (!spec) {
      replyFailure(msg, { message: `proxy event ${JSON.stringify(event)} is not supported over the bus` });
      return;
    }
    const resolved = resolveProxy(config, event, req.proxy);
    const backend = resolved && backends.get(resolved.config);
    if (!resolved || !backend) {
      replyFailure(msg, { message: `no ${event} proxy named ${JSON.stringify(req.proxy || 'default')} is configured` });
      return;
    }
    const labels = { protocol: backend.protocol, type: event, name: resolved.name };

    const now = Date.now();
    const edgeDeadline = Number(req.deadlineMs);
    if (edgeDeadline > 0 && edgeDeadline <= now) {
      metrics.proxyErrors.inc(labels);
      replyFailure(msg, { message: 'deadline passed before the proxy call started', timeout: true });
      return;
    }
    if (stopping) {
      replyFailure(msg, { message: 'proxy-dispatcher is stopping' });
      return;
    }
    const timeoutMs = resolved.config.timeout > 0 ? resolved.config.timeout : DEFAULT_TIMEOUT_MS;
    const deadline = edgeDeadline > 0 ? Math.min(now + timeoutMs, edgeDeadline) : now + timeoutMs;

    let request: Message;
    try {
      request = fromBinary(spec.request, req.request);
      prepareRequest(spec.request, request, resolved.config);
    } catch (err) {
      metrics.proxyErrors.inc(labels);
      replyFailure(msg, { message: `malformed ${spec.request.name}: ${errorMessage(err)}` });
      return;
    }
    const headers = filterForwardedHeaders(req.headers, allowLists.get(resolved.config) ?? new Set());

    metrics.proxyInflight.inc(labels);
    const started = performance.now();
    try {
      const outcome = await backend.call({ spec, request, headers, deadline, signal: stopSignal.signal });
      let failure: TransportFailure | undefined;
      let encoded: Uint8Array | undefined;
      if (outcome.ok) {
        try {
          normalizeResponse(spec.response, outcome.response);
          encoded = toBinary(spec.response, outcome.response);
        } catch (err) {
          failure = { message: `invalid ${spec.response.name}: ${errorMessage(err)}` };
        }
      } else {
        failure = outcome.failure;
      }
      metrics.proxyDuration.observe(labels, (performance.now() - started) / 1000);
      if (failure) {
        metrics.proxyErrors.inc(labels);
        logger.error({ event, proxy: resolved.name, protocol: backend.protocol, error: failure.message }, `error proxying ${event}`);
        replyFailure(msg, failure);
      } else {
        replyWith(msg, { case: 'response', value: encoded! });
      }
    } finally {
      metrics.proxyInflight.dec(labels);
    }
  }

  /** Open subscribe streams (they outlive their bus request); cancelled when the service stops. */
  const streams = new Set<Promise<void>>();

  async function handleStream(msg: BusMessage, req: busPb.ProxyRequest): Promise<void> {
    const event = 'subscribe_stream';
    const resolved = resolveProxy(config, event, req.proxy);
    const backend = resolved && backends.get(resolved.config);
    if (!resolved || !backend) {
      replyFailure(msg, { message: `no ${event} proxy named ${JSON.stringify(req.proxy || 'default')} is configured` });
      return;
    }
    const labels = { protocol: backend.protocol, type: event, name: resolved.name };
    if (!(backend instanceof GrpcBackend)) {
      metrics.proxyErrors.inc(labels);
      replyFailure(msg, { message: 'subscribe_stream needs a GRPC proxy endpoint' });
      return;
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(req.streamId)) {
      replyFailure(msg, { message: 'subscribe_stream request without a valid stream_id' });
      return;
    }
    const now = Date.now();
    const edgeDeadline = Number(req.deadlineMs);
    if (edgeDeadline > 0 && edgeDeadline <= now) {
      metrics.proxyErrors.inc(labels);
      replyFailure(msg, { message: 'deadline passed before the proxy call started', timeout: true });
      return;
    }
    if (stopping) {
      replyFailure(msg, { message: 'proxy-dispatcher is stopping' });
      return;
    }
    const timeoutMs = resolved.config.timeout > 0 ? resolved.config.timeout : DEFAULT_TIMEOUT_MS;
    const deadline = edgeDeadline > 0 ? Math.min(now + timeoutMs, edgeDeadline) : now + timeoutMs;
    let request: Uint8Array;
    try {
      const decoded = fromBinary(pp.SubscribeRequestSchema, req.request);
      prepareRequest(pp.SubscribeRequestSchema, decoded, resolved.config);
      request = toBinary(pp.SubscribeRequestSchema, decoded);
    } catch (err) {
      metrics.proxyErrors.inc(labels);
      replyFailure(msg, { message: `malformed SubscribeRequest: ${errorMessage(err)}` });
      return;
    }
    const headers = filterForwardedHeaders(req.headers, allowLists.get(resolved.config) ?? new Set());
    metrics.proxyInflight.inc(labels);
    const started = performance.now();
    try {
      const opened = openSubscribeStream({
        bus,
        prefix,
        logger,
        backend,
        streamId: req.streamId,
        bidirectional: req.bidirectional,
        request,
        headers,
        deadline,
        signal: stopSignal.signal,
      });
      streams.add(opened.done);
      void opened.done.finally(() => streams.delete(opened.done));
      const first = await opened.first;
      metrics.proxyDuration.observe(labels, (performance.now() - started) / 1000);
      if (!first.ok) {
        metrics.proxyErrors.inc(labels);
        logger.error({ event, proxy: resolved.name, protocol: backend.protocol, error: first.failure.message }, `error proxying ${event}`);
        replyFailure(msg, first.failure);
      } else {
        replyWith(msg, { case: 'response', value: first.response });
      }
    } finally {
      metrics.proxyInflight.dec(labels);
    }
  }

  const sub = bus.queueSubscribe(`${subjectBase}*`, PROXY_DISPATCHER_QUEUE, (msg) => {
    const task = handle(msg).catch((err: unknown) => {
      // Only a bug gets here; the requester still gets an answer.
      logger.error({ err: errorMessage(err), subject: msg.subject }, 'proxy request handler failed');
      replyFailure(msg, { message: 'internal proxy-dispatcher error' });
    });
    inflight.add(task);
    void task.finally(() => inflight.delete(task));
  });
  logger.info({ subject: `${subjectBase}*`, queue: PROXY_DISPATCHER_QUEUE, proxies: backends.size }, 'proxy-dispatcher started');

  return {
    name: 'proxy-dispatcher',
    async stop(deadline: number): Promise<void> {
      if (stopping) return;
      stopping = true;
      try {
        sub.unsubscribe();
      } catch {
        // the bus may already be closed
      }
      const drained = async () => {
        while (inflight.size > 0) await Promise.allSettled([...inflight]);
      };
      const inTime = inflight.size === 0 || (await raceDeadline(drained(), deadline));
      if (!inTime || streams.size > 0) {
        // Past the deadline: abort what is left; those requesters get a transport error. Open
        // subscribe streams are always cancelled (their subscribers are unsubscribed with 2500).
        stopSignal.abort();
        await raceDeadline(drained(), Date.now() + 200);
        await raceDeadline(Promise.allSettled([...streams]), Date.now() + 200);
      }
      await pools.close(!inTime);
      channels.close();
      logger.info({ drained: inTime }, 'proxy-dispatcher stopped');
    },
  };
}

/** Resolves true if `p` settles before `deadline`, false otherwise. */
async function raceDeadline(p: Promise<unknown>, deadline: number): Promise<boolean> {
  const ms = deadline - Date.now();
  if (ms <= 0) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
