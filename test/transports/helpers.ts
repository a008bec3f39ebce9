/**
 * Shared pieces of the transports tier (issue 6): in-process nodes with every transport on, SDK
 * clients over HTTP streaming / SSE / WebSocket, the server API, and raw readers for streamed
 * responses (JSON lines, SSE events, varint-delimited protobuf), unidirectional WebSockets and
 * unidirectional GRPC streams, which show the exact frames the SDK hides.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { generateConnectToken } from '@gyre/auth';
import type { MemoryBusHub } from '@gyre/bus';
import { startGyreInProcess, type InProcessGyre } from '@gyre/gyre';
import { create, fromBinary, protocol, toBinary, unistream } from '@gyre/protocol';
import { createCentrifuge, freePort } from '@gyre/testing';
import { Centrifuge, type Options } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import * as grpc from '@grpc/grpc-js';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
/** The `eventsource` npm package (v2): the EventSource the SDK needs on Node. */
export const EventSource = require('eventsource') as new (url: string, init?: Record<string, unknown>) => EventSourceLike;

export interface EventSourceLike {
  onopen: ((e: unknown) => void) | null;
  onmessage: ((e: { data: string }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  readyState: number;
  close(): void;
}

export const SECRET = 'gyre-transports-tier-secret';
export const API_KEY = 'gyre-transports-tier-api-key';

export type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects (arrays and scalars of `b` win). */
export function merge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
  return out;
}

/** Channel options of the tier: history with recovery, presence, join/leave, client reads. */
export const CHANNEL_OPTIONS = {
  history_size: 50,
  history_ttl: '300s',
  allow_recovery: true,
  allow_positioning: true,
  presence: true,
  join_leave: true,
  allow_subscribe_for_client: true,
  allow_publish_for_subscriber: true,
  allow_history_for_subscriber: true,
  allow_presence_for_subscriber: true,
};

/** Every transport on, short pings, the HMAC secret and API key set. */
export function transportsConfig(port: number, grpcPort: number): Json {
  return {
    http_server: { port },
    client: {
      token: { hmac_secret_key: SECRET },
      ping_interval: '2s',
      pong_timeout: '1s',
      presence_update_interval: '1s',
    },
    http_api: { key: API_KEY },
    rpc: { ping: { enabled: true } },
    http_stream: { enabled: true },
    sse: { enabled: true },
    uni_websocket: { enabled: true },
    uni_sse: { enabled: true },
    uni_http_stream: { enabled: true },
    uni_grpc: { enabled: true, port: grpcPort },
    channel: { without_namespace: CHANNEL_OPTIONS },
  };
}

export interface StartOptions {
  busHub?: MemoryBusHub;
  logLevel?: string;
}

/** A node on free ports with `config` over the tier's defaults. */
export async function startNode(config: Json = {}, opts: StartOptions = {}): Promise<InProcessGyre> {
  const base = transportsConfig(await freePort(), await freePort());
  return startGyreInProcess(merge(base, config), {
    ...(opts.busHub ? { busHub: opts.busHub } : {}),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
  });
}

/** HS256 connection token; ttlSeconds 0 = no exp. */
export function token(user: string, claims: Json = {}, ttlSeconds = 0): string {
  return generateConnectToken({ hmacSecretKey: SECRET, user, ttlSeconds, claims });
}

/** HS256 token with exactly this payload (expired ones, odd claims). */
export function rawToken(payload: Json, secret = SECRET): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Connections of the node's edge that carry a session (emulated and unidirectional ones). */
export function liveSessions(node: InProcessGyre): number {
  return node.edge!.context.registry.numSessions;
}

/** Every open connection of the node's edge. */
export function liveConnections(node: InProcessGyre): number {
  return node.edge!.context.registry.all.size;
}

// ---- SDK clients ------------------------------------------------------------------------------

export type SdkTransport = 'websocket' | 'http_stream' | 'sse';
export type Protocol = 'json' | 'protobuf';

export interface Variant {
  transport: SdkTransport;
  protocol: Protocol;
}

/** The emulated variants the SDK supports: HTTP streaming in both protocols, SSE in JSON. */
export const EMULATED: readonly Variant[] = [
  { transport: 'http_stream', protocol: 'json' },
  { transport: 'http_stream', protocol: 'protobuf' },
  { transport: 'sse', protocol: 'json' },
];

export const label = (v: Variant): string => `${v.transport}/${v.protocol}`;

/** An SDK client for `baseUrl` (http://host:port) over the given transport; not connected yet. */
export function sdkClient(baseUrl: string, v: Variant, opts: Partial<Options> = {}): Centrifuge {
  const common: Partial<Options> = { minReconnectDelay: 50, maxReconnectDelay: 300, ...opts };
  if (v.transport === 'websocket') return createCentrifuge(baseUrl, { protocol: v.protocol, ...common });
  const endpoints = [{ transport: v.transport, endpoint: `${baseUrl}/connection/${v.transport}` }];
  const options = { ...common, emulationEndpoint: `${baseUrl}/emulation`, eventsource: EventSource } as Partial<Options>;
  if (v.protocol === 'protobuf') return new ProtobufCentrifuge(endpoints as never, options as never) as unknown as Centrifuge;
  return new Centrifuge(endpoints as never, options);
}

/** Publication / RPC data as each SDK build wants it. */
export function payload(p: Protocol, value: unknown): unknown {
  return p === 'json' ? value : new TextEncoder().encode(JSON.stringify(value));
}

/** Data as received, decoded to a JS value whatever the protocol. */
export function decoded(data: unknown): unknown {
  if (data instanceof Uint8Array) return JSON.parse(new TextDecoder().decode(data));
  return data;
}

// ---- server API -------------------------------------------------------------------------------

/** One server API call; resolves with the parsed response body (rejects on non-200). */
export async function api(node: InProcessGyre, method: string, params: Json): Promise<Json> {
  const res = await fetch(`${node.internalUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`api ${method}: HTTP ${res.status} ${text}`);
  const body = JSON.parse(text) as Json;
  if (body['error']) throw new Error(`api ${method}: ${JSON.stringify(body['error'])}`);
  return body;
}

// ---- raw streamed responses -------------------------------------------------------------------

export type StreamMode = 'lines' | 'sse' | 'protobuf';

/**
 * A streamed HTTP response read message by message: JSON lines (HTTP streaming), SSE `data:`
 * events, or varint-delimited protobuf. Pings are returned like any message.
 */
export class StreamReader {
  readonly status: number;
  readonly headers: Headers;
  /** Raw text received so far (lines / sse modes). */
  raw = '';
  private readonly messages: Array<string | Uint8Array> = [];
  private waiters: Array<() => void> = [];
  private buf = '';
  private bin = new Uint8Array(0);
  ended = false;
  readonly done: Promise<void>;

  private constructor(
    res: Response,
    private readonly mode: StreamMode,
    readonly abortController: AbortController,
  ) {
    this.status = res.status;
    this.headers = res.headers;
    this.done = this.pump(res).finally(() => {
      this.ended = true;
      this.wake();
    });
  }

  static async open(url: string, mode: StreamMode, init: RequestInit = {}): Promise<StreamReader> {
    const ac = new AbortController();
    const res = await fetch(url, { ...init, signal: ac.signal });
    return new StreamReader(res, mode, ac);
  }

  private async pump(res: Response): Promise<void> {
    if (!res.body) return;
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (this.mode === 'protobuf') this.pushBinary(chunk);
        else this.pushText(dec.decode(chunk, { stream: true }));
      }
    } catch {
      // Aborted by the test or the server went away.
    }
  }

  private pushText(text: string): void {
    this.raw += text;
    this.buf += text;
    if (this.mode === 'lines') {
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line !== '') this.messages.push(line);
      }
    } else {
      let i: number;
      while ((i = this.buf.indexOf('\n\n')) >= 0) {
        const event = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        const data = event
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''));
        if (data.length > 0) this.messages.push(data.join('\n'));
      }
    }
    this.wake();
  }

  private pushBinary(chunk: Uint8Array): void {
    const all = new Uint8Array(this.bin.length + chunk.length);
    all.set(this.bin);
    all.set(chunk, this.bin.length);
    let pos = 0;
    for (;;) {
      let len = 0;
      let shift = 0;
      let p = pos;
      let complete = false;
      while (p < all.length) {
        const b = all[p++]!;
        len |= (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || p + len > all.length) break;
      this.messages.push(all.slice(p, p + len));
      pos = p + len;
    }
    this.bin = all.slice(pos);
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next message; rejects after timeoutMs, or when the stream ended with nothing left. */
  async next(timeoutMs = 3000): Promise<string | Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.shift();
      if (m !== undefined) return m;
      if (this.ended) throw new Error('stream ended');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no message within timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next JSON message parsed. */
  async nextJson(timeoutMs = 3000): Promise<Json> {
    const m = await this.next(timeoutMs);
    if (typeof m !== 'string') throw new Error('expected JSON');
    return JSON.parse(m) as Json;
  }

  /** JSON messages until one satisfies `pred` (skipping the others). */
  async untilJson(pred: (m: Json) => boolean, timeoutMs = 3000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.nextJson(Math.max(1, deadline - Date.now()));
      if (pred(m)) return m;
    }
  }

  /** Messages received and not consumed. */
  pending(): number {
    return this.messages.length;
  }

  abort(): void {
    this.abortController.abort();
  }
}

/** POSTs a JSON /emulation body. */
export async function emulate(baseUrl: string, body: Json): Promise<number> {
  const res = await fetch(`${baseUrl}/emulation`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

/** A raw JSON HTTP-streaming connection: POST the connect command, read the connect reply. */
export async function rawHttpStream(baseUrl: string, connect: Json = {}): Promise<{ reader: StreamReader; session: string; node: string; client: string }> {
  const reader = await StreamReader.open(`${baseUrl}/connection/http_stream`, 'lines', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ connect, id: 1 }),
  });
  const reply = await reader.nextJson();
  const c = reply['connect'] as Json | undefined;
  if (!c) throw new Error(`connect failed: ${JSON.stringify(reply)}`);
  return { reader, session: c['session'] as string, node: c['node'] as string, client: c['client'] as string };
}

// ---- unidirectional WebSocket and GRPC ----------------------------------------------------------

/** A unidirectional WebSocket: text frames in order, the close code and reason. */
export class UniWs {
  readonly frames: string[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;
  readonly closedP: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => {
        // With this listener `ws` leaves the refused request open: end it here.
        req.destroy();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
    });
    this.closedP = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
        this.wake();
      });
    });
    ws.on('message', (data) => {
      this.frames.push((data as Buffer).toString('utf8'));
      this.wake();
    });
    ws.on('error', () => {});
  }

  static async open(url: string, opts: { origin?: string } = {}): Promise<UniWs> {
    const c = new UniWs(new WebSocket(url, [], opts.origin ? { origin: opts.origin } : {}));
    await c.opened;
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async next(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f !== undefined) return f;
      if (this.closed) throw new Error('socket closed');
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

  async nextJson(timeoutMs = 3000): Promise<Json> {
    return JSON.parse(await this.next(timeoutMs)) as Json;
  }

  async untilJson(pred: (m: Json) => boolean, timeoutMs = 3000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.nextJson(Math.max(1, deadline - Date.now()));
      if (pred(m)) return m;
    }
  }

  close(): void {
    this.ws.close();
  }
}

export const UNI_CONSUME = `/${unistream.CentrifugoUniStream.typeName}/Consume`;

/** A unidirectional GRPC stream: Pushes decoded with the client protocol schema. */
export class UniGrpc {
  readonly pushes: protocol.Push[] = [];
  private waiters: Array<() => void> = [];
  ended = false;
  error: grpc.ServiceError | null = null;
  readonly call: grpc.ClientReadableStream<Buffer>;
  readonly finished: Promise<void>;

  constructor(
    readonly client: grpc.Client,
    request: Buffer,
    metadata = new grpc.Metadata(),
  ) {
    const id = (b: Buffer): Buffer => b;
    this.call = client.makeServerStreamRequest(UNI_CONSUME, id, id, request, metadata);
    this.finished = new Promise((resolve) => {
      this.call.on('data', (d: Buffer) => {
        this.pushes.push(fromBinary(protocol.PushSchema, d));
        this.wake();
      });
      this.call.on('error', (e: grpc.ServiceError) => {
        this.error = e;
        this.ended = true;
        this.wake();
        resolve();
      });
      this.call.on('end', () => {
        this.ended = true;
        this.wake();
        resolve();
      });
    });
  }

  static open(port: number, connect: Parameters<typeof create<typeof unistream.ConnectRequestSchema>>[1] = {}): UniGrpc {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const req = Buffer.from(toBinary(unistream.ConnectRequestSchema, create(unistream.ConnectRequestSchema, connect)));
    return new UniGrpc(client, req);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async next(timeoutMs = 3000): Promise<protocol.Push> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = this.pushes.shift();
      if (p !== undefined) return p;
      if (this.ended) throw new Error(`stream ended${this.error ? `: ${this.error.code} ${this.error.details}` : ''}`);
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

  async until(pred: (p: protocol.Push) => boolean, timeoutMs = 3000): Promise<protocol.Push> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.next(Math.max(1, deadline - Date.now()));
      if (pred(p)) return p;
    }
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/**
 * Drops fetch's pooled keep-alive connections (the servers keep idle ones open for 10 s), so a
 * test file's process ends when its tests do. Call once, after the file's last request.
 */
export async function closeFetchPool(): Promise<void> {
  const dispatcher = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as { destroy?: () => Promise<void> } | undefined;
  await dispatcher?.destroy?.();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms until it holds (rejects after timeoutMs). */
export async function until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
