/*
 * Small pieces every HTTP transport handler of the edge shares (HTTP streaming, SSE, /emulation,
 * uni_sse, uni_http_stream).
 *
 * Lifecycle rules of uWebSockets.js that bite, and how the handlers keep them:
 * - `req` lives only during the synchronous part of the handler: method, headers, query and the
 *   remote address are copied out of it first (RequestInfo).
 * - A handler that answers later registers `res.onAborted` before anything asynchronous (the
 *   StreamResponse constructor does, or `aborted()` below), and never touches `res` after it fired
 *   or after the response ended.
 * - A body arrives in chunks through `res.onData`, each ArrayBuffer valid only during the call:
 *   readBody copies them. uWS calls onData (with isLast) for every request, bodiless ones too.
 * - Writes made outside a uWS callback (bus handlers, timers, after an await) are corked.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { HeaderList } from './cors.js';

/** What a handler copies out of `req` before anything else. */
export interface RequestInfo {
  method: string;
  query: string;
  contentType: string;
  headers: Record<string, string>;
  remoteAddress: string;
}

export function requestInfo(res: HttpResponse, req: HttpRequest): RequestInfo {
  const headers: Record<string, string> = {};
  req.forEach((k, v) => {
    headers[k] = v;
  });
  return {
    method: req.getMethod().toLowerCase(),
    query: req.getQuery() ?? '',
    contentType: req.getHeader('content-type'),
    headers,
    remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
  };
}

/** `Content-Type: application/octet-stream` selects protobuf (client-protocol.md §2.1). */
export function isProtobufContentType(contentType: string): boolean {
  return contentType.split(';')[0]!.trim().toLowerCase() === 'application/octet-stream';
}

/** Registers onAborted and returns the flag getter (for short request/response handlers). */
export function aborted(res: HttpResponse): () => boolean {
  let gone = false;
  res.onAborted(() => {
    gone = true;
  });
  return () => gone;
}

/**
 * Reads the whole body, at most `limit` bytes: `done(body)`, or `done(null)` as soon as it is
 * larger (the caller answers 413). `res.onAborted` must be registered already.
 */
export function readBody(res: HttpResponse, limit: number, done: (body: Uint8Array | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.onData((chunk, isLast) => {
    if (over) return;
    size += chunk.byteLength;
    if (size > limit) {
      over = true;
      done(null);
      return;
    }
    if (chunk.byteLength > 0) chunks.push(Buffer.from(chunk.slice(0)));
    if (isLast) done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  });
}

/** A complete small answer, corked (safe from any context). */
export function respond(res: HttpResponse, status: string, headers: HeaderList, body = '', closeConnection = false): void {
  res.cork(() => {
    res.writeStatus(status);
    for (const [k, v] of headers) res.writeHeader(k, v);
    // No arguments: endWithoutBody(undefined) would announce a bogus Content-Length.
    if (body === '' && status.startsWith('204')) res.endWithoutBody();
    else res.end(body, closeConnection);
  });
}

export const STATUS = {
  noContent: '204 No Content',
  badRequest: '400 Bad Request',
  notFound: '404 Not Found',
  methodNotAllowed: '405 Method Not Allowed',
  tooLarge: '413 Request Entity Too Large',
  internal: '500 Internal Server Error',
  unavailable: '503 Service Unavailable',
} as const;

/** `NNN Reason` for a numeric status of a connect_code_to_http_response transform. */
export function statusLine(code: number): string {
  const reason = HTTP_REASONS[code];
  return reason ? `${code} ${reason}` : `${code} Status ${code}`;
}

const HTTP_REASONS: Record<number, string> = {
  200: 'OK', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 413: 'Request Entity Too Large', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
