/**
 * The Transport of the streamed HTTP transports: HTTP streaming and SSE (emulated bidirectional,
 * client-protocol.md §7) and uni_http_stream / uni_sse (§8). They differ only in encoding,
 * framing, the keep-alive filler and whether a failed connect may be answered with an HTTP status;
 * the response itself is a StreamResponse (stream_response.ts).
 *
 * - Frames: each encoded part is framed (`…\n`, `data: …\n\n`, or as it is for varint-delimited
 *   protobuf) and the parts of one batch leave in one chunk.
 * - Close: a disconnect push (`{"push":{"disconnect":…}}`, or the bare `{"disconnect":…}` on
 *   unidirectional streams) and the end of the response; a slow connection (3008) is cut off.
 *   A unidirectional connect that fails before anything was sent may instead get the HTTP status
 *   of `connect_code_to_http_response` (uni.ts).
 * - Backpressure: the Client closes with 3008 past `client.queue_max_size`; fan-out writes are
 *   checked by the sweep, and past twice the limit right away (as uWS does for WebSockets).
 */
import { Disconnect, create, messages, protocol, type DisconnectReason, type ProtocolError } from '@gyre/protocol';
import { Client } from './client.js';
import type { EdgeContext } from './context.js';
import type { Encoding, Frame } from './frames.js';
import type { StreamResponse } from './stream_response.js';
import type { Framing, Transport, TransportName } from './transport.js';
import { connectHttpResponse, type ConnectCodeToHttpResponse } from './uni.js';
import { statusLine } from './http_request.js';

/** `…\n`: HTTP streaming (JSON) and uni_http_stream. */
export const jsonLinesFraming: Framing = { name: 'json-lines', frame: (part) => `${part as string}\n` };
/** Varint-delimited Replies as they are: HTTP streaming (protobuf). */
export const protobufStreamFraming: Framing = { name: 'protobuf-stream', frame: (part) => part };
/** `data: …\n\n`: SSE and uni_sse. */
export const sseFraming: Framing = { name: 'sse', frame: (part) => `data: ${part as string}\n\n` };

/** An SSE comment: ignored by every EventSource, flushes the stream after backpressure. */
export const SSE_FILLER = ':\n';

export interface StreamKind {
  readonly name: TransportName;
  readonly unidirectional: boolean;
  readonly emulation: boolean;
  readonly encoding: Encoding;
  readonly framing: Framing;
  /** A frame that changes nothing for the client, written to flush uWS after backpressure. */
  filler(client: Client | null): Frame;
  /** uni_sse / uni_http_stream connect_code_to_http_response. */
  readonly httpResponse?: ConnectCodeToHttpResponse;
}

export class StreamTransport implements Transport {
  readonly topics = null;
  private client: Client | null = null;
  private overflowed = false;

  constructor(
    private readonly kind: StreamKind,
    private readonly stream: StreamResponse,
    /** Bytes past which a connection is cut off without waiting for the sweep. */
    private readonly hardLimit: number,
  ) {
    stream.onAbort = () => this.client?.onClose(1006);
    stream.filler = () => kind.filler(this.client);
  }

  get name(): TransportName {
    return this.kind.name;
  }
  get unidirectional(): boolean {
    return this.kind.unidirectional;
  }
  get emulation(): boolean {
    return this.kind.emulation;
  }
  get encoding(): Encoding {
    return this.kind.encoding;
  }
  get framing(): Framing {
    return this.kind.framing;
  }

  attach(client: Client): void {
    this.client = client;
  }

  write(parts: readonly Frame[]): void {
    const f = this.kind.framing;
    if (parts.length === 1) this.stream.write(f.frame(parts[0]!));
    else if (this.kind.encoding.binary) this.stream.write(Buffer.concat(parts.map((p) => f.frame(p) as Uint8Array)));
    else this.stream.write(parts.map((p) => f.frame(p) as string).join(''));
    this.checkOverflow();
  }

  writeFramed(data: Frame): void {
    this.stream.write(data);
    this.checkOverflow();
  }

  bufferedAmount(): number {
    return this.stream.bufferedAmount();
  }

  close(d: DisconnectReason, connectError?: ProtocolError): void {
    if (d.code === Disconnect.Slow.code) {
      this.stream.abort();
      return;
    }
    const mapping = this.kind.httpResponse;
    if (mapping && !this.stream.started) {
      const r = connectHttpResponse(mapping, d, connectError);
      if (r) {
        this.stream.respond(statusLine(r.status), [['Content-Type', 'text/plain; charset=utf-8']], r.body);
        return;
      }
    }
    if (d.code < 3000) {
      this.stream.end();
      return;
    }
    const push = messages.newPush();
    push.disconnect = create(protocol.DisconnectSchema, { code: d.code, reason: d.reason });
    const reply = messages.newReply();
    reply.push = push;
    this.stream.end(this.kind.framing.frame(this.kind.encoding.encodeReply(reply)));
  }

  private checkOverflow(): void {
    if (this.overflowed || this.stream.bufferedAmount() <= this.hardLimit) return;
    this.overflowed = true;
    // Not from inside the caller's loop (the hub may be iterating members): next microtask.
    queueMicrotask(() => this.client?.disconnect(Disconnect.Slow));
  }
}

/** A connection on a new streamed response: the Client exists and its stale timer runs. */
export function openStreamClient(ctx: EdgeContext, kind: StreamKind, stream: StreamResponse, headers: Record<string, string>): Client {
  const transport = new StreamTransport(kind, stream, Math.max(ctx.settings.queueMaxSize * 2, 64 * 1024));
  const client = new Client(ctx, transport, headers);
  transport.attach(client);
  client.opened(Date.now());
  return client;
}
