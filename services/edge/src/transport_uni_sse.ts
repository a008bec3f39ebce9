/*
 * Unidirectional SSE (EventSource), `uni_sse.handler_prefix` (default /connection/uni_sse), when
 * `uni_sse.enabled` (client-protocol.md §8).
 *
 * GET with `cf_connect` = the URL-encoded ConnectRequest JSON (bare, no Command envelope; absent
 * → an empty request), or POST with it as the body. The answer is 200
 * `text/event-stream; charset=utf-8`, no-cache headers, `X-Accel-Buffering: no`, `\r\n`, then
 * each bare Push as `data: <json>\n\n`: `connect` first (with `session`), then publications and
 * the rest, `{}` pings, a `disconnect` push before the end. `Last-Event-ID` is not used.
 * Headers leave with the connect push, so a failed connect can still be answered with
 * `uni_sse.connect_code_to_http_response` (uni.ts).
 *
 * Refusals: OPTIONS → 204 preflight; other methods → 405; limits → 503; `cf_connect` or a body
 * that is not a ConnectRequest → 400; a POST body over `uni_sse.max_request_body_size` → 413.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { create, protocol } from '@gyre/protocol';
import type { EdgeContext } from './context.js';
import { answerPreflight, originPolicy, requestCors } from './cors.js';
import { uniJsonEncoding } from './frames_uni.js';
import { STATUS, readBody, requestInfo, respond } from './http_request.js';
import { STREAM_HEADERS, StreamResponse } from './stream_response.js';
import { SSE_FILLER, openStreamClient, sseFraming, type StreamKind } from './transport_stream.js';
import { SSE_CONTENT_TYPE } from './transport_sse.js';
import { parseUniConnect, uniConnectCommand } from './transport_uni_http_stream.js';
import type { UpgradeGate } from './transport_ws.js';

export function mountUniSse(app: TemplatedApp, ctx: EdgeContext, gate: UpgradeGate): void {
  const cfg = ctx.config.uni_sse;
  if (!cfg.enabled) return;
  const allowed = originPolicy(ctx.config.client.allowed_origins);
  const kind: StreamKind = {
    name: 'uni_sse',
    unidirectional: true,
    emulation: false,
    encoding: uniJsonEncoding,
    framing: sseFraming,
    filler: () => SSE_FILLER,
    httpResponse: cfg.connect_code_to_http_response,
  };

  app.any(cfg.handler_prefix, (res, req) => {
    const info = requestInfo(res, req);
    const cors = requestCors(allowed, req);
    if (info.method === 'options') return answerPreflight(res, cors, 'GET, POST, OPTIONS');
    if (info.method !== 'get' && info.method !== 'post') return respond(res, STATUS.methodNotAllowed, [...cors, ['Allow', 'GET, POST, OPTIONS']]);
    const admitted = gate.admit();
    if (admitted !== 'ok') {
      if (admitted === 'limit') ctx.metrics.connectionLimitHit();
      return respond(res, STATUS.unavailable, cors, 'Service Unavailable\n');
    }
    const stream = new StreamResponse(res, [...cors, ['Content-Type', SSE_CONTENT_TYPE], ...STREAM_HEADERS], '\r\n');
    const start = (connect: protocol.ConnectRequest | null): void => {
      if (!connect) return stream.respond(STATUS.badRequest, [], '');
      openStreamClient(ctx, kind, stream, info.headers).onCommands([uniConnectCommand(connect)]);
    };
    if (info.method === 'get') {
      const json = new URLSearchParams(info.query).get('cf_connect');
      return start(json === null || json === '' ? create(protocol.ConnectRequestSchema) : parseUniConnect(json));
    }
    readBody(res, cfg.max_request_body_size, (body) => {
      if (stream.finished) return;
      if (body === null) return stream.respond(STATUS.tooLarge, [], '', true);
      start(parseUniConnect(body));
    });
  });
}
