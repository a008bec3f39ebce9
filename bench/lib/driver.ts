/**
 * Runs one scenario against one target: start the server fresh, check end to end that it can do the
 * job (connect, subscribe, a publication arrives), connect the load, publish at the fixed rate, and
 * measure the server's process tree from /proc over the steady window.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectCommand, decodeReplies, isPing, subscribeCommands } from '../loadgen/commands.js';
import type { FromWorker, SetupResult, Snapshot, ToWorker, WorkerSetup } from '../loadgen/ipc.js';
import type { FromPublisher, PublisherResult, PublisherStart } from '../loadgen/publisher.js';
import { monoUs, newTotals, WsConn, type Protocol, type Totals } from '../loadgen/ws_conn.js';
import { findProfiles, formatSummary, readProfile, summarizeProfile, type ProfileSummary } from './cpuprofile.js';
import { generateConnectToken } from '@gyre/auth';
import { machineTicks, treeRssExact, treeUsage, type TreeUsage } from './procstat.js';
import { offeredPerSec, type Scenario } from './scenarios.js';
import { distribution, scaleDistribution, type Distribution } from './stats.js';
import { SETTINGS, TARGETS, type RunningServer, type TargetId } from './targets.js';

export interface RunContext {
  repoRoot: string;
  cacheDir: string;
  tmpDir: string;
  protocol: Protocol;
  /** taskset CPU lists, or null for no pinning. */
  serverCpus: string | null;
  loadCpus: string | null;
  cpuProfDir: string | null;
  /** Connections per load-generator process (each process has its own open-file limit). */
  perWorker: number;
  /** Connections per source address. */
  perAddress: number;
  /** Distinct per scenario × target run, so source addresses (and their ports) are fresh. */
  runIndex: number;
  /** How long to wait for other work on the machine to finish before each run. */
  quietWaitMs: number;
  log: (s: string) => void;
}

export interface ConnectStats {
  requested: number;
  ok: number;
  failed: number;
  reasons: Record<string, number>;
  seconds: number;
  perSec: number;
  /** Connect → connect reply, ms. */
  latencyMs: Distribution;
  serverCpuSec: number;
  serverCpuUsPerConnect: number;
  /** Over the connect phase, % of one core. */
  serverCpuPercent: number;
  loadgenCpuPercent: number;
}

export interface PublishStats {
  offeredPerSec: number;
  windowSec: number;
  deliveredInWindow: number;
  deliveredPerSec: number;
  serverCpuSec: number;
  serverCpuPercent: number;
  cpuUsPerMsg: number;
  loadgenCpuPercent: number;
  machineBusyPercent: number;
  /** CPU used by processes other than the server and the load generator, % of one core. */
  otherCpuPercent: number;
  /** Whole publish phase, with drain: publications the API accepted × subscribers vs counted. */
  expected: number;
  received: number;
  lost: number;
  lossPercent: number;
  latencyMs: Distribution;
  apiCallMs: Distribution;
  publisher: Omit<PublisherResult, 'type' | 'callUs'>;
  framesPerMsg: number;
  bytesPerMsg: number;
}

export interface IdleStats {
  windowSec: number;
  serverCpuPercent: number;
  /** Server CPU per connection per second, µs. */
  cpuUsPerConnSec: number;
}

export interface TargetResult {
  target: TargetId;
  label: string;
  status: 'ok' | 'unavailable' | 'failed';
  reason?: string;
  version?: string;
  connect?: ConnectStats;
  publish?: PublishStats;
  idle?: IdleStats;
  rss?: { beforeBytes: number; afterConnectBytes: number; endBytes: number; perConnBytes: number };
  dropped?: number;
  dropReasons?: Record<string, number>;
  serverThreads?: number;
  /** Cores busy with other work just before the run (after waiting for quiet). */
  busyCoresBefore?: number;
  /** Runs made (a latency window disturbed by other work is run again). */
  attempts?: number;
  /** With --cpu-prof: where the server's time went in the measured window. */
  profiles?: ProfileSummary[];
  warnings: string[];
}

