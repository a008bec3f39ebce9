/**
 * The bare uWebSockets.js server: the physical limit for a Node process doing what Gyre's edge does.
 * It speaks just enough of the client protocol for the load generator (connect with an HS256 JWT,
 * subscribe; JSON and protobuf) and of the server API (publish, broadcast, info), and fans a
 * publication out by encoding the push once per protocol and handing it to uWS topic publish.
 * No history storage (offsets are counted, nothing is kept), no pings, no presence, no metrics.
 *
 *   node --conditions=gyre-source --import tsx bench/baseline_uws.ts --port 8100 \
 *     --secret <hmac secret> --api-key <key>
 *
 * Prints `listening <port>` once it accepts connections.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import uWS from 'uWebSockets.js';
import {
  PublicationSchema,
  ReplySchema,
  create,
  decodeCommandsJson,
  decodeCommandsProtobuf,
  encodePublicationPushJson,
  encodePublicationPushProtobuf,
  encodeRepliesJson,
  encodeRepliesProtobuf,
  type Command,
  type Reply,
} from '@gyre/protocol';

interface Args {
  port: number;
  secret: string;
  apiKey: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, def: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
  };
  return { port: Number(get('port', '8100')), secret: get('secret', 'bench-secret'), apiKey: get('api-key', 'bench-api-key') };
}

interface Conn {
  pb: boolean;
  connected: boolean;
}

/** HS256 check and `sub` of a connection JWT; null when the signature or expiry is wrong. */
export function verifyHs256(token: string, secret: string, nowSec = Math.floor(Date.now() / 1000)): string | null {
  const dot2 = token.lastIndexOf('.');
  const dot1 = token.indexOf('.');
  if (dot1 <= 0 || dot2 <= dot1) return null;
  const mac = createHmac('sha256', secret).update(token.slice(0, dot2)).digest();
  const sig = Buffer.from(token.slice(dot2 + 1), 'base64url');
  if (sig.length !== mac.length || !timingSafeEqual(sig, mac)) return null;
  try {
    const claims = JSON.parse(Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString('utf8')) as { sub?: string; exp?: number };
    if (typeof claims.exp === 'number' && claims.exp < nowSec) return null;
    return claims.sub ?? '';
  } catch {
    return null;
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const app = uWS.App();
  const offsets = new Map<string, bigint>();
  const encoder = new TextEncoder();

  const reply = (ws: uWS.WebSocket<Conn>, replies: Reply[]): void => {
    const c = ws.getUserData();
    if (c.pb) ws.send(encodeRepliesProtobuf(replies), true);
    else ws.send(encodeRepliesJson(replies), false);
  };

  app.ws<Conn>('/connection/websocket', {
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 1024 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    upgrade: (res, req, context) => {
      const protocols = req.getHeader('sec-websocket-protocol');
      const pb = protocols.includes('centrifuge-protobuf') || req.getQuery('format') === 'protobuf';
      res.upgrade<Conn>(
        { pb, connected: false },
        req.getHeader('sec-websocket-key'),
        protocols.includes('centrifuge-protobuf') ? 'centrifuge-protobuf' : '',
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    message: (ws, message, isBinary) => {
      const c = ws.getUserData();
      let commands: Command[];
      try {
        commands = isBinary ? decodeCommandsProtobuf(new Uint8Array(message.slice(0))) : decodeCommandsJson(Buffer.from(message).toString('utf8'));
      } catch {
        ws.end(3501, 'bad request');
        return;
      }
      const out: Reply[] = [];
      for (const cmd of commands) {
        if (cmd.id === 0) continue; // pong
        if (cmd.connect) {
          const user = verifyHs256(cmd.connect.token, args.secret);
          if (user === null) {
            ws.end(3500, 'invalid token');
            return;
          }
          c.connected = true;
          out.push(create(ReplySchema, { id: cmd.id, connect: { client: randomUUID(), version: 'baseline' } }));
        } else if (cmd.subscribe && c.connected) {
          ws.subscribe((c.pb ? 'p:' : 'j:') + cmd.subscribe.channel);
          out.push(create(ReplySchema, { id: cmd.id, subscribe: {} }));
        } else {
          out.push(create(ReplySchema, { id: cmd.id, error: { code: 108, message: 'not available' } }));
        }
      }
      if (out.length) reply(ws, out);
    },
  });

  const publishOne = (channel: string, data: Uint8Array): void => {
    const offset = (offsets.get(channel) ?? 0n) + 1n;
    offsets.set(channel, offset);
    const pub = create(PublicationSchema, { data, offset });
    app.publish('j:' + channel, encodePublicationPushJson(channel, pub), false);
    app.publish('p:' + channel, encodePublicationPushProtobuf(channel, pub), true);
  };

  const api = (method: string, handle: (body: Record<string, unknown>) => string): void => {
    app.post('/api/' + method, (res, req) => {
      const key = req.getHeader('x-api-key');
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const parts: Buffer[] = [];
      res.onData((ab, last) => {
        parts.push(Buffer.from(ab.slice(0)));
        if (!last || aborted) return;
        let out: string;
        let status = '200 OK';
        if (key !== args.apiKey) {
          status = '401 Unauthorized';
          out = '';
        } else {
          try {
            out = handle(JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>);
          } catch (err) {
            out = JSON.stringify({ error: { code: 107, message: (err as Error).message } });
          }
        }
        res.cork(() => {
          res.writeStatus(status).writeHeader('content-type', 'application/json').end(out);
        });
      });
    });
  };

  api('publish', (b) => {
    publishOne(String(b['channel']), encoder.encode(JSON.stringify(b['data'])));
    return '{"result":{}}';
  });
  api('broadcast', (b) => {
    const data = encoder.encode(JSON.stringify(b['data']));
    for (const ch of b['channels'] as string[]) publishOne(ch, data);
    return '{"result":{"responses":[]}}';
  });
  api('info', () => '{"result":{"nodes":[]}}');

  app.listen('127.0.0.1', args.port, (ls) => {
    if (!ls) {
      console.error(`baseline_uws: cannot listen on ${args.port}`);
      process.exit(1);
    }
    console.log(`listening ${uWS.us_socket_local_port(ls)}`);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

if (process.argv[1] && /baseline_uws\.[tj]s$/.test(process.argv[1])) main();
