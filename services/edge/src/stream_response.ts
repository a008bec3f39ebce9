/*
 * A long-lived streamed HTTP response on uWebSockets.js (HTTP streaming, SSE and their
 * unidirectional forms): chunked writes with backpressure, for one connection.
 *
 * The uWS behaviour this is built around (checked against the uWS build in package.json):
 * - `res.write` buffers whatever the kernel does not take and returns false; that buffer is only
 *   flushed by a later write. With an `onWritable` handler registered, uWS does not drain it by
 *   itself when the socket becomes writable: the handler must write something.
 * - Without an `onWritable` handler, uWS drains by itself but then arms its 10 s HTTP idle timeout,
 *   which later successful writes do not clear: an idle stream would be cut 10 s after any
 *   backpressure. So the handler is always registered.
 * - A refused write also arms a 10 s timeout until the socket is writable again: a peer that
 *   stops reading altogether is dropped by uWS (onAborted), if the queue limit did not close it
 *   first.
 *
 * Hence: while a write is refused, later data waits in `queue` (JS); onWritable writes the queue
 * in one go, which drains uWS's buffer first. When nothing is queued, it writes the transport's
 * `filler` (a harmless frame: an SSE comment, an empty line, a ping) to push uWS's buffer out.
 * `bufferedAmount` is the refused write plus the queue: what this connection holds in user space.
 *
 * Writes are corked (they come from bus handlers, timers, after awaits). After `end`, `abort`,
 * `respond` or the peer's abort, every call is a no-op: `res` is never touched again.
 *
 * `end` never asks uWS to close the connection: with headers already sent, this uWS build writes
 * its `Connection: close` header into the chunked body. The connection stays for keep-alive.
 */
import type { HttpResponse } from 'uWebSockets.js';
import type { Frame } from './frames.js';
import type { HeaderList } from './cors.js';

/** Headers every streamed response carries (client-protocol.md §7.1: no caching, no proxy buffering). */
export const STREAM_HEADERS: HeaderList = [
  ['Cache-Control', 'private, no-cache, no-store, must-revalidate, max-age=0'],
  ['Pragma', 'no-cache'],
  ['Expires', '0'],
  ['X-Accel-Buffering', 'no'],
];

type State = 'pending' | 'open' | 'done';

export class StreamResponse {
  private state: State = 'pending';
  private refused = 0;
  private queue: Frame[] = [];
  private queuedBytes = 0;
  /** Called once when the peer goes away (never after end / abort / respond). */
  onAbort: (() => void) | null = null;
  /** What onWritable writes to flush uWS's buffer when nothing is queued. */
  filler: () => Frame = () => '';

  constructor(
    private readonly res: HttpResponse,
    private readonly headers: HeaderList,
    /** Written right after the headers (SSE's `\r\n`, which makes proxies pass the headers on). */
    private readonly preamble?: Frame,
  ) {
    res.onAborted(() => {
      if (this.state === 'done') return;
      this.state = 'done';
      this.queue = [];
      const cb = this.onAbort;
      this.onAbort = null;
      cb?.();
    });
    res.onWritable(() => this.writable());
  }

  /** Headers sent (the stream started). */
  get started(): boolean {
    return this.state === 'open';
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** Bytes held for this response in user space (uWS's buffer of a refused write, the queue). */
  bufferedAmount(): number {
    return this.refused + this.queuedBytes;
  }

  /** Sends 200, the headers and the preamble now (otherwise they go with the first write). */
  begin(): void {
    if (this.state !== 'pending') return;
    this.res.cork(() => this.writeHead());
  }

  write(data: Frame): void {
    if (this.state === 'done') return;
    if (this.refused > 0) {
      this.queue.push(data);
      this.queuedBytes += size(data);
      return;
    }
    this.res.cork(() => {
      if (this.state === 'pending') this.writeHead();
      this.push(data);
    });
  }

  /** Writes `last` (if any) and ends the response; a backpressured one is cut off instead. */
  end(last?: Frame): void {
    if (this.state === 'done') return;
    if (this.refused > 0) {
      this.abort();
      return;
    }
    this.res.cork(() => {
      if (this.state === 'pending') this.writeHead();
      this.state = 'done';
      if (last !== undefined) this.res.write(last);
      this.res.end();
    });
    this.release();
  }

  /** Closes the connection at once (slow peers, protocol violations). */
  abort(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.res.close();
    this.release();
  }

  /**
   * A plain answer instead of the stream (only before it started), with the CORS headers of the
   * stream's. `closeConnection` for answers given before the request body was read (413).
   */
  respond(status: string, headers: HeaderList, body: string, closeConnection = false): void {
    if (this.state !== 'pending') return;
    this.state = 'done';
    this.res.cork(() => {
      this.res.writeStatus(status);
      for (const [k, v] of this.headers) if (k.startsWith('Access-Control-')) this.res.writeHeader(k, v);
      for (const [k, v] of headers) this.res.writeHeader(k, v);
      this.res.end(body, closeConnection);
    });
    this.release();
  }

  private writeHead(): void {
    this.state = 'open';
    this.res.writeStatus('200 OK');
    for (const [k, v] of this.headers) this.res.writeHeader(k, v);
    if (this.preamble !== undefined) this.push(this.preamble);
  }

  private push(data: Frame): void {
    if (size(data) === 0) return;
    if (!this.res.write(data)) this.refused = size(data);
  }

  private writable(): boolean {
    if (this.state !== 'open' || this.refused === 0) return true;
    let data: Frame;
    if (this.queue.length === 0) data = this.filler();
    else if (this.queue.length === 1) data = this.queue[0]!;
    else if (this.queue.every((f) => typeof f === 'string')) data = (this.queue as string[]).join('');
    else data = Buffer.concat(this.queue.map(bytes));
    this.queue = [];
    this.queuedBytes = 0;
    if (size(data) === 0) return true;
    const ok = this.res.write(data);
    this.refused = ok ? 0 : size(data);
    return ok;
  }

  private release(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.refused = 0;
    this.onAbort = null;
  }
}

function size(f: Frame): number {
  return typeof f === 'string' ? f.length : f.byteLength;
}

function bytes(f: Frame): Uint8Array {
  return typeof f === 'string' ? Buffer.from(f) : f;
}
