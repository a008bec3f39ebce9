/**
 * HTTP backends: POST of the Go-JSON request (go_json.ts) over a keep-alive undici Pool, one pool
 * per origin + TLS settings shared by every proxy that points there.
 *
 * Outcomes, as Centrifugo's httpCaller + transform*Response produce them:
 * - 200: the body is decoded as the <Event>Response; a body that is not JSON or has a wrong type
 *   anywhere is a failure (Go's json.Unmarshal error → internal error for the client);
 * - any other status: the first `http.status_to_code_transforms` entry for that status with a
 *   `to_error.code` (or else `to_disconnect.code`) > 0 becomes a normal response carrying that
 *   error / disconnect, exactly as if the backend had returned it (so the edge needs no transform
 *   logic, and refresh / sub_refresh see "no result" as Centrifugo's handlers do); without a
 *   matching transform it is a failure with `httpStatus` set. Redirects are not followed.
 * - the body is read up to `maxResponseBytes`; beyond that the call fails (and the connection is
 *   dropped) instead of buffering without bound;
 * - timeout: one timer covers connect, headers and body, like Go's http.Client.Timeout.
 */
import { Pool } from 'undici';
import { create, type DescMessage, type Message } from '@bufbuild/protobuf';
import type { ProxyConfig } from '@gyre/config';
import { proxy as pp } from '@gyre/protocol';
import { type Backend, type CallOutcome, type CallParams, errorMessage, fail, ok } from './backend.js';
import { decodeGoJson, encodeGoJson } from './go_json.js';
import { httpRequestHeaders } from './headers.js';
import type { LoadedTls } from './tls.js';

type StatusTransform = ProxyConfig['http']['status_to_code_transforms'][number];

/** Pools by origin + TLS settings; closed together when the service stops. */
export class HttpPools {
  private readonly pools = new Map<string, Pool>();

  get(url: URL, tls: LoadedTls | undefined): Pool {
    const key = `${url.origin}|${tls ? JSON.stringify({ ...tls, ca: tls.ca?.toString('base64'), cert: tls.cert?.toString('base64'), key: tls.key?.toString('base64') }) : ''}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(url.origin, {
        keepAliveTimeout: 30_000,
        ...(tls ? { connect: { ...tls } } : {}),
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Waits for in-flight requests (graceful) or aborts them (force). Never rejects. */
  async close(force: boolean): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => (force ? p.destroy() : p.close()).catch(() => undefined)));
  }
}

export interface HttpBackendOptions {
  readonly url: URL;
  readonly proxy: ProxyConfig;
  readonly pool: Pool;
  readonly maxResponseBytes: number;
}

export class HttpBackend implements Backend {
  readonly protocol = 'http' as const;
  private readonly path: string;

  constructor(private readonly opts: HttpBackendOptions) {
    this.path = `${opts.url.pathname}${opts.url.search}` || '/';
  }

  async call(p: CallParams): Promise<CallOutcome> {
    let body: Uint8Array;
    try {
      body = encodeGoJson(p.spec.request, p.request);
    } catch (err) {
      return fail({ message: `encoding request: ${errorMessage(err)}` });
    }
    const headers = httpRequestHeaders(this.opts.proxy.http.static_headers, p.headers);

    const remaining = p.deadline - Date.now();
    if (remaining <= 0) return fail({ message: 'deadline exceeded before the request was sent', timeout: true });
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, remaining);
    const onStop = () => ac.abort();
    p.signal.addEventListener('abort', onStop, { once: true });
    try {
      const res = await this.opts.pool.request({
        path: this.path,
        method: 'POST',
        headers,
        body,
        signal: ac.signal,
      });
      if (res.statusCode !== 200) {
        res.body.dump().catch(() => undefined);
        const transformed = transformStatus(p.spec.response, res.statusCode, this.opts.proxy.http.status_to_code_transforms);
        if (transformed) return ok(transformed);
        return fail({ message: `unexpected HTTP status code: ${res.statusCode}`, httpStatus: res.statusCode });
      }
      const max = this.opts.maxResponseBytes;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > max) {
        res.body.destroy();
        return fail({ message: `response body of ${declared} bytes exceeds the limit of ${max} bytes` });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > max) {
          res.body.destroy();
          return fail({ message: `response body exceeds the limit of ${max} bytes` });
        }
        chunks.push(chunk);
      }
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      try {
        return ok(decodeGoJson(p.spec.response, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
      } catch (err) {
        return fail({ message: `decoding response: ${errorMessage(err)}` });
      }
    } catch (err) {
      if (timedOut) return fail({ message: `HTTP request timed out after ${remaining} ms`, timeout: true });
      if (p.signal.aborted) return fail({ message: 'proxy-dispatcher is stopping' });
      return fail({ message: `HTTP request error: ${errorMessage(err)}` });
    } finally {
      clearTimeout(timer);
      p.signal.removeEventListener('abort', onStop);
    }
  }
}

/** Centrifugo's transformHTTPStatusError: the first matching transform with a non-zero code. */
export function transformStatus(response: DescMessage, status: number, transforms: readonly StatusTransform[]): Message | undefined {
  for (const t of transforms) {
    if (t.status_code !== status) continue;
    if (t.to_error.code > 0 && response.fields.some((f) => f.name === 'error')) {
      return create(response, {
        error: create(pp.ErrorSchema, { code: t.to_error.code, message: t.to_error.message, temporary: t.to_error.temporary }),
      } as never);
    }
    if (t.to_disconnect.code > 0 && response.fields.some((f) => f.name === 'disconnect')) {
      return create(response, {
        disconnect: create(pp.DisconnectSchema, { code: t.to_disconnect.code, reason: t.to_disconnect.reason }),
      } as never);
    }
  }
  return undefined;
}
