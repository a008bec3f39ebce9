/**
 * Shared pieces of the event-proxy tier (issue 5, seed 003): application backends a Centrifugo
 * user would write — a node:http server answering POSTs with JSON, and a grpc-js server
 * implementing centrifugal.centrifugo.proxy.CentrifugoProxy loaded from proto/ with
 * @grpc/proto-loader (independent of the protobuf-es code Gyre uses) — behind one interface, so
 * that one test runs against both; an in-process Gyre node (every service, the proxy-dispatcher
 * included); raw clients for what the SDK hides; the Prometheus text of the node.
 *
 * Backend answers are written once, in the JSON shape of the HTTP proxy (`{"result": {...}}`,
 * `data` / `info` / `meta` as JSON values). The GRPC backend turns those JSON values into bytes
 * (their JSON text) and the requests' bytes back into JSON values, so a handler and its
 * assertions do not care which protocol carried them.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { generateConnectToken, generateSubscriptionToken } from '@gyre/auth';
import { startGyreInProcess, type InProcessGyre } from '@gyre/gyre';
import { create, decodeRepliesProtobuf, encodeCommandsProtobuf, fromBinary, protocol, toBinary, unistream } from '@gyre/protocol';
import { REPO_ROOT, createCentrifuge, freePort, sleep, type CreateCentrifugeOptions } from '@gyre/testing';
import type { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';

export type Json = Record<string, unknown>;
export const SECRET = 'gyre-proxy-tier-secret';
export const API_KEY = 'gyre-proxy-tier-api-key';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Deep merge of plain objects (arrays and scalars of `b` win). */
export function merge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
  return out;
}

// ---- backends ------------------------------------------------------------------------------------

export type BackendKind = 'http' | 'grpc';
export const KINDS: readonly BackendKind[] = ['http', 'grpc'];

/** One proxy request as the backend saw it. */
export interface SeenCall {
  event: string;
  /** The request, JSON-shaped (GRPC bytes fields `data` / `meta` parsed as JSON when they are JSON). */
  body: Json;
  /** HTTP request headers, or the GRPC metadata (lower-case keys). */
  headers: Record<string, string>;
  /** URL path (HTTP) or method name (GRPC). */
  path: string;
}

/** How the backend answers one call. */
export interface Answer {
  /** JSON body (HTTP) / response message (GRPC). Default `{"result": {}}`. */
  body?: unknown;
  /** HTTP only: the body text as is (not JSON). */
  rawBody?: string;
  /** HTTP status (default 200). */
  status?: number;
  /** GRPC only: answer with this status code instead of a message. */
  grpcCode?: grpc.status;
  /** Wait this long first (timeouts). */
  delayMs?: number;
}

export type Handler = (call: SeenCall) => Answer | Promise<Answer>;

export const ok = (result: Json = {}): Answer => ({ body: { result } });

export interface Backend {
  readonly kind: BackendKind;
  readonly calls: SeenCall[];
  /** Answers per event (`connect`, `refresh`, `subscribe`, `publish`, `sub_refresh`, `rpc`); default ok(). */
  handlers: Record<string, Handler>;
  /** The proxy endpoint for an event: `http://…/<event>` or `grpc://host:port`. */
  endpoint(event: string): string;
  callsOf(event: string): SeenCall[];
  close(): Promise<void>;
}

