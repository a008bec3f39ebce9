/*
 * HTTP-streaming emulation, `http_stream.handler_prefix` (default /connection/http_stream), when
 * `http_stream.enabled` (client-protocol.md §7.1).
 *
 * POST whose body is the first frame of Commands (a `connect` first): JSON, or protobuf with
 * `Content-Type: application/octet-stream` (varint-delimited Commands). The answer is 200 with
 * no-cache headers and `X-Accel-Buffering: no`, kept open: Replies as JSON lines or
 * varint-delimited protobuf, the connect reply first with `session` and `node`. Later commands,
 * pongs included, arrive through /emulation (emulation.ts).
 *
 * Refusals: OPTIONS → 204 preflight; another method → 405; connection_limit / rate / draining →
 * 503; a body over `http_stream.max_request_body_size` → 413; a body that does not decode, or
 * whose first command is not `connect` → 400. The uWS lifecycle rules are at the top of
 * http_request.ts and stream_response.ts.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { Command } from '@gyre/protocol';
import type { Client } from './client.js';
import type { EdgeContext } from './context.js';
import { answerPreflight, originPolicy, requestCors } from './cors.js';
import { jsonEncoding, protobufEncoding, type Encoding } from './frames.js';
import { STATUS, isProtobufContentType, readBody, requestInfo, respond } from './http_request.js';
import { STREAM_HEADERS, StreamResponse } from './stream_response.js';
import { jsonLinesFraming, openStreamClient, protobufStreamFraming, type StreamKind } from './transport_stream.js';
import type { UpgradeGate } from './transport_ws.js';

/** A ping whose pong the client may send: accepted once more (client.ts extraPing). */
const pingFiller = (client: Client | null): Uint8Array => (client ? (client.extraPing() as Uint8Array) : protobufEncoding.pingFrame as Uint8Array);

export const HTTP_STREAM_JSON: StreamKind = {
  name: 'http_stream',
  unidirectional: false,
  emulation: true,
  encoding: jsonEncoding,
  framing: jsonLinesFraming,
  // The SDK skips empty lines (they are what intermediaries send to keep streams alive).
  filler: () => '\n',
};

export const HTTP_STREAM_PROTOBUF: StreamKind = {
  name: 'http_stream',
  unidirectional: false,
  emulation: true,
  encoding: protobufEncoding,
  framing: protobufStreamFraming,
  // Nothing in varint-delimited Replies is ignored by clients: an extra ping is the harmless frame.
  filler: pingFiller,
};

/** Decodes the first frame; null unless it is well-formed and starts with `connect`. */
export function firstFrame(encoding: Encoding, body: Uint8Array): Command[] | null {
  let commands: Command[];
  try {
    commands = encoding.decode(body);
  } catch {
    return null;
  }
  if (commands.length === 0 || commands[0]!.connect === undefined) return null;
  return commands;
}

export function mountHttpStream(app: TemplatedApp, ctx: EdgeContext, gate: UpgradeGate): void {
  const cfg = ctx.config.http_stream;
  if (!cfg.enabled) return;
  const allowed = originPolicy(ctx.config.client.allowed_origins);

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
    const protobuf = isProtobufContentType(info.contentType);
    const kind = protobuf ? HTTP_STREAM_PROTOBUF : HTTP_STREAM_JSON;
    const stream = new StreamResponse(res, [...cors, ['Content-Type', protobuf ? 'application/octet-stream' : 'application/json'], ...STREAM_HEADERS]);
    readBody(res, cfg.max_request_body_size, (body) => {
      if (stream.finished) return;
      if (body === null) return stream.respond(STATUS.tooLarge, [], '', true);
      const commands = firstFrame(kind.encoding, body);
      if (!commands) return stream.respond(STATUS.badRequest, [], '');
      const client = openStreamClient(ctx, kind, stream, info.headers);
      stream.begin();
      client.onCommands(commands);
    });
  });
}
