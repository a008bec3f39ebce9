/**
 * Unidirectional GRPC, `centrifugal.centrifugo.unistream.CentrifugoUniStream/Consume` on its own
 * listener `uni_grpc.address`:`uni_grpc.port` (11000), when `uni_grpc.enabled` (client-protocol.md
 * §8), with @grpc/grpc-js.
 *
 * The request is one ConnectRequest (the unistream copy has the client protocol's field
 * numbers); the response is a stream of bare Push messages, each one GRPC message: `connect`
 * first (with `session`), publications and the rest, the empty Push as ping, a `disconnect` push
 * before the stream ends with status OK. Messages are encoded once (the hub's uni protobuf slot;
 * LocalTopics hands the same bytes to every stream) and written unchanged: the (de)serializers
 * are identities.
 *
 * - A request that is not a ConnectRequest → status INTERNAL "grpc: error unmarshalling
 *   request", what grpc-go (Centrifugo) answers.
 * - The client cancelling or the connection dropping closes the connection (Client.onClose).
 * - Backpressure: bytes written and not yet taken by grpc-js's HTTP/2 stream count as buffered;
 *   past `client.queue_max_size` → 3008 and the stream is cancelled.
 * - connection_limit does not cover this listener (as in Centrifugo); draining refuses new
 *   streams with UNAVAILABLE.
 * - `uni_grpc.max_receive_message_size` bounds the request (0: GRPC's 4 MiB); `uni_grpc.tls` as
 *   for the GRPC API (cert_pem / key_pem, client_ca_pem for mTLS).
 * - Keepalive as Centrifugo: a ping every 25 s, 5 s to answer.
 */
import * as grpc from '@grpc/grpc-js';
import { readPem, type TlsConfig } from '@gyre/config';
import { Disconnect, create, decodeConnectRequestProtobuf, messages, protocol, unistream, type DisconnectReason, type protocol as P } from '@gyre/protocol';
import { Client } from './client.js';
import type { EdgeContext } from './context.js';
import type { Frame } from './frames.js';
import { uniProtobufEncoding } from './frames_uni.js';
import type { Framing, Transport } from './transport.js';
import { uniConnectCommand } from './transport_uni_http_stream.js';

const uniGrpcFraming: Framing = { name: 'uni_grpc', frame: (part) => part };

type Stream = grpc.ServerWritableStream<Buffer, Buffer>;

const asBuffer = (f: Frame): Buffer => {
  const u = f as Uint8Array;
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
};

export class UniGrpcTransport implements Transport {
  readonly name = 'uni_grpc';
  readonly unidirectional = true;
  readonly emulation = false;
  readonly encoding = uniProtobufEncoding;
  readonly framing = uniGrpcFraming;
  readonly topics = null;
  private client: Client | null = null;
  private pending = 0;
  private done = false;

  constructor(private readonly call: Stream) {
    const gone = (): void => {
      if (this.done) return;
      this.done = true;
      this.client?.onClose(1006);
    };
    call.on('cancelled', gone);
    call.on('close', gone);
    call.on('error', gone);
  }

  attach(client: Client): void {
    this.client = client;
  }

  write(parts: readonly Frame[]): void {
    for (const p of parts) this.writeFramed(p);
  }

  writeFramed(data: Frame): void {
    if (this.done) return;
    const n = (data as Uint8Array).byteLength;
    this.pending += n;
    this.call.write(asBuffer(data), () => {
      this.pending -= n;
    });
  }

  bufferedAmount(): number {
    return this.done ? 0 : this.pending;
  }

  close(d: DisconnectReason): void {
    if (this.done) return;
    this.done = true;
    if (d.code === Disconnect.Slow.code) {
      this.call.destroy();
      return;
    }
    if (d.code >= 3000) {
      const push = messages.newPush();
      push.disconnect = create(protocol.DisconnectSchema, { code: d.code, reason: d.reason });
      this.call.write(asBuffer(uniProtobufEncoding.encodeReply(Object.assign(messages.newReply(), { push }))));
    }
    this.call.end();
  }
}

function credentials(tls: TlsConfig): grpc.ServerCredentials {
  if (!tls.enabled) return grpc.ServerCredentials.createInsecure();
  const cert = readPem(tls.cert_pem, 'uni_grpc.tls.cert_pem');
  const key = readPem(tls.key_pem, 'uni_grpc.tls.key_pem');
  if (!cert || !key) throw new Error('uni_grpc.tls needs cert_pem and key_pem');
  const clientCa = readPem(tls.client_ca_pem, 'uni_grpc.tls.client_ca_pem');
  return grpc.ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
}

const identity = (b: Buffer): Buffer => b;

export interface UniGrpcHandle {
  readonly port: number;
  stop(deadline: number): Promise<void>;
}

/** Starts the listener; `isDraining` refuses new streams while the edge shuts down. */
export async function startUniGrpc(ctx: EdgeContext, isDraining: () => boolean): Promise<UniGrpcHandle | null> {
  const cfg = ctx.config.uni_grpc;
  if (!cfg.enabled) return null;
  const options: grpc.ServerOptions = { 'grpc.keepalive_time_ms': 25_000, 'grpc.keepalive_timeout_ms': 5_000 };
  if (cfg.max_receive_message_size > 0) options['grpc.max_receive_message_length'] = cfg.max_receive_message_size;
  const server = new grpc.Server(options);
  const definition: grpc.ServiceDefinition = {
    Consume: {
      path: `/${unistream.CentrifugoUniStream.typeName}/Consume`,
      requestStream: false,
      responseStream: true,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
  server.addService(definition, {
    Consume: (call: Stream) => {
      if (isDraining()) {
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'shutting down' });
        return;
      }
      let connect: P.ConnectRequest;
      try {
        connect = decodeConnectRequestProtobuf(new Uint8Array(call.request));
      } catch (err) {
        ctx.logger.debug({ err }, 'uni_grpc: malformed ConnectRequest');
        call.emit('error', { code: grpc.status.INTERNAL, details: 'grpc: error unmarshalling request' });
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = typeof v === 'string' ? v : v.toString('base64');
      const transport = new UniGrpcTransport(call);
      const client = new Client(ctx, transport, headers);
      transport.attach(client);
      client.opened(Date.now());
      client.onCommands([uniConnectCommand(connect)]);
    },
  });

  const host = cfg.address || '0.0.0.0';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${cfg.port}`, credentials(cfg.tls), (err, bound) => {
      if (err) reject(new Error(`uni_grpc cannot listen on ${host}:${cfg.port}: ${err.message}`));
      else resolve(bound);
    });
  });
  ctx.logger.info({ address: host, port, tls: cfg.tls.enabled }, 'uni_grpc listening');
  return {
    port,
    async stop(deadline: number) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, Math.max(0, deadline - Date.now()));
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