async function answerFor(b: Backend, call: SeenCall): Promise<Answer> {
  b.calls.push(call);
  const h = b.handlers[call.event];
  const a = h ? await h(call) : ok();
  if (a.delayMs) await sleep(a.delayMs);
  return a;
}

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** A node:http backend on a free port: POST /<event> with a JSON body. */
export async function startHttpBackend(): Promise<Backend> {
  let url = '';
  const backend: Backend = {
    kind: 'http',
    calls: [],
    handlers: {},
    endpoint: (event) => `${url}/${event}`,
    callsOf: (event) => backend.calls.filter((c) => c.event === event),
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Json;
      try {
        body = JSON.parse(text) as Json;
      } catch {
        body = { $unparsed: text };
      }
      const path = req.url ?? '';
      const call: SeenCall = { event: path.slice(1).split('?')[0]!, body, headers: flatHeaders(req.headers), path };
      answerFor(backend, call).then(
        (a) => {
          if (res.destroyed) return;
          res.statusCode = a.status ?? 200;
          res.setHeader('Content-Type', 'application/json');
          res.end(a.rawBody ?? JSON.stringify(a.body ?? { result: {} }));
        },
        (err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  backend.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return backend;
}

const PROXY_PROTO = join(REPO_ROOT, 'proto/centrifugal/centrifugo/proxy/proxy.proto');
const LOADER: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, bytes: Buffer };
const GRPC_EVENTS: Record<string, string> = { Connect: 'connect', Refresh: 'refresh', Subscribe: 'subscribe', Publish: 'publish', SubRefresh: 'sub_refresh', RPC: 'rpc' };
/** bytes fields of requests and results that carry JSON in these tests. */
const BYTES_FIELDS = new Set(['data', 'info', 'meta']);

/** GRPC request → JSON shape: JSON bytes parsed, other bytes kept as Buffer. */
function requestToJson(req: Record<string, unknown>): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(req)) {
    if (Buffer.isBuffer(v) && BYTES_FIELDS.has(k)) {
      try {
        out[k] = JSON.parse(v.toString('utf8'));
      } catch {
        out[k] = v;
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** JSON-shaped answer → GRPC message: JSON values of bytes fields become their JSON text. */
function answerToGrpc(v: unknown, key = ''): unknown {
  if (BYTES_FIELDS.has(key) && !(v instanceof Uint8Array)) return Buffer.from(JSON.stringify(v));
  if (Array.isArray(v)) return v.map((x) => answerToGrpc(x));
  if (isObject(v)) {
    const out: Json = {};
    // `subs` is a map of SubscribeOptions: its keys are channels, not field names.
    for (const [k, x] of Object.entries(v)) out[k] = key === 'subs' ? answerToGrpc(x) : answerToGrpc(x, k);
    return out;
  }
  return v;
}

/** A grpc-js CentrifugoProxy server on a free port. */
export async function startGrpcBackend(): Promise<Backend> {
  const def = protoLoader.loadSync(PROXY_PROTO, LOADER);
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    centrifugal: { centrifugo: { proxy: { CentrifugoProxy: { service: grpc.ServiceDefinition } } } };
  };
  const service = pkg.centrifugal.centrifugo.proxy.CentrifugoProxy.service;
  let target = '';
  const backend: Backend = {
    kind: 'grpc',
    calls: [],
    handlers: {},
    endpoint: () => `grpc://${target}`,
    callsOf: (event) => backend.calls.filter((c) => c.event === event),
    close: async () => {},
  };
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service)) {
    if (method.requestStream || method.responseStream) continue;
    impl[name] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const md: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = typeof v === 'string' ? v : v.toString('base64');
      const seen: SeenCall = { event: GRPC_EVENTS[name] ?? name, body: requestToJson(call.request), headers: md, path: name };
      answerFor(backend, seen).then(
        (a) => {
          if (a.grpcCode !== undefined) cb({ code: a.grpcCode, details: 'backend says no' } as grpc.ServiceError);
          else cb(null, answerToGrpc(a.body ?? { result: {} }));
        },
        (err: unknown) => cb({ code: grpc.status.INTERNAL, details: String(err) } as grpc.ServiceError),
      );
    };
  }
  const server = new grpc.Server();
  server.addService(service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  target = `127.0.0.1:${port}`;
  backend.close = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return backend;
}

export function startBackend(kind: BackendKind): Promise<Backend> {
  return kind === 'http' ? startHttpBackend() : startGrpcBackend();
}

/** An endpoint nothing listens on (backend down). */
export async function deadEndpoint(kind: BackendKind, event: string): Promise<string> {
  const port = await freePort();
  return kind === 'http' ? `http://127.0.0.1:${port}/${event}` : `grpc://127.0.0.1:${port}`;
}

/** A proxy object for `event` on `backend`, with extra fields. */
export function proxyOf(backend: Backend, event: string, extra: Json = {}): Json {
  return { endpoint: backend.endpoint(event), timeout: '1s', ...extra };
}

// ---- node ----------------------------------------------------------------------------------------

/**
 * A node on free ports (every service in-process) with `config` over the tier's defaults. A port
 * from freePort may be taken by someone else before the node binds it: the start is retried with
 * fresh ports (a config function is called again for each attempt, for ports of its own).
 */
export async function startNode(config: Json | (() => Promise<Json>) = {}): Promise<InProcessGyre> {
  for (let attempt = 1; ; attempt++) {
    const base: Json = {
      http_server: { port: await freePort() },
      client: { token: { hmac_secret_key: SECRET }, ping_interval: '5s', pong_timeout: '2s' },
      http_api: { key: API_KEY },
      prometheus: { enabled: true },
    };
    const own = typeof config === 'function' ? await config() : config;
    try {
      return await startGyreInProcess(merge(base, own));
    } catch (err) {
      if (attempt >= 3 || !/cannot listen/.test(String(err))) throw err;
    }
  }
}

export function token(user: string, claims: Json = {}, ttlSeconds = 0): string {
  return generateConnectToken({ hmacSecretKey: SECRET, user, ttlSeconds, claims });
}

export function subToken(user: string, channel: string, claims: Json = {}, ttlSeconds = 0): string {
  return generateSubscriptionToken({ hmacSecretKey: SECRET, user, channel, ttlSeconds, claims });
}

/** Lets the tests wait less than a minute for refresh / sub_refresh retries. */
export function setRetryDelay(node: InProcessGyre, ms: number): void {
  node.edge!.context.settings.proxyRetryDelayMs = ms;
}

/**
 * Drops fetch's pooled keep-alive connections (servers keep idle ones open for seconds), so a
 * test file's process ends when its tests do. Register with `after(closeFetchPool)`.
 */
export async function closeFetchPool(): Promise<void> {
  const dispatcher = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as { destroy?: () => Promise<void> } | undefined;
  await dispatcher?.destroy?.();
}

/** The node's Prometheus text. */
export async function metricsText(node: InProcessGyre): Promise<string> {
  const res = await fetch(`${node.internalUrl}/metrics`);
  return res.text();
}

/** Value of one series in Prometheus text (0 when absent); labels must all match. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const got: Record<string, string> = {};
    for (const part of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) got[part[1]!] = part[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[2]);
  }
  return 0;
}

/** One server API call. */
export async function api(node: InProcessGyre, method: string, params: Json): Promise<Json> {
  const res = await fetch(`${node.internalUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
  });
  const body = JSON.parse(await res.text()) as Json;
  if (body['error']) throw new Error(`api ${method}: ${JSON.stringify(body['error'])}`);
  return body;
}

// ---- SDK -----------------------------------------------------------------------------------------

/** A `ws` WebSocket class that sends these headers with the upgrade (a browser's Cookie, say). */
export function websocketWithHeaders(headers: Record<string, string>): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols ?? [], { headers });
    }
  } as unknown as typeof WebSocket;
}

/** SDK clients closed together at the end of a file. */
export class Clients {
  private readonly all: Centrifuge[] = [];

  constructor(private readonly url: () => string) {}

  make(opts: CreateCentrifugeOptions = {}): Centrifuge {
    const c = createCentrifuge(this.url(), { minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 3000, ...opts });
    this.all.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.all.splice(0)) c.disconnect();
  }
}

/** Publication / RPC data as each SDK build wants it. */
export function payload(protocolName: 'json' | 'protobuf', value: unknown): unknown {
  return protocolName === 'json' ? value : new TextEncoder().encode(JSON.stringify(value));
}

/** Data as received, decoded to a JS value whatever the protocol. */
export function decoded(data: unknown): unknown {
  if (data instanceof Uint8Array) return JSON.parse(new TextDecoder().decode(data));
  return data;
}

// ---- raw clients ---------------------------------------------------------------------------------

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A raw bidirectional WebSocket (JSON or protobuf): every frame, nothing interpreted, pings
 * skipped. JSON frames are split into their lines.
 */
export class RawWs {
  private readonly items: Array<Json | protocol.Reply> = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<Closed>;
  isClosed = false;

  private constructor(
    readonly ws: WebSocket,
    readonly binary: boolean,
  ) {
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        for (const r of decodeRepliesProtobuf(new Uint8Array(buf))) if (!(r.id === 0 && r.push === undefined)) this.items.push(r);
      } else {
        for (const line of buf.toString('utf8').split('\n')) if (line !== '{}') this.items.push(JSON.parse(line) as Json);
      }
      this.wake();
    });
    ws.on('error', () => {});
  }

  static async open(url: string, opts: { headers?: Record<string, string>; protobuf?: boolean } = {}): Promise<RawWs> {
    const ws = new WebSocket(opts.protobuf ? `${url}?format=protobuf` : url, [], opts.headers ? { headers: opts.headers } : {});
    const c = new RawWs(ws, opts.protobuf === true);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  sendJson(...commands: Json[]): void {
    this.ws.send(commands.map((c) => JSON.stringify(c)).join('\n'));
  }

  sendProtobuf(...commands: Array<Parameters<typeof create<typeof protocol.CommandSchema>>[1]>): void {
    this.ws.send(encodeCommandsProtobuf(commands.map((c) => create(protocol.CommandSchema, c))));
  }

  private async nextItem(timeoutMs: number): Promise<Json | protocol.Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.items.shift();
      if (f !== undefined) return f;
      if (this.isClosed) throw new Error('socket closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no frame within timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next JSON reply or push (pings skipped). */
  async next(timeoutMs = 3000): Promise<Json> {
    return (await this.nextItem(timeoutMs)) as Json;
  }

  /** The next protobuf Reply (pings skipped). */
  async nextReply(timeoutMs = 3000): Promise<protocol.Reply> {
    return (await this.nextItem(timeoutMs)) as protocol.Reply;
  }

  close(): void {
    this.ws.close();
  }
}

/** A unidirectional WebSocket: JSON pushes, then the close. */
export class UniWs {
  private readonly pushes: Json[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<Closed>;
  isClosed = false;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('message', (data) => {
      for (const line of (data as Buffer).toString('utf8').split('\n')) if (line !== '{}') this.pushes.push(JSON.parse(line) as Json);
      this.wake();
    });
    ws.on('error', () => {});
  }

  static async open(url: string, connect: Json, headers?: Record<string, string>): Promise<UniWs> {
    const ws = new WebSocket(`${url}?cf_connect=${encodeURIComponent(JSON.stringify(connect))}`, [], headers ? { headers } : {});
    const c = new UniWs(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async next(timeoutMs = 3000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.pushes.shift();
      if (f !== undefined) return f;
      if (this.isClosed) throw new Error('socket closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no push within timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

const UNI_CONSUME = `/${unistream.CentrifugoUniStream.typeName}/Consume`;

/** A uni_grpc stream: every Push until the stream ends. */
export async function uniGrpcPushes(
  port: number,
  connect: Parameters<typeof create<typeof unistream.ConnectRequestSchema>>[1],
  metadata: Record<string, string>,
  count: number,
): Promise<protocol.Push[]> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  const id = (b: Buffer): Buffer => b;
  const req = Buffer.from(toBinary(unistream.ConnectRequestSchema, create(unistream.ConnectRequestSchema, connect)));
  const call = client.makeServerStreamRequest(UNI_CONSUME, id, id, req, md);
  const pushes: protocol.Push[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${pushes.length} of ${count} pushes`)), 5000);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      call.on('data', (d: Buffer) => {
        const p = fromBinary(protocol.PushSchema, d);
        // Skip pings (empty pushes).
        if (p.connect || p.disconnect || p.pub || p.subscribe || p.unsubscribe) pushes.push(p);
        if (pushes.length >= count) done();
      });
      call.on('error', done);
      call.on('end', done);
    });
  } finally {
    call.cancel();
    client.close();
  }
  return pushes;
}
