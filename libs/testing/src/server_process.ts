// A real server binary (nats-server, redis-server) run for tests: started on a free port in a temp
// dir, probed until it accepts connections, stoppable, killable (-9) and restartable on the same port.
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './ports.js';
import { keepAlive, makeTempDir, releaseTempDir, spawnTracked, type TrackedChild } from './processes.js';

export interface ServerHandle {
  /** e.g. `nats-server`. */
  readonly name: string;
  /** Connection URL, `nats://127.0.0.1:<port>` or `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Pid of the current process (after kill(), the pid of the dead one). */
  readonly pid: number;
  /** The server's temp working dir (removed by stop()). */
  readonly dir: string;
  readonly running: boolean;
  /** The server's stdout+stderr since the last (re)start. */
  output(): string;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, like a crash; resolves once the process is gone. The port and dir stay reserved for restart(). */
  kill(): Promise<void>;
  /** Starts the server again on the same port (stopping it first if it runs) and waits until it is ready. */
  restart(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface ServerKind {
  readonly name: string;
  readonly scheme: string;
  /** Command-line arguments for a server listening on host:port with working dir `dir`. */
  args(host: string, port: number, dir: string): string[];
  /** Bytes to send after connecting, if the server speaks only when spoken to. */
  readonly probeSend?: string;
  /** Whether the first line received means "ready". */
  probeAccept(firstLine: string): boolean;
}

export interface StartServerOptions {
  /** Fixed port; by default a free one is picked (and re-picked when another process grabs it first). */
  port?: number;
  host?: string;
  /** How long to wait for the server to accept connections (default 10 s). */
  readyTimeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects once; resolves the first line the server sends (null on refusal, error or timeout). */
function probeOnce(host: string, port: number, send: string | undefined, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const socket = connect({ host, port });
    const finish = (line: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (send) socket.write(send);
    });
    socket.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\r\n');
      if (i >= 0) finish(buf.slice(0, i));
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
  });
}

class StartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

class ManagedServer implements ServerHandle {
  private proc: TrackedChild | undefined;
  private lastPid = 0;

  constructor(
    private readonly kind: ServerKind,
    private readonly binary: string,
    readonly host: string,
    readonly port: number,
    readonly dir: string,
    private readonly readyTimeoutMs: number,
  ) {}

  get name(): string {
    return this.kind.name;
  }
  get url(): string {
    return `${this.kind.scheme}://${this.host}:${this.port}`;
  }
  get pid(): number {
    return this.lastPid;
  }
  get running(): boolean {
    return this.proc?.running ?? false;
  }
  output(): string {
    return this.proc ? this.proc.stdout() + this.proc.stderr() : '';
  }

  /** One start attempt on this.port; throws StartError when the server exits or does not get ready. */
  async launch(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const proc = await spawnTracked(this.binary, this.kind.args(this.host, this.port, this.dir), { cwd: this.dir });
    this.proc = proc;
    this.lastPid = proc.pid;
    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      const line = await probeOnce(this.host, this.port, this.kind.probeSend, 1000);
      if (line !== null && this.kind.probeAccept(line) && proc.running) return;
      if (!proc.running) {
        const out = this.output();
        throw new StartError(
          `${this.kind.name} exited during start on ${this.host}:${this.port}:\n${out.trim() || '(no output)'}`,
          /address already in use/i.test(out),
        );
      }
      if (Date.now() > deadline) {
        await proc.terminate('SIGKILL');
        throw new StartError(
          `${this.kind.name} did not accept connections on ${this.host}:${this.port} within ${this.readyTimeoutMs} ms:\n${this.output().trim()}`,
          false,
        );
      }
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    if (this.proc) await keepAlive(this.proc.terminate('SIGTERM', 5000));
    releaseTempDir(this.dir);
  }

  async kill(): Promise<void> {
    if (this.proc) await keepAlive(this.proc.terminate('SIGKILL', 5000));
  }

  async restart(): Promise<void> {
    if (this.proc?.running) await keepAlive(this.proc.terminate('SIGTERM', 5000));
    // The old socket may linger for a moment; retry a bind conflict until the ready timeout.
    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      try {
        await this.launch();
        return;
      } catch (error) {
        if (!(error instanceof StartError) || !error.addressInUse || Date.now() > deadline) throw error;
        await sleep(100);
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Starts `kind` and waits until it accepts connections; retries on a fresh port when the picked one was taken. */
export async function startServer(kind: ServerKind, binary: string, opts: StartServerOptions = {}): Promise<ServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const dir = makeTempDir(`gyre-${kind.name}`);
  const attempts = opts.port === undefined ? 5 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = opts.port ?? (await freePort(host));
    const server = new ManagedServer(kind, binary, host, port, dir, readyTimeoutMs);
    try {
      await server.launch();
      return server;
    } catch (error) {
      lastError = error;
      if (!(error instanceof StartError) || !error.addressInUse) break;
    }
  }
  releaseTempDir(dir);
  throw lastError;
}
