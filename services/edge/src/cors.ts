/**
 * CORS for the HTTP transports (HTTP streaming, SSE, /emulation, uni_sse, uni_http_stream;
 * server.md §2.4 `client.allowed_origins`): a request whose Origin is allowed gets
 * `Access-Control-Allow-Origin` = that origin, `Access-Control-Allow-Credentials: true` and the
 * requested headers echoed in `Access-Control-Allow-Headers`; any other request is served without
 * them (the browser then refuses it), never rejected here. A request without Origin needs none.
 *
 * Preflight (OPTIONS): 204 with the CORS headers above, `Access-Control-Allow-Methods` of the
 * endpoint and `Access-Control-Max-Age: 300`.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { originChecker } from '@gyre/config';

export type HeaderList = Array<[string, string]>;

export type OriginPolicy = (origin: string) => boolean;

export function originPolicy(allowedOrigins: readonly string[]): OriginPolicy {
  return originChecker(allowedOrigins);
}

/** The CORS response headers for a request (empty when it has no Origin or a disallowed one). */
export function corsHeaders(allowed: OriginPolicy, origin: string, requestHeaders: string): HeaderList {
  if (origin === '' || !allowed(origin)) return [];
  const out: HeaderList = [
    ['Access-Control-Allow-Origin', origin],
    ['Access-Control-Allow-Credentials', 'true'],
  ];
  if (requestHeaders !== '' && requestHeaders !== 'null') out.push(['Access-Control-Allow-Headers', requestHeaders]);
  return out;
}

/** CORS headers of `req`, read synchronously (uWS requests live only during the handler). */
export function requestCors(allowed: OriginPolicy, req: HttpRequest): HeaderList {
  return corsHeaders(allowed, req.getHeader('origin'), req.getHeader('access-control-request-headers'));
}

/** Answers an OPTIONS preflight: 204, CORS headers, allowed methods, max age 300. */
export function answerPreflight(res: HttpResponse, cors: HeaderList, methods: string): void {
  res.writeStatus('204 No Content');
  for (const [k, v] of cors) res.writeHeader(k, v);
  res.writeHeader('Access-Control-Allow-Methods', methods);
  res.writeHeader('Access-Control-Max-Age', '300');
  res.endWithoutBody();
}
