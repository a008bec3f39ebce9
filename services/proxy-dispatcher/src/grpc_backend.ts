/**
 * GRPC backends: unary calls of service centrifugal.centrifugo.proxy.CentrifugoProxy over one
 * @grpc/grpc-js channel per target + TLS + compression, shared by every proxy pointing there.
 *
 * Messages are the protobuf-es types of @gyre/protocol serialized with toBinary / fromBinary
 * (custom serialize/deserialize on a generic grpc.Client), so the wire format is exactly
 * proxy.proto's. Like Centrifugo's GRPC proxy:
 * - insecure channel unless `grpc.tls.enabled`;
 * - `credentials_key` / `credentials_value` sent as metadata on every call (Go's per-RPC
 *   credentials, which Centrifugo allows without transport security);
 * - `compression`: gzip for every request (grpc-js `grpc.default_compression_algorithm`);
 * - the deadline is the proxy timeout (or the edge's earlier deadline);
 * - a GRPC status error is a failure carrying the status code; DEADLINE_EXCEEDED is a timeout.
 * The backend's response (result, error, disconnect, even several at once) is passed on as is.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { proxy as pp } from '@gyre/protocol';
import type { ProxyConfig } from '@gyre/config';
import { type Backend, type CallOutcome, type CallParams, errorMessage, fail, ok } from './backend.js';
import { grpcRequestMetadata, isValidGrpcMetadata } from './headers.js';
import type { LoadedTls } from './tls.js';

const GZIP = 2; // grpc-js CompressionAlgorithms.gzip

/** Channels by target + TLS + compression; closed together when the service stops. */
export class GrpcChannels {
  private readonly clients = new Map<string, grpc.Client>();

  get(target: string, tls: LoadedTls | undefined, compression: boolean): grpc.Client {
    const key = `${target}|${compression}|${tls ? JSON.stringify({ ...tls, ca: tls.ca?.toString('base64'), cert: tls.cert?.toString('base64'), key: tls.key?.toString('base64') }) : ''}`;
    let client = this.clients.get(key);
    if (!client) {
      const options: grpc.ChannelOptions = {};
      if (compression) options['grpc.default_compression_algorithm'] = GZIP;
      let creds: grpc.ChannelCredentials;
      if (tls) {
        creds = grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, {
          rejectUnauthorized: tls.rejectUnauthorized,
          ...(tls.rejectUnauthorized ? {} : { checkServerIdentity: () => undefined }),
        });
        if (tls.servername) {
          options['grpc.ssl_target_name_override'] = tls.servername;
          options['grpc.default_authority'] = tls.servername;
        }
      } else {
        creds = grpc.credentials.createInsecure();
      }
      client = new grpc.Client(target, creds, options);
      this.clients.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    this.clients.clear();
  }
}

export interface GrpcBackendOptions {
  readonly client: grpc.Client;
  readonly proxy: ProxyConfig;
}

/** An open subscribe stream: the grpc-js call and a writer of encoded StreamSubscribeRequest (bidi only). */
export interface GrpcStream {
  readonly call: grpc.ClientReadableStream<Buffer>;
  /** Writes one encoded StreamSubscribeRequest; false for a unidirectional stream. */
  send(bytes: Uint8Array): boolean;
}

const SUBSCRIBE_UNI = `/${pp.CentrifugoProxy.typeName}/${pp.CentrifugoProxy.method.subscribeUnidirectional.name}`;
const SUBSCRIBE_BIDI = `/${pp.CentrifugoProxy.typeName}/${pp.CentrifugoProxy.method.subscribeBidirectional.name}`;

const serialize = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const deserialize = (b: Buffer): Buffer => b;

export class GrpcBackend implements Backend {
  readonly protocol = 'grpc' as const;

  constructor(private readonly opts: GrpcBackendOptions) {}

