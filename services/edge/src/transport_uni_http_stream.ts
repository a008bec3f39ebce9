/*
 * Unidirectional HTTP streaming, `uni_http_stream.handler_prefix` (default
 * /connection/uni_http_stream), when `uni_http_stream.enabled` (client-protocol.md §8).
 *
 * POST whose body is one ConnectRequest as JSON (no Command envelope; `{}` for an empty one).
 * The answer is 200 `application/json`, no-cache headers, `X-Accel-Buffering: no`, then bare
 * Pushes each followed by `\n`: `connect` first (with `session`), publications, join/leave,
 * server-side subscribe/unsubscribe, `{}` pings, and a `disconnect` push before the end.
 * Status and headers leave with the connect push, so a failed connect can still be answered with
 * `uni_http_stream.connect_code_to_http_response` (uni.ts); otherwise it is a disconnect push.
 *
 * Refusals: OPTIONS → 204 preflight; other methods → 405; limits → 503; a body over
 * `uni_http_stream.max_request_body_size` → 413; an empty or malformed body → 400.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { create, decodeConnectRequestJson, protocol, type Command } from '@gyre/protocol';
import type { EdgeContext } from './context.js';
import { answerPreflight, originPolicy, requestCors } from './cors.js';
import { uniJsonEncoding } from './frames_uni.js';
import { STATUS, readBody, requestInfo, respond } from './http_request.js';
import { STREAM_HEADERS, StreamResponse } from './stream_response.js';
import { jsonLinesFraming, openStreamClient, type StreamKind } from './transport_stream.js';
import type { UpgradeGate } from './transport_ws.js';

/** A unidirectional ConnectRequest as the connection's one command. */
export function uniConnectCommand(connect: protocol.ConnectRequest): Command {
  return create(protocol.CommandSchema, { id: 1, connect });
}

/** A bare ConnectRequest in JSON, or null when it does not parse. */
export function parseUniConnect(json: Uint8Array | string): protocol.ConnectRequest | null {
  try {
    return decodeConnectRequestJson(json);
  } catch {
    return null;
  }
}

export function mountUniHttpStream(app: TemplatedApp, ctx: EdgeContext, gate: UpgradeGate): void {
  const cfg = ctx.config.uni_http_stream;
  if (!cfg.enabled) return;
  const allowed = originPolicy(ctx.config.client.allowed_origins);
  const kind: StreamKind = {
    name: 'uni_http_stream',
    unidirectional: true,
    emulation: false,
    encoding: uniJsonEncoding,
    framing: jsonLinesFraming,
    // The unidirectional ping: every client already handles it.
    filler: () => '{}\n',
    httpResponse: cfg.connect_code_to_http_response,
  };

  app.any(cfg.handler_prefix, (res, req) => {
    const info = requestInfo(res, req);
    const cors = requestCors(allowed, req);
    if (info.method === 'options') return answerPreflight(res, cors, 'POST, OPTIONS');
    if (info.method !== 'post') return respond(res, STATUS.methodNotAllowed, [...cors, ['Allow', 'POST, OPTIONS']]);
    const admitted = gate.admit();
    if (admitted !== 'ok') {
      if (admitted === 'limit') ctx.metrics.connectionLimitHit();
      return respond(res, STATUS.unavailable, cors, 'Service Unavailable\n');
    }
    const stream = new StreamResponse(res, [...cors, ['Content-Type', 'application/json'], ...STREAM_HEADERS]);
    readBody(res, cfg.max_request_body_size, (body) => {
      if (stream.finished) return;
      if (body === null) return stream.respond(STATUS.tooLarge, [], '', true);
      const connect = parseUniConnect(body);
      if (!connect) return stream.respond(STATUS.badRequest, [], '');
      openStreamClient(ctx, kind, stream, info.headers).onCommands([uniConnectCommand(connect)]);
    });
  });
}