const cpuCount = (): number => cpus().length;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tsxNode(ctx: RunContext, script: string, args: string[] = []): ChildProcess {
  const argv = [process.execPath, '--conditions=gyre-source', '--import', 'tsx', join(ctx.repoRoot, script), ...args];
  const full = ctx.loadCpus ? ['taskset', '-c', ctx.loadCpus, ...argv] : argv;
  return spawn(full[0]!, full.slice(1), { cwd: ctx.repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** A child process driven by messages; `next(type)` resolves with its next message of that type. */
class Child<In, Out extends { type: string }> {
  readonly proc: ChildProcess;
  private readonly waiters: { type: string; resolve: (m: Out) => void; reject: (e: Error) => void }[] = [];
  private readonly queue: Out[] = [];
  onAny: ((m: Out) => void) | null = null;
  exited = false;

  constructor(proc: ChildProcess, readonly name: string) {
    this.proc = proc;
    proc.on('message', (m: Out) => {
      this.onAny?.(m);
      const i = this.waiters.findIndex((w) => w.type === m.type || m.type === 'fatal');
      if (i >= 0) {
        const w = this.waiters.splice(i, 1)[0]!;
        if (m.type === 'fatal' && w.type !== 'fatal') w.reject(new Error(`${name}: ${(m as unknown as { message: string }).message}`));
        else w.resolve(m);
      } else this.queue.push(m);
    });
    proc.on('exit', (code) => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`${name} exited (${code})`));
    });
  }

  send(m: In): void {
    if (this.proc.connected) this.proc.send(m as object);
  }

  next<T extends Out['type']>(type: T, timeoutMs: number): Promise<Extract<Out, { type: T }>> {
    const q = this.queue.findIndex((m) => m.type === type);
    if (q >= 0) return Promise.resolve(this.queue.splice(q, 1)[0] as Extract<Out, { type: T }>);
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    return new Promise((resolve, reject) => {
      const w = { type, resolve: resolve as (m: Out) => void, reject };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`));
        }
      }, timeoutMs).unref();
    });
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}

type Worker = Child<ToWorker, FromWorker>;
type Publisher = Child<PublisherStart, FromPublisher>;

/**
 * One connection that connects, subscribes to `channel`, and waits for a publication sent through the
 * API: proves the target does the whole job before load is pointed at it.
 */
async function probe(server: RunningServer, ctx: RunContext, channel: string): Promise<string | null> {
  const totals = newTotals();
  return new Promise<string | null>((resolve) => {
    let done = false;
    const finish = (why: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.close();
      resolve(why);
    };
    let step = 0;
    const conn = new WsConn({
      host: '127.0.0.1',
      port: server.wsPort,
      path: '/connection/websocket',
      protocol: ctx.protocol,
      totals,
      onOpen: (c) => c.send(connectCommand(ctx.protocol, generateConnectToken({ hmacSecretKey: SETTINGS.hmacSecret, user: 'probe', ttlSeconds: 600 }))),
      onMessage: (c, msg) => {
        let replies;
        try {
          replies = decodeReplies(ctx.protocol, msg);
        } catch (err) {
          return finish(`undecodable reply: ${(err as Error).message}`);
        }
        for (const r of replies) {
          if (isPing(r)) continue;
          if (r.error) return finish(`${step === 0 ? 'connect' : 'subscribe'} error ${r.error.code}: ${r.error.message}`);
          if (step === 0 && r.id === 1) {
            step = 1;
            c.send(subscribeCommands(ctx.protocol, [channel]));
          } else if (step === 1 && r.id === 2) {
            step = 2;
            fetch(`http://127.0.0.1:${server.apiPort}/api/publish`, {
              method: 'POST',
              headers: { 'x-api-key': SETTINGS.apiKey, 'content-type': 'application/json' },
              body: JSON.stringify({ channel, data: { probe: true } }),
            })
              .then(async (res) => {
                const text = await res.text();
                if (res.status !== 200 || text.includes('"error"')) finish(`publish answered ${res.status} ${text.slice(0, 100)}`);
              })
              .catch((err: Error) => finish(`publish failed: ${err.message}`));
          } else if (step === 2 && r.push?.pub !== undefined) {
            return finish(null);
          }
        }
      },
      onClose: (_c, reason) => finish(`connection ${reason} at step ${['connect', 'subscribe', 'publish'][step]}`),
    });
    const timer = setTimeout(() => finish(`no ${['connect reply', 'subscribe reply', 'publication'][step]} within 5 s`), 5_000);
  });
}

