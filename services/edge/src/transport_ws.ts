/*
 * The bidirectional WebSocket transport, `websocket.handler_prefix` (default
 * /connection/websocket), on uWebSockets.js.
 *
 * Lifecycle rules of uWebSockets.js that bite, and how this file keeps them:
 * - `req` lives only during the synchronous part of `upgrade`: every header, the URL and the query
 *   are copied out of it before anything else. The upgrade here never goes async; one that does
 *   must call `res.onAborted` first and must not touch `res` after it fired.
 * - A message's ArrayBuffer is valid only until the handler returns (then uWS neuters it): the
 *   frame is decoded synchronously and the decoders copy every byte they keep.
 * - Writes made outside a uWS callback (bus handlers, timers, after an `await`) are corked
 *   (`ws.cork`), so one syscall carries them; Client.flush does that for every write.
 * - A WebSocket is valid from `open` to `close` only; `end()` calls the close handler at once.
 *   Client.state guards every later use, so a late command completion never touches a dead socket.
 * - Backpressure: `maxBackpressure` is the hard per-socket bound in user space (twice
 *   `client.queue_max_size`): past it uWS drops what it would buffer and, with
 *   `closeOnBackpressureLimit`, closes the socket, so a drop is never silent. The clean path is
 *   the checks of backpressure.ts (every quarter queue size published on a channel, after every
 *   direct send, and a periodic sweep), which close a socket with 3008 (slow) as soon as it holds
 *   more than queue_max_size. Topic publishes never wait for a slow socket: C++ buffers per socket
 *   and moves on.
 * - Frames over `websocket.message_size_limit` close with 1009 (the JS SDK's terminal "message
 *   size limit exceeded"). uWS would close oversize frames itself with 1006, so its own limit is
 *   set well above ours and ours is checked in the message handler.
 * - Closing the listen socket (services/gyre) stops new upgrades; open sockets stay until the edge
 *   closes them (3001 on shutdown).
 */
import uWS, { type HttpRequest, type HttpResponse, type TemplatedApp, type WebSocket, type us_socket_context_t } from 'uWebSockets.js';
import type { DisconnectReason } from '@gyre/protocol';
import type { EdgeContext } from './context.js';
import { Client, type WsData } from './client.js';
import { selectEncoding, type Encoding, type Frame } from './frames.js';
import { originChecker } from '@gyre/config';
import type { Framing, NativeTopics, Transport } from './transport.js';

/** WebSocket frames carry a part as it is; several parts are joined by the encoding. */
const wsFraming: Framing = { name: 'websocket', frame: (part) => part };

/**
 * The Transport of one uWS WebSocket. Every write is corked (it may come from outside a uWS
 * callback); topics are uWS's own, so fan-out to WebSocket members never runs JavaScript per
 * member. `ws` must not be used after uWS called the close handler: the Client stops writing
 * once it is closed, and uWS calls close from `end()` itself.
 */
export class WsTransport implements Transport, NativeTopics {
  readonly name = 'websocket';
  readonly unidirectional = false;
  readonly emulation = false;
  readonly framing = wsFraming;
  readonly topics: NativeTopics = this;

  readonly nativePing: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket<WsData>,
    readonly encoding: Encoding,
    framePingPong = false,
  ) {
    this.nativePing = framePingPong
      ? () => {
          ws.cork(() => {
            ws.ping();
          });
        }
      : undefined;
  }

  write(parts: readonly Frame[]): void {
    const frame = this.encoding.join(parts);
    const ws = this.ws;
    const binary = this.encoding.binary;
    ws.cork(() => {
      ws.send(frame, binary);
    });
  }

  writeFramed(data: Frame): void {
    this.write([data]);
  }

  bufferedAmount(): number {
    return this.ws.getBufferedAmount();
  }

  close(d: DisconnectReason): void {
    try {
      this.ws.end(d.code, closeReason(d.reason));
    } catch {
      // Already closed by uWS.
    }
  }

  subscribe(topic: string): void {
    this.ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.ws.unsubscribe(topic);
  }
}

