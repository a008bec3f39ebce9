/**
 * Headers and metadata sent to the backend.
 *
 * Division of labour (see also libs/bus/src/proxy_client.ts):
 * - The edge knows where each client header came from (the HTTP request of the connection, the
 *   GRPC metadata of a uni_grpc client, or headers emulation in the connect command), which is
 *   what the seed's rules table depends on, so the edge selects them (`selectProxyHeaders` in
 *   @gyre/bus) and sends lower-case keys in ProxyRequest.headers.
 * - The dispatcher trusts nothing it cannot check: it drops every envelope key that is in none
 *   of the proxy's allow-lists (`http_headers`, `grpc_metadata`, `emulated_headers`, compared
 *   case-insensitively), so a confused or outdated edge can never leak e.g. a Cookie to a backend
 *   that did not ask for it. Then, per protocol:
 *   - HTTP: `http.static_headers` first, client headers override them (seed: "Static headers may
 *     be overridden by the header from the client connection request"), and `Content-Type:
 *     application/json` is forced last.
 *   - GRPC: `grpc.static_metadata` first, client headers override them; `credentials_key` /
 *     `credentials_value` are added per call (grpc_backend.ts), like Go's per-RPC credentials.
 * Hop-by-hop headers and values that cannot travel (CR/LF, invalid GRPC keys) are dropped
 * instead of failing the call.
 */
import type { ProxyConfig } from '@gyre/config';

type HeaderRules = Pick<ProxyConfig, 'http_headers' | 'grpc_metadata' | 'emulated_headers'>;

/** Lower-cased union of the proxy's header / metadata allow-lists. */
export function allowedHeaderNames(proxy: HeaderRules): Set<string> {
  const out = new Set<string>();
  for (const list of [proxy.http_headers, proxy.grpc_metadata, proxy.emulated_headers]) {
    for (const h of list ?? []) out.add(h.toLowerCase());
  }
  return out;
}

/** The envelope headers the proxy config allows, keys lower-cased. */
export function filterForwardedHeaders(headers: Readonly<Record<string, string>>, allowed: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (allowed.has(key) && typeof v === 'string') out[key] = v;
  }
  return out;
}

// Managed by the HTTP client itself (Go's http.Client ignores or owns them too).
const HTTP_DROP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'expect', 'content-length', 'host', 'content-type',
]);

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, space and tab; never CR, LF or NUL.
const VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Outgoing HTTP headers: static < forwarded client headers < forced Content-Type. */
export function httpRequestHeaders(
  staticHeaders: Readonly<Record<string, string>> | undefined,
  forwarded: Readonly<Record<string, string>>,
): Record<string, string> {
  const out = new Map<string, [string, string]>();
  const put = (k: string, v: string) => {
    const lower = k.toLowerCase();
    if (HTTP_DROP.has(lower) || !TOKEN_RE.test(k) || !VALUE_RE.test(v)) return;
    out.set(lower, [k, v]);
  };
  for (const [k, v] of Object.entries(staticHeaders ?? {})) put(k, v);
  for (const [k, v] of Object.entries(forwarded)) put(k, v);
  const headers: Record<string, string> = {};
  for (const [k, v] of out.values()) headers[k] = v;
  headers['Content-Type'] = 'application/json';
  return headers;
}

// Set by the GRPC transport itself; Go's grpc drops these from user metadata, and Node's http2
// rejects connection-specific headers outright.
const GRPC_DROP = new Set([
  'content-type', 'user-agent', 'te', 'grpc-message-type', 'grpc-encoding', 'grpc-message', 'grpc-status',
  'grpc-timeout', 'grpc-status-details-bin', 'grpc-accept-encoding', 'connection', 'keep-alive',
  'proxy-connection', 'transfer-encoding', 'upgrade', 'host',
]);
const GRPC_KEY_RE = /^[0-9a-z_.-]+$/;
const GRPC_VALUE_RE = /^[\x20-\x7e]*$/;

/** Outgoing GRPC metadata entries: static_metadata < forwarded client headers. Keys lower-case. */
export function grpcRequestMetadata(
  staticMetadata: Readonly<Record<string, string>> | undefined,
  forwarded: Readonly<Record<string, string>>,
): Array<[string, string]> {
  const out = new Map<string, string>();
  const put = (k: string, v: string) => {
    const key = k.toLowerCase();
    if (GRPC_DROP.has(key) || !GRPC_KEY_RE.test(key)) return;
    // `-bin` keys carry bytes and are base64-encoded by the transport; other values must be printable ASCII.
    if (!key.endsWith('-bin') && !GRPC_VALUE_RE.test(v)) return;
    out.set(key, v);
  };
  for (const [k, v] of Object.entries(staticMetadata ?? {})) put(k, v);
  for (const [k, v] of Object.entries(forwarded)) put(k, v);
  return [...out.entries()];
}

/** Whether a key/value can be sent as GRPC metadata (used for credentials_key). */
export function isValidGrpcMetadata(key: string, value: string): boolean {
  const k = key.toLowerCase();
  return GRPC_KEY_RE.test(k) && !GRPC_DROP.has(k) && (k.endsWith('-bin') || GRPC_VALUE_RE.test(value));
}
