/**
 * The HTTP server API: `POST <prefix>/<method>` (prefix `http_api.handler_prefix`, default `/api`)
 * for every OSS method, on the uWS app the composing process hands over (the internal listener,
 * or the external one with `http_api.external`). Behaviour follows Centrifugo v6 (server.md
 * §1.1-§1.5):
 *
 * - any method but POST: 405, empty body; failed key check: 401, empty body; unknown method
 *   path: 404 `404 page not found`;
 * - a body over `gyre.http.max_request_body_size`: 413 (Gyre's addition; Centrifugo reads any
 *   size); a body that is not JSON of the request's shape: 400 `Bad Request` as plain text;
 * - API errors: 200 `{"error":{"code","message"}}`, or in transport error mode (config
 *   `http_api.error_mode: transport` or header `X-Centrifugo-Error-Mode: transport`) the mapped
 *   HTTP status with `{"code","message"}`; batch always answers 200;
 * - results: 200 `{"result":{...}}`; batch `{"replies":[...]}`.
 */
import { create } from '@bufbuild/protobuf';
import type { TemplatedApp } from 'uWebSockets.js';
import type { GyreConfig } from '@gyre/config';
import type { Logger } from '@gyre/observability';
import { api } from '@gyre/protocol';
import { httpAuthorized } from './auth.js';
import { decodeJson, encodeJson } from './codec.js';
import { httpStatusForError } from './errors.js';
import { METHODS, responseMessage, type Executor, type MethodSpec } from './executor.js';
import { Responder, STATUS, TEXT_PLAIN, requestInfo, type RequestInfo } from './http_io.js';
import { JsonEncodeError, JsonSyntaxError, JsonTypeError } from './json.js';
import { handleLegacy } from './legacy.js';
import type { ApiMetrics } from './metrics.js';

export interface HttpApiOptions {
  app: TemplatedApp;
  config: GyreConfig;
  executor: Executor;
  metrics: ApiMetrics;
  logger: Logger;
  /** True once the process is shutting down (the legacy endpoint then answers 503). */
  draining: () => boolean;
}

/** `/api` → `/api`; `api/` → `/api`; `` or `/` → `` (routes at the root). */
export function normalizePrefix(prefix: string): string {
  let p = prefix.trim();
  if (p !== '' && !p.startsWith('/')) p = '/' + p;
  return p.replace(/\/+$/, '');
}

export function mountHttpApi(o: HttpApiOptions): void {
  const { app, config, logger } = o;
  const prefix = normalizePrefix(config.http_api.handler_prefix);
  const key = config.http_api.key;
  const insecure = config.http_api.insecure;
  const maxBody = config.gyre.http.max_request_body_size;
  const alwaysTransport = config.http_api.error_mode === 'transport';
  if (insecure) logger.warn('http_api.insecure is on: the server API accepts requests without an API key');
  else if (key === '') logger.error('http_api.key is empty and http_api.insecure is off: every server API request will be refused with 401');

  /** Method, auth: what every API route checks first. Returns false when it already answered. */
  const admit = (res: Parameters<Parameters<TemplatedApp['any']>[1]>[0], info: RequestInfo): boolean => {
    if (info.method !== 'post') {
      res.writeStatus(STATUS.methodNotAllowed).end();
      return false;
    }
    if (!httpAuthorized(key, insecure, info)) {
      res.writeStatus(STATUS.unauthorized).end();
      return false;
    }
    return true;
  };

  app.any(prefix + '/*', (res, req) => {
    const info = requestInfo(req);
    if (!admit(res, info)) return;
    const name = info.url.slice(prefix.length + 1);
    const method = METHODS.get(name);
    if (!method) {
      res.writeStatus(STATUS.notFound).writeHeader('Content-Type', TEXT_PLAIN).writeHeader('X-Content-Type-Options', 'nosniff').end('404 page not found\n');
      return;
    }
    const reply = new Responder(res);
    const transport = alwaysTransport || info.errorMode === 'transport';
    reply.readBody(
      maxBody,
      info.contentLength,
      (body) => {
        handleMethod(o, method, body, reply, transport).catch((err: unknown) => {
          logger.error({ err, method: name }, 'server API request failed');
          reply.plain(STATUS.internal);
        });
      },
      () => {
        o.metrics.error('http', method.name, 'read_body');
        reply.plain(STATUS.tooLarge);
      },
    );
  });

  app.any(prefix === '' ? '/' : prefix, (res, req) => {
    const info = requestInfo(req);
    if (!admit(res, info)) return;
    if (o.draining()) {
      res.writeStatus(STATUS.unavailable).end();
      return;
    }
    const reply = new Responder(res);
    reply.readBody(
      maxBody,
      info.contentLength,
      (body) => {
        handleLegacy(o.executor, body, reply, logger).catch((err: unknown) => {
          logger.error({ err }, 'legacy server API request failed');
          reply.plain(STATUS.internal);
        });
      },
      () => reply.plain(STATUS.tooLarge),
    );
  });
}

async function handleMethod(o: HttpApiOptions, method: MethodSpec, body: Buffer, reply: Responder, transport: boolean): Promise<void> {
  const { metrics, logger } = o;
  metrics.requestSize('http', method.name, body.length);
  let req;
  try {
    req = decodeJson(method.request, body);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError || err instanceof JsonTypeError)) throw err;
    logger.info({ err: err.message, method: method.name }, 'error decoding API request body');
    metrics.error('http', method.name, 'unmarshal');
    reply.plain(STATUS.badRequest);
    return;
  }
  const out = await o.executor.call(method, req, 'http');
  if (out.error) metrics.error('http', method.name, out.error.code);
  if (!reply.open) return;
  if (out.error && transport) {
    reply.json(httpStatusForError(out.error), encodeJson(api.ErrorSchema, create(api.ErrorSchema, out.error)));
    return;
  }
  let bytes: Buffer;
  try {
    bytes = encodeJson(method.response, responseMessage(method, out));
  } catch (err) {
    if (!(err instanceof JsonEncodeError)) throw err;
    logger.error({ err: err.message, method: method.name }, 'error encoding API response');
    metrics.error('http', method.name, 'marshal');
    reply.plain(STATUS.internal);
    return;
  }
  reply.json(STATUS.ok, bytes);
}
