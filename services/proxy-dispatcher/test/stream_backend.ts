/**
 * A grpc-js CentrifugoProxy server implementing only the subscribe stream methods
 * (SubscribeUnidirectional / SubscribeBidirectional), loaded from proto/ with @grpc/proto-loader.
 * `onOpen` decides per stream what the backend does; every stream is recorded.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROXY_PROTO } from './helpers.js';

export type Msg = Record<string, unknown>;

export interface BackendStream {
  readonly method: 'SubscribeUnidirectional' | 'SubscribeBidirectional';
  /** The SubscribeRequest (keepCase, bytes as Buffer). */
  readonly request: Msg;
  readonly metadata: Record<string, unknown>;
  /** Publications the client sent into a bidirectional stream. */
  readonly received: Msg[];
  cancelled: boolean;
  write(msg: Msg): void;
  end(): void;
  fail(code: grpc.status, details: string): void;
}

export interface StreamBackend {
  readonly endpoint: string;
  readonly streams: BackendStream[];
  onOpen: (s: BackendStream) => void;
  close(): Promise<void>;
}

const loaderOptions: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, bytes: Buffer };

export async function startStreamBackend(onOpen: (s: BackendStream) => void = (s) => s.write({ subscribe_response: { result: {} } })): Promise<StreamBackend> {
  const def = protoLoader.loadSync(PROXY_PROTO, loaderOptions);
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    centrifugal: { centrifugo: { proxy: { CentrifugoProxy: { service: grpc.ServiceDefinition } } } };
  };
  const service = pkg.centrifugal.centrifugo.proxy.CentrifugoProxy.service;
  const backend: StreamBackend = { endpoint: '', streams: [], onOpen, close: async () => {} };
  const impl: grpc.UntypedServiceImplementation = {
    SubscribeUnidirectional: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      const s: BackendStream = {
        method: 'SubscribeUnidirectional',
        request: call.request,
        metadata: call.metadata.getMap(),
        received: [],
        cancelled: false,
        write: (m) => call.write(m),
        end: () => call.end(),
        fail: (code, details) => call.emit('error', { code, details }),
      };
      call.on('cancelled', () => (s.cancelled = true));
      backend.streams.push(s);
      backend.onOpen(s);
    },
    SubscribeBidirectional: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      let s: BackendStream | undefined;
      call.on('cancelled', () => {
        if (s) s.cancelled = true;
      });
      call.on('data', (m: Msg) => {
        if (!s) {
          s = {
            method: 'SubscribeBidirectional',
            request: (m['subscribe_request'] ?? {}) as Msg,
            metadata: call.metadata.getMap(),
            received: [],
            cancelled: false,
            write: (x) => call.write(x),
            end: () => call.end(),
            fail: (code, details) => call.emit('error', { code, details }),
          };
          backend.streams.push(s);
          backend.onOpen(s);
          return;
        }
        if (m['publication']) s.received.push(m['publication'] as Msg);
      });
      call.on('error', () => {});
    },
  };
  const server = new grpc.Server();
  server.addService(service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  (backend as { endpoint: string }).endpoint = `grpc://127.0.0.1:${port}`;
  backend.close = () =>
    new Promise<void>((resolve) => {
      server.forceShutdown();
      resolve();
    });
  return backend;
}
