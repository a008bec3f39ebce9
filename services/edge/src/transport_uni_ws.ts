/*
 * Unidirectional WebSocket, `uni_websocket.handler_prefix` (default /connection/uni_websocket),
 * when `uni_websocket.enabled` (client-protocol.md §8, server.md §5.4).
 *
 * The client sends one ConnectRequest as JSON: `?cf_connect=<json>` in the URL, or else its first
 * message; later messages are read and dropped. The server sends bare Pushes as text frames:
 * `connect` first (with `session`), publications, join/leave, server-side subscribe/unsubscribe,
 * `{}` pings, and native WebSocket pings (uWS, `UNI_WS_IDLE_TIMEOUT_S`). One Push per frame, or
 * with `uni_websocket.join_push_messages` the Pushes written together newline-joined in one
 * frame. Publications come from uWS topics (the hub's uni JSON slot), as for bidirectional
 * WebSocket members.
 *
 * Close: a `disconnect` push (unless `disable_disconnect_push`), then a close frame with the code
 * and reason (unless `disable_closing_handshake`, then the socket is just closed). A
 * ConnectRequest that does not parse → 3501; a first message over
 * `uni_websocket.message_size_limit` → 1009; a disallowed Origin → 403 at the upgrade; limits →
 * 503. The uWS rules of transport_ws.ts hold here as well.
 */
import uWS, { type HttpRequest, type HttpResponse, type TemplatedApp, type WebSocket, type us_socket_context_t } from 'uWebSockets.js';
import { Disconnect, WsCloseCode, create, messages, protocol, type DisconnectReason } from '@gyre/protocol';
import { Client } from './client.js';
import type { EdgeContext } from './context.js';
import type { Frame } from './frames.js';
import { uniJsonEncoding } from './frames_uni.js';
import { originChecker } from '@gyre/config';
import type { Framing, NativeTopics, Transport } from './transport.js';
import { parseUniConnect, uniConnectCommand } from './transport_uni_http_stream.js';
import { closeReason, type UpgradeGate } from './transport_ws.js';

interface UniWsData {
  client: Client | null;
  /** The ConnectRequest was read (from cf_connect or the first message). */
  started: boolean;
  cfConnect: string | null;
  headers: Record<string, string>;
}

/** uWS idle timeout (seconds, resolution 4) within which a ping must be answered. */
export const UNI_WS_IDLE_TIMEOUT_S = 32;

const uniWsFraming: Framing = { name: 'uni_websocket', frame: (part) => part };

export interface UniWsOptions {
  joinPushMessages: boolean;
  disconnectPush: boolean;
  closingHandshake: boolean;
}

export class UniWsTransport implements Transport, NativeTopics {
  readonly name = 'uni_websocket';
  readonly unidirectional = true;
  readonly emulation = false;
  readonly encoding = uniJsonEncoding;
  readonly framing = uniWsFraming;
  readonly topics: NativeTopics = this;

  constructor(
    private readonly ws: WebSocket<UniWsData>,
    private readonly opts: UniWsOptions,
  ) {}

  write(parts: readonly Frame[]): void {
    const ws = this.ws;
    ws.cork(() => {
      if (this.opts.joinPushMessages || parts.length === 1) ws.send(uniJsonEncoding.join(parts), false);
      else for (const p of parts) ws.send(p, false);
    });
  }

  writeFramed(data: Frame): void {
    this.write([data]);
  }

  bufferedAmount(): number {
    return this.ws.getBufferedAmount();
  }

  close(d: DisconnectReason): void {
    const ws = this.ws;
    try {
      ws.cork(() => {
        if (this.opts.disconnectPush && d.code >= 3000 && d.code !== Disconnect.Slow.code) {
          const push = messages.newPush();
          push.disconnect = create(protocol.DisconnectSchema, { code: d.code, reason: d.reason });
          ws.send(uniJsonEncoding.encodeReply(Object.assign(messages.newReply(), { push })), false);
        }
        if (this.opts.closingHandshake) ws.end(d.code, closeReason(d.reason));
        else ws.close();
      });
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

export function mountUniWebsocket(app: TemplatedApp, ctx: EdgeContext, gate: UpgradeGate): void {
  const cfg = ctx.config.uni_websocket;
  if (!cfg.enabled) return;
  const originAllowed = originChecker(ctx.config.client.allowed_origins);
  const limit = cfg.message_size_limit;
  const opts: UniWsOptions = {
    joinPushMessages: cfg.join_push_messages,
    disconnectPush: !cfg.disable_disconnect_push,
    closingHandshake: !cfg.disable_closing_handshake,
  };
  const tooBig: DisconnectReason = { code: WsCloseCode.MessageTooBig, reason: '' };

  const start = (client: Client, json: string | ArrayBuffer): void => {
    const connect = parseUniConnect(typeof json === 'string' ? json : new Uint8Array(json));
    if (!connect) {
      client.disconnect(Disconnect.BadRequest);
      return;
    }
    client.onCommands([uniConnectCommand(connect)]);
  };

  app.ws<UniWsData>(cfg.handler_prefix, {
    // Our own limit (1009) must fire before uWS's (which closes with 1006).
    maxPayloadLength: Math.max(limit * 2, limit + (1 << 20)),
    maxBackpressure: Math.max(ctx.settings.queueMaxSize * 2, 64 * 1024),
    closeOnBackpressureLimit: 1,
    // Native WebSocket pings as Centrifugo sends them to uni clients (which never write): a peer
    // that stops answering them is closed by uWS, the application `{}` pings aside.
    idleTimeout: UNI_WS_IDLE_TIMEOUT_S,
    sendPingsAutomatically: true,
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
        res.writeStatus('403 Forbidden').end('Forbidden\n');
        return;
      }
      const admitted = gate.admit();
      if (admitted !== 'ok') {
        if (admitted === 'limit') ctx.metrics.connectionLimitHit();
        res.writeStatus('503 Service Unavailable').end('Service Unavailable\n');
        return;
      }
      const cfConnect = query === '' ? null : new URLSearchParams(query).get('cf_connect');
      // Offered subprotocols are answered with the first one (JSON is the only format here).
      const subprotocol = protocols.split(',')[0]?.trim() ?? '';
      res.upgrade<UniWsData>({ client: null, started: false, cfConnect, headers }, key, subprotocol, extensions, context);
    },

    open: (ws) => {
      const data = ws.getUserData();
      const client = new Client(ctx, new UniWsTransport(ws, opts), data.headers);
      data.client = client;
      client.opened(Date.now());
      if (data.cfConnect !== null) {
        data.started = true;
        start(client, data.cfConnect);
      }
    },

    message: (ws, message) => {
      const data = ws.getUserData();
      const client = data.client;
      if (!client || data.started) return;
      data.started = true;
      if (message.byteLength > limit) {
        client.disconnect(tooBig);
        return;
      }
      start(client, message);
    },

    close: (ws, code) => {
      ws.getUserData().client?.onClose(code);
    },
  });
}
