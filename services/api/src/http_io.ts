/**
 * Request bodies and responses on uWebSockets.js, under its rules: everything needed from `req`
 * is copied before returning from the handler, `onAborted` is registered before any async work,
 * bodies are read with `onData` under a size cap, and every write made later is corked.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

export interface RequestInfo {
  method: string;
  url: string;
  query: string;
  apiKeyHeader: string;
  authorization: string;
  errorMode: string;
  contentLength: number | null;
}

/** Copies what the API needs out of `req` (valid only during the synchronous handler). */
export function requestInfo(req: HttpRequest): RequestInfo {
  const cl = req.getHeader('content-length');
  const n = cl === '' ? NaN : Number(cl);
  return {
    method: req.getMethod().toLowerCase(),
    url: req.getUrl(),
    query: req.getQuery() ?? '',
    apiKeyHeader: req.getHeader('x-api-key'),
    authorization: req.getHeader('authorization'),
    errorMode: req.getHeader('x-centrifugo-error-mode'),
    contentLength: Number.isFinite(n) && n >= 0 ? n : null,
  };
}

export const TEXT_PLAIN = 'text/plain; charset=utf-8';
export const APPLICATION_JSON = 'application/json';

/** A response that may be answered later; writes after the client went away are dropped. */
export class Responder {
  private aborted = false;
  private finished = false;

  constructor(private readonly res: HttpResponse) {
    res.onAborted(() => {
      this.aborted = true;
    });
  }

  get open(): boolean {
    return !this.aborted && !this.finished;
  }

  send(status: string, contentType: string | null, body: string | Uint8Array = ''): void {
    if (!this.open) return;
    this.finished = true;
    this.res.cork(() => {
      this.res.writeStatus(status);
      if (contentType) this.res.writeHeader('Content-Type', contentType);
      if (contentType === TEXT_PLAIN) this.res.writeHeader('X-Content-Type-Options', 'nosniff');
      this.res.end(body);
    });
  }

  /** Go's http.Error: the status text plus a newline, as text/plain. */
  plain(status: string): void {
    this.send(status, TEXT_PLAIN, status.slice(status.indexOf(' ') + 1) + '\n');
  }

  json(status: string, body: Uint8Array): void {
    this.send(status, APPLICATION_JSON, body);
  }

  /**
   * Reads the whole body. Past `maxBytes` (declared or received) the request is answered 413
   * and `onBody` is never called.
   */
  readBody(maxBytes: number, declared: number | null, onBody: (body: Buffer) => void, onTooLarge: () => void): void {
    if (declared !== null && declared > maxBytes) {
      onTooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    this.res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        done = true;
        onTooLarge();
        return;
      }
      // The ArrayBuffer is reused by uWS after this callback: copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        done = true;
        onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      }
    });
  }
}

export const STATUS = {
  ok: '200 OK',
  badRequest: '400 Bad Request',
  unauthorized: '401 Unauthorized',
  notFound: '404 Not Found',
  methodNotAllowed: '405 Method Not Allowed',
  tooLarge: '413 Request Entity Too Large',
  internal: '500 Internal Server Error',
  unavailable: '503 Service Unavailable',
} as const;