function sumTotals(snaps: Snapshot[]): Totals & { dropped: number; dropReasons: Record<string, number> } {
  const t = { ...newTotals(), dropped: 0, dropReasons: {} as Record<string, number> };
  for (const s of snaps) {
    t.messages += s.totals.messages;
    t.frames += s.totals.frames;
    t.bytes += s.totals.bytes;
    t.appPings += s.totals.appPings;
    t.wsPings += s.totals.wsPings;
    t.dropped += s.dropped;
    for (const [k, v] of Object.entries(s.dropReasons)) t.dropReasons[k] = (t.dropReasons[k] ?? 0) + v;
  }
  return t;
}

let snapId = 0;
async function snapshot(workers: Worker[]): Promise<Snapshot[]> {
  const id = ++snapId;
  const waits = workers.map((w) => w.next('snapshot', 10_000));
  for (const w of workers) w.send({ type: 'snapshot', id });
  return Promise.all(waits);
}

interface Probe {
  server: TreeUsage;
  load: TreeUsage;
  machine: { busy: number; total: number };
  atMs: number;
}

function measure(server: RunningServer, loadPids: number[]): Probe {
  return { server: treeUsage(server.roots), load: treeUsage(loadPids), machine: machineTicks(), atMs: performance.now() };
}

/**
 * Waits (up to `maxMs`) until the machine is quiet: other sessions' builds and test suites share these
 * cores, and a window measured while they run has disturbed latencies. Returns the busy cores seen.
 */
async function waitForQuiet(maxMs: number, log: (s: string) => void): Promise<number> {
  const until = Date.now() + maxMs;
  let said = false;
  for (;;) {
    const a = machineTicks();
    await sleep(1000);
    const b = machineTicks();
    const busyCores = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * cpuCount();
    if (busyCores < 0.3 || Date.now() >= until) {
      if (said) log(`    machine ${busyCores < 0.3 ? 'quiet' : 'still busy'} (${busyCores.toFixed(2)} cores busy)`);
      return busyCores;
    }
    if (!said) log(`    waiting for the machine to quiet down (${busyCores.toFixed(2)} cores busy with other work)`);
    said = true;
  }
}

