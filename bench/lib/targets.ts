/**
 * The servers measured side by side, each started fresh per scenario from the same bench settings:
 *   gyre          Gyre embedded (one process, memory bus and stores) — `gyre serve`
 *   gyre-cluster  Gyre with services as separate processes over NATS and Redis (counted with them)
 *   centrifugo    Centrifugo (see centrifugo.ts for the version), memory engine
 *   uws           the bare uWebSockets.js script (baseline_uws.ts): the physical limit for Node
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { centrifugoBinary, CENTRIFUGO_VERSION } from './centrifugo.js';

export type TargetId = 'gyre' | 'gyre-cluster' | 'centrifugo' | 'uws';
export const TARGET_IDS: readonly TargetId[] = ['gyre', 'gyre-cluster', 'centrifugo', 'uws'];

export const TARGET_LABELS: Record<TargetId, string> = {
  gyre: 'Gyre embedded',
  'gyre-cluster': 'Gyre services as processes',
  centrifugo: 'Centrifugo',
  uws: 'bare uWS.js',
};

/** What every target is configured with (the same values, in each one's config dialect). */
export interface BenchSettings {
  hmacSecret: string;
  apiKey: string;
  /** Namespace with history on (for the latency scenario). */
  historyNamespace: string;
  historySize: number;
  historyTtl: string;
}

export const SETTINGS: BenchSettings = {
  hmacSecret: 'gyre-bench-hmac-secret-not-for-production-0123456789',
  apiKey: 'gyre-bench-api-key',
  historyNamespace: 'hist',
  historySize: 100,
  historyTtl: '300s',
};

export interface StartOptions {
  repoRoot: string;
  cacheDir: string;
  tmpDir: string;
  /** taskset CPU list for the server processes, or null for no pinning. */
  cpus: string | null;
  /** Write a V8 CPU profile (node targets) into this directory. */
  cpuProfDir: string | null;
  log: (s: string) => void;
}

export interface RunningServer {
  /** Root pids whose process trees are the server's cost. */
  roots: number[];
  wsPort: number;
  apiPort: number;
  version: string;
  logFile: string;
  stop(): Promise<void>;
}

export type Availability = { available: true } | { available: false; reason: string };

