/**
 * What a connection (client.ts) needs from the wire it runs on, so that one state machine serves
 * every transport of client-protocol.md §1: the bidirectional WebSocket (transport_ws.ts), the
 * HTTP-streaming and SSE emulation (transport_http_stream.ts, transport_sse.ts, commands through
 * /emulation, emulation.ts) and the unidirectional ones (transport_uni_*.ts).
 *
 * Contract every implementation keeps:
 * - `write` and `writeFramed` may be called from anywhere (uWS callbacks, bus handlers, timers,
 *   after an await): the transport corks what needs corking. They never throw, and do nothing
 *   once the transport is closed (by either side).
 * - Frames leave in call order; nothing written before `close` is dropped, except for a slow
 *   connection (3008), which is cut off at once.
 * - `close` is called once, by the Client, and the transport then does not call back into the
 *   Client. When the peer goes away first, the transport calls `Client.onClose` exactly once.
 * - `bufferedAmount` is what the transport holds in user space for this connection (uWS buffers
 *   and its own queue); past `client.queue_max_size` the Client closes with 3008.
 */
import type { DisconnectReason, ProtocolError } from '@gyre/protocol';
import type { Encoding, Frame } from './frames.js';

/** Centrifugo's transport names (metrics labels, ConnectResult, proxy requests). */
export type TransportName = 'websocket' | 'http_stream' | 'sse' | 'uni_websocket' | 'uni_sse' | 'uni_http_stream' | 'uni_grpc';

/**
 * uWS pub/sub, for transports that are uWS WebSockets: the hub publishes each publication once
 * and C++ copies it to every member. Transports without it get the same frames from LocalTopics.
 */
export interface NativeTopics {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

/**
 * How one encoded part (a Reply, or a bare Push on unidirectional transports) looks on a
 * transport's wire: as it is (WebSocket), followed by `\n` (HTTP streaming JSON), as an SSE event
 * `data: …\n\n`. One instance per distinct framing, shared by every connection that frames
 * alike: LocalTopics frames a publication once per instance and hands the same bytes to all of
 * its connections.
 */
export interface Framing {
  readonly name: string;
  frame(part: Frame): Frame;
}

export interface Transport {
  readonly name: TransportName;
  /** Server → client only: one ConnectRequest in, bare Push frames out, no pongs. */
  readonly unidirectional: boolean;
  /** Bidirectional emulation: after the first frame, commands arrive through /emulation. */
  readonly emulation: boolean;
  /** Encoding of the parts handed to `write` (and of the commands the client sends). */
  readonly encoding: Encoding;
  /** uWS topics when the transport has them; null: the hub delivers through LocalTopics. */
  readonly topics: NativeTopics | null;
  readonly framing: Framing;
  /** Writes encoded parts in order, batched into as few wire writes as the transport allows. */
  write(parts: readonly Frame[]): void;
  /** Writes bytes already framed by `framing` (one publication of the local fan-out). */
  writeFramed(data: Frame): void;
  /** Bytes held in user space for this connection, not yet handed to the kernel. */
  bufferedAmount(): number;
  /**
   * Ends the connection with a disconnect: a close frame (WebSocket), or a disconnect push and
   * the end of the stream. `connectError` is the connect error a unidirectional connect failed
   * with (uni_sse / uni_http_stream may answer it with an HTTP status instead).
   */
  close(d: DisconnectReason, connectError?: ProtocolError): void;
  /**
   * WebSocket only, when the client asked for `cf_ws_frame_ping_pong=true` (a debugging aid,
   * client-protocol.md §2.1): liveness uses native ping frames instead of application pings.
   * The transport reports pongs to Client.onNativePong.
   */
  readonly nativePing?: (() => void) | undefined;
}
