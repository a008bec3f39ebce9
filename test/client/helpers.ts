/**
 * Shared pieces of the client-protocol tier: an in-process Gyre node per test file, HS256 tokens,
 * and a raw WebSocket client for exact frames (the SDK hides them).
 */
import { createHmac } from 'node:crypto';
import { generateConnectToken, generateSubscriptionToken } from '@gyre/auth';
import { startGyreInProcess, type InProcessGyre } from '@gyre/gyre';
import { decodeRepliesProtobuf, encodeCommandsProtobuf, create, protocol } from '@gyre/protocol';
import { createCentrifuge, freePort, waitForEvent, type CreateCentrifugeOptions } from '@gyre/testing';
import type { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';

export const SECRET = 'gyre-client-tier-secret';

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

/** A node on a free port with `config` over the tier's defaults (HMAC secret set). */
export async function startNode(config: Json = {}): Promise<InProcessGyre> {
  const port = await freePort();
  return startGyreInProcess(merge({ http_server: { port }, client: { token: { hmac_secret_key: SECRET } } }, config));
}

/** HS256 connection token; ttlSeconds 0 = no exp. */
export function token(user: string, claims: Json = {}, ttlSeconds = 0): string {
  return generateConnectToken({ hmacSecretKey: SECRET, user, ttlSeconds, claims });
}

/** HS256 token with exactly this payload (expired ones, forbidden claims, ...). */
export function rawToken(payload: Json, secret = SECRET): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** HS256 subscription token. */
export function subToken(user: string, channel: string, claims: Json = {}, ttlSeconds = 0): string {
  return generateSubscriptionToken({ hmacSecretKey: SECRET, user, channel, ttlSeconds, claims });
}

export type Protocol = 'json' | 'protobuf';
export const PROTOCOLS: readonly Protocol[] = ['json', 'protobuf'];

/** Publication / RPC data as each SDK build wants it. */
export function payload(protocol: Protocol, value: unknown): unknown {
  return protocol === 'json' ? value : new TextEncoder().encode(JSON.stringify(value));
}

/** Publication data as received, decoded to a JS value whatever the protocol. */
export function decoded(data: unknown): unknown {
  if (data instanceof Uint8Array) return JSON.parse(new TextDecoder().decode(data));
  return data;
}

/** A connected SDK client (closed by `clients.closeAll()`). */
export class Clients {
  private readonly all: Centrifuge[] = [];

  constructor(private readonly url: () => string) {}

  make(opts: CreateCentrifugeOptions = {}): Centrifuge {
    const c = createCentrifuge(this.url(), { minReconnectDelay: 50, maxReconnectDelay: 200, ...opts });
    this.all.push(c);
    return c;
  }

  async connected(opts: CreateCentrifugeOptions = {}): Promise<Centrifuge> {
    const c = this.make(opts);
    const ok = waitForEvent(c, 'connected');
    c.connect();
    await ok;
    return c;
  }

  closeAll(): void {
    for (const c of this.all.splice(0)) c.disconnect();
  }
}

export interface CloseInfo {
  code: number;
  reason: string;
}

/**
 * A raw WebSocket client: frames in, frames out, nothing interpreted. JSON frames are strings,
 * protobuf frames Uint8Arrays.
 */
export class RawClient {
  private readonly frames: Array<string | Uint8Array> = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<CloseInfo>;
  readonly opened: Promise<void>;
  isClosed = false;

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => {
        // Listening for this event leaves the HTTP exchange open: end it, or it keeps the process alive.
        req.destroy();
        res.destroy();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      this.frames.push(isBinary ? new Uint8Array(buf) : buf.toString('utf8'));
      this.wake();
    });
    ws.on('error', () => {});
  }

  static async open(url: string, opts: { protocols?: string[]; query?: string; origin?: string; headers?: Record<string, string>; autoPong?: boolean } = {}): Promise<RawClient> {
    const u = opts.query ? `${url}?${opts.query}` : url;
    const ws = new WebSocket(u, opts.protocols ?? [], {
      ...(opts.origin ? { origin: opts.origin } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.autoPong === false ? { autoPong: false } : {}),
    });
    const c = new RawClient(ws);
    await c.opened;
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(frame: string | Uint8Array): void {
    this.ws.send(frame);
  }

  /** Sends commands as one JSON frame (newline-joined). */
  sendJson(...commands: Json[]): void {
    this.ws.send(commands.map((c) => JSON.stringify(c)).join('\n'));
  }

  /** Sends commands as one protobuf frame (varint-delimited). */
  sendProtobuf(...commands: Array<Parameters<typeof create<typeof protocol.CommandSchema>>[1]>): void {
    this.ws.send(encodeCommandsProtobuf(commands.map((c) => create(protocol.CommandSchema, c))));
  }

  /** The next frame; rejects after timeoutMs or when the socket closed with nothing left. */
  async next(timeoutMs = 3000): Promise<string | Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
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

  /** Next JSON frame as its lines (text). */
  async nextLines(timeoutMs = 3000): Promise<string[]> {
    const f = await this.next(timeoutMs);
    if (typeof f !== 'string') throw new Error('expected a text frame');
    return f.split('\n');
  }

  /** Next JSON frame parsed. */
  async nextJson(timeoutMs = 3000): Promise<Json[]> {
    return (await this.nextLines(timeoutMs)).map((l) => JSON.parse(l) as Json);
  }

  /** Next protobuf frame decoded. */
  async nextProtobuf(timeoutMs = 3000): Promise<protocol.Reply[]> {
    const f = await this.next(timeoutMs);
    if (typeof f === 'string') throw new Error('expected a binary frame');
    return decodeRepliesProtobuf(f);
  }

  /** Collects JSON replies (skipping pings) until one satisfies `pred`. */
  async untilJson(pred: (r: Json) => boolean, timeoutMs = 3000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const r of await this.nextJson(Math.max(1, deadline - Date.now()))) if (pred(r)) return r;
    }
  }

  private lines: string[] = [];
  private replies: protocol.Reply[] = [];

  /** The next JSON line (reply or push) across frames; pings (`{}`) are skipped unless asked for. */
  async nextLine(opts: { pings?: boolean; timeoutMs?: number } = {}): Promise<string> {
    const deadline = Date.now() + (opts.timeoutMs ?? 3000);
    for (;;) {
      while (this.lines.length > 0) {
        const l = this.lines.shift()!;
        if (l === '{}' && !opts.pings) continue;
        return l;
      }
      this.lines.push(...(await this.nextLines(Math.max(1, deadline - Date.now()))));
    }
  }

  /** The next protobuf Reply across frames; pings (empty Replies) are skipped unless asked for. */
  async nextReply(opts: { pings?: boolean; timeoutMs?: number } = {}): Promise<protocol.Reply> {
    const deadline = Date.now() + (opts.timeoutMs ?? 3000);
    for (;;) {
      while (this.replies.length > 0) {
        const r = this.replies.shift()!;
        const ping = r.id === 0 && r.push === undefined;
        if (ping && !opts.pings) continue;
        return r;
      }
      this.replies.push(...(await this.nextProtobuf(Math.max(1, deadline - Date.now()))));
    }
  }

  /** Frames received so far and not consumed. */
  pending(): number {
    return this.frames.length;
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Opens a raw JSON connection and connects it (`connect` with id 1). */
export async function rawConnected(url: string, connect: Json = {}): Promise<{ raw: RawClient; client: string }> {
  const raw = await RawClient.open(url);
  raw.sendJson({ connect, id: 1 });
  const [reply] = await raw.nextJson();
  const c = reply?.['connect'] as Json | undefined;
  if (!c) throw new Error(`connect failed: ${JSON.stringify(reply)}`);
  return { raw, client: c['client'] as string };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
