// Runs the real `gyre serve` CLI as a child process. The bin is located on disk relative to this
// package and run with node: a lib never imports service code.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { keepAlive, makeTempDir, releaseTempDir, spawnTracked, type TrackedChild } from './processes.js';

/** The repository root (this file is libs/testing/src/gyre.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the gyre CLI lives; $GYRE_BIN overrides it. */
export function gyreBinPath(): string {
  return process.env.GYRE_BIN ?? join(REPO_ROOT, 'services/gyre/bin/gyre.mjs');
}

export interface SpawnGyreOptions {
  /**
   * Centrifugo v6-style config, written to a temp JSON file and passed with `-c`. When it has no
   * `http_server.port`, a free port is picked and set there.
   */
  config: Record<string, unknown>;
  /** Extra CLI arguments after `serve -c <file>` (e.g. ['--services', 'edge']). */
  args?: string[];
  /** Extra environment (merged over process.env; an undefined value removes a variable). */
  env?: Record<string, string | undefined>;
  /** How long to wait for GET /health to answer 200 (default 20 s). */
  readyTimeoutMs?: number;
  /** Path of the bin (default gyreBinPath()). */
  bin?: string;
}

export interface GyreProcess {
  /** `http://<host>:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly configPath: string;
  /** Captured output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code (null when a signal ended the process). */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM), waits up to `graceMs` (default 10 s), then SIGKILL. Resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function httpServerSection(config: Record<string, unknown>): Record<string, unknown> {
  const section = config.http_server;
  if (section !== undefined && (typeof section !== 'object' || section === null || Array.isArray(section))) {
    throw new TypeError('config.http_server must be an object');
  }
  return (section as Record<string, unknown> | undefined) ?? {};
}

async function waitHealthy(url: string, proc: TrackedChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error('exited');
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Spawns `node <repo>/services/gyre/bin/gyre.mjs serve -c <tmp config>` in its own process group and
 * resolves once GET /health answers 200. Rejects (with the captured output) when the process exits
 * first or does not get healthy in time; a port taken in the meantime is retried with a new one.
 */
export async function spawnGyre(opts: SpawnGyreOptions): Promise<GyreProcess> {
  const bin = opts.bin ?? gyreBinPath();
  if (!existsSync(bin)) throw new Error(`gyre bin not found at ${bin} (set GYRE_BIN to override)`);
  const fixedPort = httpServerSection(opts.config).port;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const dir = makeTempDir('gyre-serve');
  const attempts = fixedPort === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const section = httpServerSection(opts.config);
    const port = typeof fixedPort === 'number' ? fixedPort : Number(fixedPort ?? (await freePort()));
    const address = typeof section.address === 'string' && section.address !== '' && section.address !== '0.0.0.0' ? section.address : '127.0.0.1';
    const config = { ...opts.config, http_server: { ...section, port } };
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const proc = await spawnTracked(process.execPath, [bin, 'serve', '-c', configPath, ...(opts.args ?? [])], { cwd: REPO_ROOT, env });
    const url = `http://${address}:${port}`;
    try {
      await waitHealthy(url, proc, readyTimeoutMs);
    } catch (error) {
      const why = (error as Error).message === 'exited' ? 'exited before /health answered' : `did not answer /health within ${readyTimeoutMs} ms`;
      await keepAlive(proc.terminate('SIGKILL', 1000));
      const output = `${proc.stdout()}${proc.stderr()}`;
      if (attempt < attempts && /EADDRINUSE|address already in use/i.test(output)) continue;
      releaseTempDir(dir);
      throw new Error(`gyre serve ${why} (${url}):\n${output.trim() || '(no output)'}`, { cause: error });
    }
    const exited = proc.exited.then(({ code }) => code);
    const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> => {
      const { code } = await keepAlive(proc.terminate(signal, graceMs));
      releaseTempDir(dir);
      return code;
    };
    return {
      url,
      port,
      pid: proc.pid,
      configPath,
      get stdout() {
        return proc.stdout();
      },
      get stderr() {
        return proc.stderr();
      },
      exited,
      stop,
      kill: async () => {
        await keepAlive(proc.terminate('SIGKILL', 5000));
      },
      [Symbol.asyncDispose]: async () => {
        await stop();
      },
    };
  }
}