export async function runOne(s: Scenario, targetId: TargetId, ctx: RunContext): Promise<TargetResult> {
  const target = TARGETS[targetId];
  const res: TargetResult = { target: targetId, label: target.label, status: 'failed', warnings: [] };
  res.busyCoresBefore = await waitForQuiet(ctx.quietWaitMs, ctx.log);
  const tmp = join(ctx.tmpDir, `${s.name}-${targetId}`);
  mkdirSync(tmp, { recursive: true });
  let server: RunningServer;
  const profDir = ctx.cpuProfDir ? join(ctx.cpuProfDir, `${s.name}-${targetId}`) : null;
  if (profDir) mkdirSync(profDir, { recursive: true });
  // The measured window in monotonic µs (for restricting CPU profiles to it).
  let window: [number, number] = [-Infinity, Infinity];
  try {
    server = await target.start({ repoRoot: ctx.repoRoot, cacheDir: ctx.cacheDir, tmpDir: tmp, cpus: ctx.serverCpus, cpuProfDir: profDir, log: ctx.log });
  } catch (err) {
    res.status = 'unavailable';
    res.reason = `did not start: ${(err as Error).message}`;
    return res;
  }
  res.version = server.version;
  const workers: Worker[] = [];
  let publisher: Publisher | null = null;
  try {
    const probeChannel = s.plan.prefix.includes(':') ? s.plan.prefix.split(':')[0] + ':probe' : 'probe';
    const why = await probe(server, ctx, probeChannel);
    if (why !== null) {
      res.status = 'unavailable';
      res.reason = `end-to-end probe failed: ${why} (server log: ${server.logFile})`;
      return res;
    }
    await sleep(500);
    const rssBefore = treeRssExact(server.roots);

    // Load generators: each process holds at most perWorker connections (its own open-file limit).
    const nWorkers = Math.max(1, Math.ceil(s.connections / ctx.perWorker));
    const per = Math.ceil(s.connections / nWorkers);
    const octet2 = 1 + (ctx.runIndex % 250);
    for (let w = 0; w < nWorkers; w++) {
      const first = w * per;
      const count = Math.min(per, s.connections - first);
      if (count <= 0) break;
      const worker: Worker = new Child(tsxNode(ctx, 'bench/loadgen/worker.ts'), `worker ${w}`);
      workers.push(worker);
      const addrs = Array.from({ length: Math.ceil(count / ctx.perAddress) }, (_, i) => `127.${octet2}.${w + 1}.${i + 1}`);
      const setup: WorkerSetup = {
        type: 'setup', host: '127.0.0.1', port: server.wsPort, path: '/connection/websocket', protocol: ctx.protocol,
        first, count, plan: s.plan, localAddresses: addrs, perAddress: ctx.perAddress,
        hmacSecret: SETTINGS.hmacSecret, userPrefix: 'u', concurrency: s.concurrency,
        samplers: s.publish ? 64 : 0, connectTimeoutMs: 60_000, lifetimeMs: 15 * 60_000,
      };
      worker.send(setup);
    }
    await Promise.all(workers.map((w) => w.next('tokens', 60_000)));
    const loadPids = (): number[] => [...workers.map((w) => w.proc.pid!), ...(publisher ? [publisher.proc.pid!] : [])];

    // Connect (and subscribe) everything; this is the connect storm's measured phase.
    const c0 = measure(server, loadPids());
    let lastLog = 0;
    for (const w of workers) {
      w.onAny = (m) => {
        if (m.type === 'progress' && Date.now() - lastLog > 3000) {
          lastLog = Date.now();
          ctx.log(`    connecting: ${w.name} ${m.ok} ok, ${m.failed} failed`);
        }
      };
    }
    for (const w of workers) w.send({ type: 'go' });
    const setups: SetupResult[] = await Promise.all(workers.map((w) => w.next('ready', 120_000 + s.connections * 10)));
    const c1 = measure(server, loadPids());
    const ok = setups.reduce((a, r) => a + r.ok, 0);
    const failed = setups.reduce((a, r) => a + r.failed, 0);
    const reasons: Record<string, number> = {};
    for (const r of setups) for (const [k, v] of Object.entries(r.reasons)) reasons[k] = (reasons[k] ?? 0) + v;
    window = [Math.min(...setups.map((r) => r.firstStartUs)), Math.max(...setups.map((r) => r.lastReadyUs))];
    const span = (window[1] - window[0]) / 1e6;
    const connectCpu = c1.server.cpuSec - c0.server.cpuSec;
    res.connect = {
      requested: s.connections, ok, failed, reasons, seconds: span, perSec: span > 0 ? ok / span : 0,
      latencyMs: scaleDistribution(distribution(setups.flatMap((r) => r.connectUs)), 1e-3),
      serverCpuSec: connectCpu, serverCpuUsPerConnect: ok > 0 ? (connectCpu / ok) * 1e6 : NaN,
      serverCpuPercent: (connectCpu / ((c1.atMs - c0.atMs) / 1000)) * 100,
      loadgenCpuPercent: ((c1.load.cpuSec - c0.load.cpuSec) / ((c1.atMs - c0.atMs) / 1000)) * 100,
    };
    const loadCores = ctx.loadCpus ? ctx.loadCpus.split(',').length : cpuCount();
    if (s.group === 'connect' && res.connect.loadgenCpuPercent > 85 * loadCores) {
      res.warnings.push(`connects/s is limited by the load generator (${res.connect.loadgenCpuPercent.toFixed(0)}% CPU on ${loadCores} core(s), server ${res.connect.serverCpuPercent.toFixed(0)}%): compare CPU per connect`);
    }
    ctx.log(`    connected ${ok}/${s.connections} in ${span.toFixed(2)} s${failed ? `, ${failed} failed: ${JSON.stringify(reasons)}` : ''}`);
    if (ok === 0) {
      res.reason = `no connection succeeded: ${JSON.stringify(reasons)}`;
      return res;
    }
    if (failed > 0) res.warnings.push(`${failed} of ${s.connections} connections failed: ${JSON.stringify(reasons)}`);

    await sleep(2_000);
    const afterConnect = treeUsage(server.roots);
    const rssAfterConnect = treeRssExact(server.roots);
    res.rss = { beforeBytes: rssBefore, afterConnectBytes: rssAfterConnect, endBytes: rssAfterConnect, perConnBytes: (rssAfterConnect - rssBefore) / ok };
    res.serverThreads = afterConnect.threads;

    if (s.idleMs > 0) {
      const i0 = measure(server, loadPids());
      const i0Us = monoUs();
      await sleep(s.idleMs);
      const i1 = measure(server, loadPids());
      window = [i0Us, monoUs()];
      const sec = (i1.atMs - i0.atMs) / 1000;
      const cpu = i1.server.cpuSec - i0.server.cpuSec;
      res.idle = { windowSec: sec, serverCpuPercent: (cpu / sec) * 100, cpuUsPerConnSec: (cpu / sec / ok) * 1e6 };
      res.rss.endBytes = treeRssExact(server.roots);
      res.rss.perConnBytes = (res.rss.endBytes - rssBefore) / ok;
    }

    if (s.publish) {
      const p = s.publish;
      publisher = new Child(tsxNode(ctx, 'bench/loadgen/publisher.ts'), 'publisher');
      const start: PublisherStart = {
        type: 'start', origin: `http://127.0.0.1:${server.apiPort}`, apiKey: SETTINGS.apiKey, method: p.method,
        channelPrefix: s.plan.prefix, channelCount: s.plan.count, channelsPerCall: p.channelsPerCall, rate: p.rate,
        durationMs: p.warmupMs + p.steadyMs + 500, payloadBytes: p.payloadBytes, connections: 16, maxInFlight: 512,
        lifetimeMs: p.warmupMs + p.steadyMs + 120_000,
      };
      const snap0 = sumTotals(await snapshot(workers));
      publisher.send(start);
      await publisher.next('started', 30_000);
      await sleep(p.warmupMs);
      const a = measure(server, loadPids());
      const sa = await snapshot(workers);
      const aUs = Math.max(...sa.map((x) => x.atUs));
      await sleep(p.steadyMs);
      const b = measure(server, loadPids());
      const sb = await snapshot(workers);
      const bUs = Math.min(...sb.map((x) => x.atUs));
      window = [aUs, bUs];
      const pub = await publisher.next('done', 60_000);
      // Drain: wait until the counts stop moving.
      let last = sumTotals(await snapshot(workers));
      for (let still = 0, i = 0; still < 4 && i < 40; i++) {
        await sleep(250);
        const cur = sumTotals(await snapshot(workers));
        still = cur.messages === last.messages ? still + 1 : 0;
        last = cur;
      }
      const ta = sumTotals(sa);
      const tb = sumTotals(sb);
      const sec = (b.atMs - a.atMs) / 1000;
      const delivered = tb.messages - ta.messages;
      const cpu = b.server.cpuSec - a.server.cpuSec;
      const lat = await Promise.all(workers.map(async (w) => {
        const wait = w.next('latency', 30_000);
        w.send({ type: 'latency', id: 0, fromUs: aUs, toUs: bUs });
        return (await wait).samples;
      }));
      const expected = pub.channelPublications * s.subscribersPerChannel;
      const received = last.messages - snap0.messages;
      const { type: _t, callUs, ...pubRest } = pub;
      res.publish = {
        offeredPerSec: offeredPerSec(s),
        windowSec: sec,
        deliveredInWindow: delivered,
        deliveredPerSec: delivered / sec,
        serverCpuSec: cpu,
        serverCpuPercent: (cpu / sec) * 100,
        cpuUsPerMsg: delivered > 0 ? (cpu / delivered) * 1e6 : NaN,
        loadgenCpuPercent: ((b.load.cpuSec - a.load.cpuSec) / sec) * 100,
        machineBusyPercent: ((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * 100,
        otherCpuPercent: 0,
        expected,
        received,
        lost: expected - received,
        lossPercent: expected > 0 ? ((expected - received) / expected) * 100 : 0,
        latencyMs: scaleDistribution(distribution(lat.flat()), 1e-3),
        apiCallMs: scaleDistribution(distribution(callUs), 1e-3),
        publisher: pubRest,
        framesPerMsg: delivered > 0 ? (tb.frames - ta.frames) / delivered : NaN,
        bytesPerMsg: delivered > 0 ? (tb.bytes - ta.bytes) / delivered : NaN,
      };
      res.rss.endBytes = treeRssExact(server.roots);
      res.dropped = last.dropped;
      res.dropReasons = last.dropReasons;
      const pp = res.publish;
      pp.otherCpuPercent = Math.max(0, pp.machineBusyPercent * cpuCount() - pp.serverCpuPercent - pp.loadgenCpuPercent);
      if (pp.otherCpuPercent > 25) res.warnings.push(`other processes on the machine used ${pp.otherCpuPercent.toFixed(0)}% of a core during the window: latency figures are disturbed (CPU per message is not)`);
      if (pub.skipped > 0) res.warnings.push(`publisher skipped ${pub.skipped} of ${pub.scheduled} scheduled calls (more than ${start.maxInFlight} in flight)`);
      if (pub.failed > 0) res.warnings.push(`${pub.failed} API calls failed: ${JSON.stringify(pub.errors)}`);
      if (pp.deliveredPerSec < 0.95 * pp.offeredPerSec) res.warnings.push(`delivered ${Math.round(pp.deliveredPerSec)}/s of ${Math.round(pp.offeredPerSec)}/s offered`);
      if (pp.loadgenCpuPercent > 85 * loadCores) res.warnings.push(`load generator near saturation (${pp.loadgenCpuPercent.toFixed(0)}% CPU on ${loadCores} core(s)): figures may be limited by the client`);
      if (pp.lost !== 0) res.warnings.push(`${pp.lost} of ${pp.expected} expected deliveries missing (${pp.lossPercent.toFixed(3)}%)`);
    }
    if ((res.dropped ?? 0) > 0) res.warnings.push(`${res.dropped} connections closed by the server during the run: ${JSON.stringify(res.dropReasons)}`);
    res.status = 'ok';
    return res;
  } catch (err) {
    res.status = 'failed';
    res.reason = (err as Error).message;
    return res;
  } finally {
    // The server goes first: it closes the sockets, so TIME_WAIT lands on its side, not on the
    // load generator's source ports.
    await server.stop().catch(() => {});
    if (profDir) {
      // A helper thread (tsx's loader) writes its own, empty profile: keep the ones with samples.
      res.profiles = findProfiles(profDir).map((f) => summarizeProfile(readProfile(f), f, window[0], window[1], 25)).filter((p) => p.busyMs > 0);
      for (const p of res.profiles) ctx.log(formatSummary(p).replace(/^/gm, '     '));
    }
    for (const w of workers) w.send({ type: 'close' });
    publisher?.kill();
    await sleep(300);
    for (const w of workers) w.kill();
  }
}
