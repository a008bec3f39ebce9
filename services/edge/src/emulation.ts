/*
 * `/emulation` (`emulation.handler_prefix`, client-protocol.md §7.3): the client → server half of
 * HTTP streaming and SSE. Mounted when either is enabled.
 *
 * POST `{"session","node","data"}` (JSON, `data` a string of newline-joined Commands), or a bare
 * protobuf EmulationRequest with `Content-Type: application/octet-stream` (`data` varint-delimited
 * Commands). The frame goes into the connection with that session as if it had arrived on its
 * stream; the Replies go out on the stream. The answer is 204 either way.
 *
 * No sticky sessions (ARCHITECTURE.md subjects): the POST may land on any edge. `node` is the
 * node id from the connect result; another node's frame is forwarded on `<prefix>.emu.<node>`
 * (gyre.v1.EmulationForward) and the edge holding the session answers EmulationForwardReply.
 * Nobody listening on that subject → the node is unknown → 404. A session unknown on its node is
 * ignored (204, `delivered: false`), as the reference does: a late POST after the stream closed is
 * normal.
 *
 * Refusals: OPTIONS → 204 preflight; other methods → 405; a body over
 * `emulation.max_request_body_size` → 413; an undecodable body → 400; the bus failing or timing
 * out → 500. A frame the session's connection cannot decode closes that connection with 3501,
 * as on a WebSocket.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { TemplatedApp } from 'uWebSockets.js';
import { BusNoRespondersError, type BusMessage, type BusSubscription } from '@gyre/bus';
import { bus as busPb, decodeEmulationRequestJson, decodeEmulationRequestProtobuf, protocol } from '@gyre/protocol';
import type { EdgeContext } from './context.js';
import { answerPreflight, originPolicy, requestCors } from './cors.js';
import { STATUS, aborted, isProtobufContentType, readBody, requestInfo, respond } from './http_request.js';

/** How long a forwarded frame waits for the holding edge. */
export const EMULATION_FORWARD_TIMEOUT_MS = 5000;

/** `<prefix>.emu.<node>` */
export function emulationSubject(prefix: string, node: string): string {
  return `${prefix}.emu.${node}`;
}

/** Node ids become one subject token: anything NATS would split on or treat as a wildcard is no node of ours. */
const NODE_TOKEN = /^[A-Za-z0-9_-]+$/;

export class Emulation {
  private sub: BusSubscription | null = null;

  constructor(private readonly ctx: EdgeContext) {}

  /** Listens for frames other edges forward to this node (when it serves an emulated transport). */
  start(): void {
    const { config } = this.ctx;
    if (!config.http_stream.enabled && !config.sse.enabled) return;
    this.sub = this.ctx.bus.subscribe(emulationSubject(this.ctx.prefix, this.ctx.nodeId), (msg) => this.onForward(msg));
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  /** Feeds one frame to the local emulated connection with `session`; false when there is none. */
  deliver(session: string, data: Uint8Array): boolean {
    if (session === '') return false;
    const client = this.ctx.registry.session(session);
    if (!client || !client.transport.emulation || client.closed) return false;
    client.onFrame(data);
    return true;
  }

  mount(app: TemplatedApp): void {
    const { config } = this.ctx;
    if (!config.http_stream.enabled && !config.sse.enabled) return;
    const allowed = originPolicy(config.client.allowed_origins);
    const limit = config.emulation.max_request_body_size;

    app.any(config.emulation.handler_prefix, (res, req) => {
      const info = requestInfo(res, req);
      const cors = requestCors(allowed, req);
      if (info.method === 'options') return answerPreflight(res, cors, 'POST, OPTIONS');
      if (info.method !== 'post') return respond(res, STATUS.methodNotAllowed, [...cors, ['Allow', 'POST, OPTIONS']]);
      const gone = aborted(res);
      const protobuf = isProtobufContentType(info.contentType);
      readBody(res, limit, (body) => {
        if (gone()) return;
        if (body === null) return respond(res, STATUS.tooLarge, cors, '', true);
        let request: protocol.EmulationRequest;
        try {
          request = protobuf ? decodeEmulationRequestProtobuf(body) : decodeEmulationRequestJson(body);
        } catch {
          return respond(res, STATUS.badRequest, cors);
        }
        if (request.node === this.ctx.nodeId) {
          this.deliver(request.session, request.data);
          return respond(res, STATUS.noContent, cors);
        }
        if (!NODE_TOKEN.test(request.node)) return respond(res, STATUS.notFound, cors);
        this.forward(request, protobuf).then(
          (status) => {
            if (!gone()) respond(res, status, cors);
          },
          () => {
            if (!gone()) respond(res, STATUS.internal, cors);
          },
        );
      });
    });
  }

  /** Sends a frame to the edge holding the session; resolves with the HTTP status to answer. */
  private async forward(request: protocol.EmulationRequest, protobuf: boolean): Promise<string> {
    const fwd = create(busPb.EmulationForwardSchema, {
      request,
      encoding: protobuf ? busPb.FrameEncoding.PROTOBUF : busPb.FrameEncoding.JSON,
    });
    try {
      await this.ctx.bus.request(emulationSubject(this.ctx.prefix, request.node), toBinary(busPb.EmulationForwardSchema, fwd), {
        timeoutMs: EMULATION_FORWARD_TIMEOUT_MS,
      });
    } catch (err) {
      if (err instanceof BusNoRespondersError) return STATUS.notFound;
      this.ctx.logger.warn({ err, node: request.node }, 'emulation forward failed');
      return STATUS.internal;
    }
    return STATUS.noContent;
  }

  private onForward(msg: BusMessage): void {
    let fwd: busPb.EmulationForward;
    try {
      fwd = fromBinary(busPb.EmulationForwardSchema, msg.data);
    } catch (err) {
      this.ctx.logger.warn({ err }, 'dropping undecodable emulation forward');
      return;
    }
    const req = fwd.request;
    const delivered = req !== undefined && this.deliver(req.session, req.data);
    msg.respond(toBinary(busPb.EmulationForwardReplySchema, create(busPb.EmulationForwardReplySchema, { delivered })));
  }
}
