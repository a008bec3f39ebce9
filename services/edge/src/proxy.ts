/**
 * The edge side of the event proxy (seed 003, server.md §5.3): every proxied event of a
 * connection goes through `callClientProxy`, which asks a proxy-dispatcher over the bus
 * (@gyre/bus `callProxyEvent`; the dispatcher holds the HTTP / GRPC clients) and answers with
 * the backend's <Event>Response or a transport error. The handlers map the outcome.
 *
 * Division of work (services/proxy-dispatcher/README.md "Who applies what"):
 * - here: which proxy (`default` or a `proxies[]` name), its timeout, the client headers to pass
 *   (`selectProxyHeaders`: the connection's HTTP request headers copied at upgrade, GRPC metadata
 *   for uni_grpc, headers emulation from ConnectRequest.headers), the request fields the edge
 *   knows (client, transport, protocol, user, raw `data`, connection `meta`), and the meaning of
 *   the answer: `disconnect`, then `error`, then `result` (Centrifugo's handlers' order);
 * - dispatcher: endpoints, `encoding` / `binary_encoding` (b64 fields both ways),
 *   `include_connection_meta`, static headers, credentials, status_to_code_transforms, metrics.
 *
 * What must hold: a backend answer never throws out of a handler; custom codes reach the client
 * only in shapes a client can take (`customError`, `customDisconnect`).
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { callProxyEvent, selectProxyHeaders, type ClientHeaderSources, type PROXY_EVENT_SCHEMAS, type ProxyEvent, type TypedProxyCallResult } from '@gyre/bus';
import type { SubscribeOptionOverride } from '@gyre/auth';
import type { GyreConfig, ProxyConfig } from '@gyre/config';
import { Disconnect, type DisconnectReason, type ProtocolError, type proxy as pp } from '@gyre/protocol';
import type { Client } from './client.js';

/** The per-event proxy object (client.proxy.*, channel.proxy.*, rpc.proxy). */
export const DEFAULT_PROXY_NAME = 'default';
/** Centrifugo's proxy timeout when none is configured. */
const DEFAULT_TIMEOUT_MS = 1000;
/** Longest custom disconnect reason (seed 003: 32 ASCII symbols). */
export const MAX_DISCONNECT_REASON_BYTES = 32;

export type ProxyRequestInit<E extends ProxyEvent> = MessageInitShape<(typeof PROXY_EVENT_SCHEMAS)[E]['request']>;

/**
 * The proxy object serving (event, name), as the dispatcher resolves it: `default` (or "") is the
 * event's own object, anything else a `proxies[]` entry. Undefined when there is none (config
 * validation makes that a start-up error for enabled proxies).
 */
export function proxyObject(config: GyreConfig, event: ProxyEvent, name: string): ProxyConfig | undefined {
  if (name === '' || name === DEFAULT_PROXY_NAME) {
    switch (event) {
      case 'connect':
        return config.client.proxy.connect;
      case 'refresh':
        return config.client.proxy.refresh;
      case 'rpc':
        return config.rpc.proxy;
      case 'subscribe':
      case 'publish':
      case 'sub_refresh':
        return config.channel.proxy[event];
      default:
        return undefined;
    }
  }
  return config.proxies.find((p) => p.name === name);
}

/**
 * Where this connection's headers come from (the seed's header rules table): an HTTP request for
 * every transport but uni_grpc, whose "headers" are its GRPC metadata; plus headers emulation.
 */
function headerSources(client: Client): ClientHeaderSources {
  const emulated = client.emulatedHeaders;
  if (client.transport.name === 'uni_grpc') return { grpcMetadata: client.headers, emulated };
  return { http: client.headers, emulated };
}

/** The request fields every event shares. `encoding` is the dispatcher's (binary_encoding). */
export function requestBase(client: Client): { client: string; transport: string; protocol: string } {
  return { client: client.id, transport: client.transport.name, protocol: client.encoding.name };
}

/** The connection meta to send (the dispatcher drops it without include_connection_meta). */
export function metaField(client: Client): { meta?: Uint8Array } {
  return client.meta !== undefined && client.meta.byteLength > 0 ? { meta: client.meta } : {};
}

/** Calls one proxy for a connection. Never rejects: failures come back as `transportError`. */
export async function callClientProxy<E extends ProxyEvent>(client: Client, event: E, name: string, request: ProxyRequestInit<E>): Promise<TypedProxyCallResult<E>> {
  const ctx = client.ctx;
  const p = proxyObject(ctx.config, event, name);
  const headers = p ? selectProxyHeaders(p, headerSources(client)) : {};
  const timeoutMs = p && p.timeout > 0 ? p.timeout : DEFAULT_TIMEOUT_MS;
  const outcome = await callProxyEvent(ctx.bus, ctx.prefix, event, { proxy: name || DEFAULT_PROXY_NAME, request, headers, timeoutMs });
  if ('transportError' in outcome) {
    ctx.logger.warn({ client: client.id, event, proxy: name || DEFAULT_PROXY_NAME, error: outcome.transportError.message }, `error proxying ${event}`);
  }
  return outcome;
}

/**
 * A backend's custom error as the client gets it: code, message and temporary as sent. The seed
 * asks applications for codes in [400, 1999]; Centrifugo passes any code on, and so does Gyre.
 */
export function customError(e: pp.Error): ProtocolError {
  return e.temporary ? { code: e.code, message: e.message, temporary: true } : { code: e.code, message: e.message };
}

/**
 * A backend's custom disconnect. Codes outside [3001, 4999] cannot be sent as a disconnect (below
 * 3000 they are not application WebSocket close codes, 3000 means "the client went away", 5000+
 * are not close codes at all; the seed reserves everything outside 4000..4999 anyway): those
 * become 3004. The reason is cut to 32 bytes on a character boundary (seed 003: "no longer than
 * 32 ASCII symbols").
 */
export function customDisconnect(d: pp.Disconnect): DisconnectReason {
  if (d.code <= 3000 || d.code > 4999) return Disconnect.InternalServerError;
  return { code: d.code, reason: cutUtf8(d.reason, MAX_DISCONNECT_REASON_BYTES) };
}

function cutUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > maxBytes) break;
    out += ch;
  }
  return out;
}

/** Unix seconds of a proxy result's `expire_at` (int64) as a number. */
export function unixSeconds(v: bigint): number {
  return Number(v);
}

/** A proxy result's SubscribeOptionOverride (BoolValue wrappers) as the edge's override. */
export function overrideFrom(o: pp.SubscribeOptionOverride | undefined): SubscribeOptionOverride {
  const out: SubscribeOptionOverride = {};
  if (!o) return out;
  if (o.presence) out.presence = o.presence.value;
  if (o.joinLeave) out.joinLeave = o.joinLeave.value;
  if (o.forcePushJoinLeave) out.forcePushJoinLeave = o.forcePushJoinLeave.value;
  if (o.forceRecovery) out.forceRecovery = o.forceRecovery.value;
  if (o.forcePositioning) out.forcePositioning = o.forcePositioning.value;
  return out;
}
