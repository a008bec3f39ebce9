/*
 * SSE (EventSource) emulation, `sse.handler_prefix` (default /connection/sse), when
 * `sse.enabled` (client-protocol.md §7.2). JSON only.
 *
 * GET with `cf_connect` = the URL-encoded first frame of Commands (a `connect` Command with its
 * id, unlike uni_sse's bare ConnectRequest), or POST with the frame as body. The answer is 200,
 * `Content-Type: text/event-stream; charset=utf-8`, no-cache headers, `X-Accel-Buffering: no`, a
 * lone `\r\n` at once, then each Reply as `data: <json>\n\n`. Later commands and pongs arrive
 * through /emulation.
 *
 * Refusals: OPTIONS → 204 preflight; other methods → 405; limits → 503; no `cf_connect` or a
 * frame that does not decode or does not start with `connect` → 400; a POST body over
 * `sse.max_request_body_size` → 413.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { EdgeContext } from './context.js';
import { answerPreflight, originPolicy, requestCors } from './cors.js';
import { jsonEncoding } from './frames.js';
import { STATUS, readBody, requestInfo, respond } from './http_request.js';
import { STREAM_HEADERS, StreamResponse } from './stream_response.js';
import { SSE_FILLER, openStreamClient, sseFraming, type StreamKind } from './transport_stream.js';
import { firstFrame } from './transport_http_stream.js';
import type { UpgradeGate } from './transport_ws.js';

export const SSE_KIND: StreamKind = {
  name: 'sse',
  unidirectional: false,
  emulation: true,
  encoding: jsonEncoding,
  framing: sseFraming,
  filler: () => SSE_FILLER,
};

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

export function mountSse(app: TemplatedApp, ctx: EdgeContext, gate: UpgradeGate): void {
  const cfg = ctx.config.sse;
  if (!cfg.enabled) return;
  const allowed = originPolicy(ctx.config.client.allowed_origins);

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
    const start = (frame: Uint8Array): void => {
      const commands = firstFrame(jsonEncoding, frame);
      if (!commands) return stream.respond(STATUS.badRequest, [], '');
      const client = openStreamClient(ctx, SSE_KIND, stream, info.headers);
      stream.begin();
      client.onCommands(commands);
    };
    if (info.method === 'get') {
      const connect = new URLSearchParams(info.query).get('cf_connect');
      if (connect === null) return stream.respond(STATUS.badRequest, [], '');
      return start(Buffer.from(connect));
    }
    readBody(res, cfg.max_request_body_size, (body) => {
      if (stream.finished) return;
      if (body === null) return stream.respond(STATUS.tooLarge, [], '', true);
      start(body);
    });
  });
}