export interface Target {
  id: TargetId;
  label: string;
  /** Install or check prerequisites once per run. */
  prepare(o: StartOptions): Promise<Availability>;
  start(o: StartOptions): Promise<RunningServer>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Spawned {
  child: ChildProcess;
  exited: Promise<number | null>;
}

function spawnLogged(cmd: string, args: string[], o: StartOptions, logFile: string, cwd: string): Spawned {
  const argv = o.cpus ? ['taskset', '-c', o.cpus, cmd, ...args] : [cmd, ...args];
  const out = createWriteStream(logFile, { flags: 'a' });
  out.write(`$ ${argv.join(' ')}\n`);
  const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

async function stopProcess(p: Spawned, graceMs: number): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const done = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
  if (!done) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/** Waits until `POST /api/info` answers 200 with the API key, or the process dies, or the time is up. */
async function waitApi(port: number, p: Spawned, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (p.child.exitCode !== null) throw new Error(`${what} exited with code ${p.child.exitCode} before answering`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/info`, {
        method: 'POST',
        headers: { 'x-api-key': SETTINGS.apiKey, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(1000),
      });
      await r.arrayBuffer();
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer POST /api/info within ${timeoutMs} ms (${last})`);
}

async function waitPort(port: number, p: Spawned, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (p.child.exitCode !== null) throw new Error(`${what} exited with code ${p.child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

/** Gyre's config (Centrifugo v6 format) for the bench. */
export function gyreConfig(s: BenchSettings, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client: { token: { hmac_secret_key: s.hmacSecret }, allowed_origins: ['*'] },
    http_api: { key: s.apiKey },
    channel: {
      without_namespace: { allow_subscribe_for_client: true },
      namespaces: [{ name: s.historyNamespace, history_size: s.historySize, history_ttl: s.historyTtl, allow_subscribe_for_client: true }],
    },
    log: { level: 'error' },
    ...extra,
  };
}

/** The same settings in Centrifugo v5's flat keys. */
export function centrifugoConfig(s: BenchSettings, port: number): Record<string, unknown> {
  return {
    token_hmac_secret_key: s.hmacSecret,
    api_key: s.apiKey,
    allow_subscribe_for_client: true,
    allowed_origins: ['*'],
    namespaces: [{ name: s.historyNamespace, history_size: s.historySize, history_ttl: s.historyTtl, allow_subscribe_for_client: true }],
    log_level: 'error',
    usage_stats_disable: true,
    address: '127.0.0.1',
    port: String(port),
  };
}

function nodeArgs(o: StartOptions, name: string): string[] {
  return o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${join(o.cpuProfDir, name)}`] : [];
}

const gyreEmbedded: Target = {
  id: 'gyre',
  label: TARGET_LABELS.gyre,
  async prepare(o) {
    return existsSync(join(o.repoRoot, 'services/gyre/bin/gyre.mjs')) ? { available: true } : { available: false, reason: 'services/gyre/bin/gyre.mjs missing' };
  },
  async start(o) {
    const port = await freePort();
    const cfg = join(o.tmpDir, 'gyre.json');
    writeFileSync(cfg, JSON.stringify(gyreConfig(SETTINGS), null, 2));
    const logFile = join(o.tmpDir, 'gyre.log');
    const p = spawnLogged(process.execPath, [...nodeArgs(o, 'gyre'), join(o.repoRoot, 'services/gyre/bin/gyre.mjs'), 'serve', '-c', cfg, '-p', String(port), '-a', '127.0.0.1'], o, logFile, o.repoRoot);
    await waitApi(port, p, 30_000, 'gyre');
    return { roots: [p.child.pid!], wsPort: port, apiPort: port, version: 'working tree', logFile, stop: () => stopProcess(p, o.cpuProfDir ? 30_000 : 5_000) };
  },
};

const gyreCluster: Target = {
  id: 'gyre-cluster',
  label: TARGET_LABELS['gyre-cluster'],
  async prepare(o) {
    for (const bin of ['nats-server', 'redis-server']) {
      const found = process.env['PATH']!.split(':').some((d) => existsSync(join(d, bin)));
      if (!found) return { available: false, reason: `${bin} not installed` };
    }
    return gyreEmbedded.prepare(o);
  },
  async start(o) {
    // One process per service plus the NATS and Redis they meet on; all of it is the server's cost.
    const [natsPort, redisPort, edgePort, apiPort, phPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const logFile = join(o.tmpDir, 'gyre-cluster.log');
    const procs: Spawned[] = [];
    const stop = async (): Promise<void> => {
      for (const p of [...procs].reverse()) await stopProcess(p, o.cpuProfDir ? 30_000 : 5_000);
    };
    try {
      const nats = spawnLogged('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort)], o, logFile, o.tmpDir);
      procs.push(nats);
      const redisDir = join(o.tmpDir, 'redis');
      mkdirSync(redisDir, { recursive: true });
      const redis = spawnLogged('redis-server', ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', redisDir], o, logFile, o.tmpDir);
      procs.push(redis);
      await waitPort(natsPort, nats, 10_000, 'nats-server');
      await waitPort(redisPort, redis, 10_000, 'redis-server');
      const cfg = join(o.tmpDir, 'gyre-cluster.json');
      writeFileSync(cfg, JSON.stringify(gyreConfig(SETTINGS, {
        gyre: { bus: { type: 'nats', nats: { url: `nats://127.0.0.1:${natsPort}` } }, store: { type: 'redis', redis: { address: `redis://127.0.0.1:${redisPort}` } } },
      }), null, 2));
      const gyreBin = join(o.repoRoot, 'services/gyre/bin/gyre.mjs');
      const svc = (name: string, port: number): Spawned => {
        const p = spawnLogged(process.execPath, [...nodeArgs(o, name), gyreBin, 'serve', '-c', cfg, '-p', String(port), '-a', '127.0.0.1', '--services', name], o, logFile, o.repoRoot);
        procs.push(p);
        return p;
      };
      const ph = svc('presence-history', phPort);
      const api = svc('api', apiPort);
      const edge = svc('edge', edgePort);
      await waitPort(phPort, ph, 30_000, 'gyre presence-history');
      await waitApi(apiPort, api, 30_000, 'gyre api');
      await waitPort(edgePort, edge, 30_000, 'gyre edge');
    } catch (err) {
      await stop();
      throw err;
    }
    return { roots: procs.map((p) => p.child.pid!), wsPort: edgePort, apiPort, version: 'working tree + NATS + Redis', logFile, stop };
  },
};

const centrifugo: Target = {
  id: 'centrifugo',
  label: TARGET_LABELS.centrifugo,
  async prepare(o) {
    try {
      centrifugoBinary(o.cacheDir, o.log);
      return { available: true };
    } catch (err) {
      return { available: false, reason: `Centrifugo ${CENTRIFUGO_VERSION} could not be built: ${(err as Error).message.split('\n')[0]}` };
    }
  },
  async start(o) {
    const bin = centrifugoBinary(o.cacheDir, o.log);
    const port = await freePort();
    const cfg = join(o.tmpDir, 'centrifugo.json');
    writeFileSync(cfg, JSON.stringify(centrifugoConfig(SETTINGS, port), null, 2));
    const logFile = join(o.tmpDir, 'centrifugo.log');
    const p = spawnLogged(bin.path, ['-c', cfg], o, logFile, o.tmpDir);
    await waitApi(port, p, 30_000, 'centrifugo');
    return { roots: [p.child.pid!], wsPort: port, apiPort: port, version: bin.version, logFile, stop: () => stopProcess(p, 5_000) };
  },
};

const uws: Target = {
  id: 'uws',
  label: TARGET_LABELS.uws,
  async prepare() {
    return { available: true };
  },
  async start(o) {
    const port = await freePort();
    const logFile = join(o.tmpDir, 'uws.log');
    const p = spawnLogged(
      process.execPath,
      ['--conditions=gyre-source', '--import', 'tsx', ...nodeArgs(o, 'uws'), join(o.repoRoot, 'bench/baseline_uws.ts'), '--port', String(port), '--secret', SETTINGS.hmacSecret, '--api-key', SETTINGS.apiKey],
      o, logFile, o.repoRoot,
    );
    await waitApi(port, p, 30_000, 'baseline_uws');
    return { roots: [p.child.pid!], wsPort: port, apiPort: port, version: 'uWebSockets.js (workspace)', logFile, stop: () => stopProcess(p, o.cpuProfDir ? 30_000 : 5_000) };
  },
};

export const TARGETS: Record<TargetId, Target> = { gyre: gyreEmbedded, 'gyre-cluster': gyreCluster, centrifugo, uws };