  /** Call metadata: static metadata, forwarded headers, credentials. May throw on bad values. */
  private metadata(headers: Readonly<Record<string, string>>): grpc.Metadata {
    const md = new grpc.Metadata();
    for (const [k, v] of grpcRequestMetadata(this.opts.proxy.grpc.static_metadata, headers)) {
      md.set(k, k.endsWith('-bin') ? Buffer.from(v) : v);
    }
    const { credentials_key: ck, credentials_value: cv } = this.opts.proxy.grpc;
    if (ck !== '' && isValidGrpcMetadata(ck, cv)) md.add(ck.toLowerCase(), ck.toLowerCase().endsWith('-bin') ? Buffer.from(cv) : cv);
    return md;
  }

  /**
   * Opens a subscribe stream (EXPERIMENTAL in Centrifugo): SubscribeUnidirectional with the
   * encoded SubscribeRequest, or SubscribeBidirectional whose first written message is
   * StreamSubscribeRequest{subscribe_request}. Messages arrive as raw encoded
   * StreamSubscribeResponse buffers. No deadline: the caller times the first message. Throws when
   * the call cannot be made.
   */
  openStream(bidirectional: boolean, subscribeRequest: Uint8Array, headers: Readonly<Record<string, string>>): GrpcStream {
    const md = this.metadata(headers);
    if (!bidirectional) {
      const call = this.opts.client.makeServerStreamRequest<Uint8Array, Buffer>(SUBSCRIBE_UNI, serialize, deserialize, subscribeRequest, md, {});
      return { call, send: () => false };
    }
    const call = this.opts.client.makeBidiStreamRequest<Uint8Array, Buffer>(SUBSCRIBE_BIDI, serialize, deserialize, md, {});
    call.write(toBinary(pp.StreamSubscribeRequestSchema, create(pp.StreamSubscribeRequestSchema, { subscribeRequest: fromBinary(pp.SubscribeRequestSchema, subscribeRequest) })));
    return {
      call,
      send: (bytes) => {
        call.write(bytes);
        return true;
      },
    };
  }

  call(p: CallParams): Promise<CallOutcome> {
    return new Promise<CallOutcome>((resolve) => {
      let reqBytes: Uint8Array;
      let md: grpc.Metadata;
      try {
        reqBytes = toBinary(p.spec.request, p.request);
        md = this.metadata(p.headers);
      } catch (err) {
        resolve(fail({ message: `preparing GRPC request: ${errorMessage(err)}` }));
        return;
      }
      if (p.deadline <= Date.now()) {
        resolve(fail({ message: 'deadline exceeded before the request was sent', timeout: true }));
        return;
      }
      let call: grpc.ClientUnaryCall | undefined;
      const onStop = () => call?.cancel();
      try {
        call = this.opts.client.makeUnaryRequest<Uint8Array, Buffer>(
          p.spec.grpcPath,
          serialize,
          deserialize,
          reqBytes,
          md,
          { deadline: new Date(p.deadline) },
          (err, value) => {
            p.signal.removeEventListener('abort', onStop);
            if (err) {
              const code = err.code ?? grpc.status.UNKNOWN;
              if (code === grpc.status.CANCELLED && p.signal.aborted) {
                resolve(fail({ message: 'proxy-dispatcher is stopping', grpcCode: code }));
                return;
              }
              resolve(
                fail({
                  message: `GRPC ${grpc.status[code] ?? code}: ${err.details || err.message}`,
                  grpcCode: code,
                  ...(code === grpc.status.DEADLINE_EXCEEDED ? { timeout: true } : {}),
                }),
              );
              return;
            }
            try {
              resolve(ok(fromBinary(p.spec.response, value ?? new Uint8Array(0))));
            } catch (e) {
              resolve(fail({ message: `decoding GRPC response: ${errorMessage(e)}` }));
            }
          },
        );
        p.signal.addEventListener('abort', onStop, { once: true });
      } catch (err) {
        resolve(fail({ message: `GRPC call error: ${errorMessage(err)}` }));
      }
    });
  }
}
