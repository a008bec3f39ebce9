/**
 * Real peers for the dispatcher tests: node:http backends, a grpc-js CentrifugoProxy server
 * loaded from proto/ with @grpc/proto-loader (an implementation independent of the protobuf-es
 * code the dispatcher uses), a config built through @gyre/config, and a dispatcher on a bus.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createBus, type Bus } from '@gyre/bus';
import { parseConfigText, type GyreConfig } from '@gyre/config';
import { createMetrics, silentLogger, type Metrics, type ServiceHandle } from '@gyre/observability';
import { REPO_ROOT } from '@gyre/testing';
import { startProxyDispatcher, type ProxyDispatcherDeps } from '../src/index.js';

// ---- config --------------------------------------------------------------------------------

export function makeConfig(raw: Record<string, unknown>): GyreConfig {
  return parseConfigText(JSON.stringify(raw), 'config.json').config;
}

// ---- HTTP backend --------------------------------------------------------------------------

export interface SeenHttpRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

export type HttpHandler = (req: SeenHttpRequest, res: ServerResponse) => void | Promise<void>;

export interface HttpBackend {
  url: string;
  requests: SeenHttpRequest[];
  handler: HttpHandler;
  /** Distinct client sockets seen (keep-alive check). */
  sockets: number;
  close(): Promise<void>;
}

/** A node:http backend on a free port; `handler` may be swapped per test. */
export async function startHttpBackend(handler: HttpHandler = json200({ result: {} })): Promise<HttpBackend> {
  const backend: HttpBackend = {
    url: '',
    requests: [],
    handler,
    sockets: 0,
    close: async () => {},
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenHttpRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      backend.requests.push(seen);
      Promise.resolve(backend.handler(seen, res)).catch((err: unknown) => {
        res.statusCode = 599;
        res.end(String(err));
      });
    });
  });
  server.on('connection', () => backend.sockets++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  backend.url = `http://127.0.0.1:${port}`;
  backend.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return backend;
}

export function json200(body: unknown): HttpHandler {
  return (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

// ---- GRPC backend --------------------------------------------------------------------------

export const PROXY_PROTO = join(REPO_ROOT, 'proto/centrifugal/centrifugo/proxy/proxy.proto');

export interface SeenGrpcCall {
  method: string;
  request: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** Returned by a GRPC handler to answer with a status error instead of a message. */
export class GrpcStatusAnswer {
  constructor(readonly code: grpc.status, readonly details: string) {}
}

export type GrpcHandler = (
  method: string,
  request: Record<string, unknown>,
  metadata: grpc.Metadata,
) => Record<string, unknown> | GrpcStatusAnswer | Promise<Record<string, unknown> | GrpcStatusAnswer>;

export interface GrpcBackend {
  endpoint: string;
  port: number;
  calls: SeenGrpcCall[];
  handler: GrpcHandler;
  close(): Promise<void>;
}

const loaderOptions: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, bytes: Buffer };

/** A grpc-js server implementing centrifugal.centrifugo.proxy.CentrifugoProxy from proto/. */
export async function startGrpcBackend(handler: GrpcHandler = () => ({ result: {} }), serverCreds?: grpc.ServerCredentials): Promise<GrpcBackend> {
  const def = protoLoader.loadSync(PROXY_PROTO, loaderOptions);
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    centrifugal: { centrifugo: { proxy: { CentrifugoProxy: { service: grpc.ServiceDefinition } } } };
  };
  const service = pkg.centrifugal.centrifugo.proxy.CentrifugoProxy.service;
  const backend: GrpcBackend = { endpoint: '', port: 0, calls: [], handler, close: async () => {} };
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service)) {
    if (method.requestStream || method.responseStream) continue;
    impl[name] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      backend.calls.push({ method: name, request: call.request, metadata: call.metadata.getMap() });
      Promise.resolve()
        .then(() => backend.handler(name, call.request, call.metadata))
        .then(
        (out) => {
          if (out instanceof GrpcStatusAnswer) cb({ code: out.code, details: out.details } as grpc.ServiceError);
          else cb(null, out);
        },
        (err: unknown) => cb({ code: grpc.status.INTERNAL, details: String(err) } as grpc.ServiceError),
      );
    };
  }
  const server = new grpc.Server();
  server.addService(service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCreds ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  backend.port = port;
  backend.endpoint = `grpc://127.0.0.1:${port}`;
  backend.close = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return backend;
}

export const grpcStatus = (code: grpc.status, details: string): GrpcStatusAnswer => new GrpcStatusAnswer(code, details);

// ---- dispatcher ----------------------------------------------------------------------------

export interface Harness {
  bus: Bus;
  metrics: Metrics;
  handle: ServiceHandle;
  prefix: string;
  stop(): Promise<void>;
}

export async function startDispatcher(config: GyreConfig, extra: Partial<ProxyDispatcherDeps> = {}, bus?: Bus): Promise<Harness> {
  const ownBus = bus === undefined;
  const b = bus ?? (await createBus({ type: 'memory' }));
  const metrics = createMetrics({ version: 'test', defaultMetrics: false });
  const handle = await startProxyDispatcher({ config, bus: b, logger: silentLogger(), metrics, ...extra });
  return {
    bus: b,
    metrics,
    handle,
    prefix: config.gyre.bus.subject_prefix,
    async stop() {
      await handle.stop(Date.now() + 2000);
      if (ownBus) await b.close();
    },
  };
}

/** Value of one labelled series of a counter / gauge / histogram count. */
export async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>, suffix = ''): Promise<number> {
  const all = await metrics.registry.getMetricsAsJSON();
  const m = all.find((x) => x.name === name);
  if (!m) return 0;
  const want = `${name}${suffix}`;
  for (const v of m.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>) {
    if ((v.metricName ?? name) !== want) continue;
    if (Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val)) return v.value;
  }
  return 0;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