/** A close frame's reason must fit in 123 bytes of UTF-8; cut on a character boundary. */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let out = '';
  for (const ch of reason) {
    if (Buffer.byteLength(out + ch) > 123) break;
    out += ch;
  }
  return out;
}

export interface UpgradeGate {
  /** Whether a new connection may be accepted now (connection_limit, connection_rate_limit, draining). */
  admit(): 'ok' | 'limit' | 'draining';
}

/**
 * connection_limit (open sockets on this node) and connection_rate_limit (new connections per
 * second, a token bucket): over either, the upgrade answers 503.
 */
export class ConnectionGate implements UpgradeGate {
  draining = false;
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly open: () => number,
    private readonly limit: number,
    private readonly ratePerSecond: number,
  ) {
    this.tokens = ratePerSecond;
  }

  admit(): 'ok' | 'limit' | 'draining' {
    if (this.draining) return 'draining';
    if (this.limit > 0 && this.open() >= this.limit) return 'limit';
    if (this.ratePerSecond > 0) {
      const now = Date.now();
      this.tokens = Math.min(this.ratePerSecond, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens < 1) return 'limit';
      this.tokens -= 1;
    }
    return 'ok';
  }
}

/** uWS refuses frames above this itself (1006); ours (1009) must fire first. */
function transportPayloadLimit(messageSizeLimit: number): number {
  return Math.max(messageSizeLimit * 2, messageSizeLimit + (1 << 20));
}

export function mountWebsocket(app: TemplatedApp, ctx: EdgeContext, gate: UpgradeGate): void {
  const cfg = ctx.config.websocket;
  if (cfg.disabled) return;
  const originAllowed = originChecker(ctx.config.client.allowed_origins);
  const hardBackpressure = Math.max(ctx.settings.queueMaxSize * 2, 64 * 1024);

  app.ws<WsData>(cfg.handler_prefix, {
    maxPayloadLength: transportPayloadLimit(ctx.settings.messageSizeLimit),
    maxBackpressure: hardBackpressure,
    closeOnBackpressureLimit: 1,
    // Liveness is the application ping/pong (§2.6); uWS must not close idle sockets on its own.
    idleTimeout: 0,
    sendPingsAutomatically: false,
    compression: cfg.compression ? uWS.SHARED_COMPRESSOR : uWS.DISABLED,

    upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
      // Copy everything out of req now: it is gone after this synchronous section.
      const key = req.getHeader('sec-websocket-key');
      const protocols = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const origin = req.getHeader('origin');
      const query = req.getQuery() ?? '';
      const headers: Record<string, string> = {};
      req.forEach((k, v) => {
        headers[k] = v;
      });
      if (!originAllowed(origin)) {
        ctx.logger.debug({ origin }, 'websocket upgrade from a disallowed origin');
        res.writeStatus('403 Forbidden').end('Forbidden\n');
        return;
      }
      const admitted = gate.admit();
      if (admitted !== 'ok') {
        if (admitted === 'limit') ctx.metrics.connectionLimitHit();
        res.writeStatus('503 Service Unavailable').end('Service Unavailable\n');
        return;
      }
      const { encoding, subprotocol } = selectEncoding(protocols, query);
      const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
      const framePingPong = new URLSearchParams(query).get('cf_ws_frame_ping_pong') === 'true';
      res.upgrade<WsData>({ encoding, client: null, headers, remoteAddress, framePingPong }, key, subprotocol, extensions, context);
    },

    open: (ws) => {
      const data = ws.getUserData();
      const client = new Client(ctx, new WsTransport(ws, data.encoding, data.framePingPong === true), data.headers);
      data.client = client;
      client.opened(Date.now());
    },

    message: (ws, message) => {
      ws.getUserData().client?.onMessage(message);
    },

    close: (ws, code) => {
      ws.getUserData().client?.onClose(code);
    },

    pong: (ws) => {
      ws.getUserData().client?.onNativePong();
    },
  });
}
