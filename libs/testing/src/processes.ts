// Child processes and temp dirs that must not outlive the test process.
//
// Every child is spawned in its own process group (detached), so a signal to the group reaches
// anything it forks, and a Ctrl-C aimed at the test runner does not race our own shutdown. Cleanup
// happens on three layers:
// 1. handles stop their children (stop()/kill()), normally from test teardown;
// 2. on process 'exit' (normal end, process.exit(), an uncaught exception) and on SIGINT, SIGTERM,
//    SIGHUP, every child group still alive gets SIGKILL and every temp dir is removed, synchronously;
// 3. a detached reaper process reads our registrations from a pipe; when the pipe closes because this
//    process died without running 'exit' handlers (SIGKILL, a crash in native code), the reaper kills
//    the remaining groups and removes the dirs. Set GYRE_TESTING_NO_REAPER=1 to do without it.
// Children and their pipes are unref'd: a forgotten server never keeps a test process alive.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';

const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
let handlersInstalled = false;
let reaper: ChildProcess | undefined;
let reaperFailed = false;

const REAPER_SCRIPT = `
const { rmSync } = require('node:fs');
const groups = new Set(); const dirs = new Set(); let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const op = line[0], arg = line.slice(1);
    if (op === '+') groups.add(Number(arg)); else if (op === '-') groups.delete(Number(arg));
    else if (op === 'D') dirs.add(arg); else if (op === 'd') dirs.delete(arg);
  }
});
const reap = () => {
  for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} }
  for (const d of dirs) { try { rmSync(d, { recursive: true, force: true }); } catch {} }
  process.exit(0);
};
process.stdin.on('end', reap); process.stdin.on('close', reap); process.stdin.on('error', reap);
process.on('SIGINT', () => {}); process.on('SIGHUP', () => {});
`;

function tellReaper(line: string): void {
  if (process.env.GYRE_TESTING_NO_REAPER === '1' || reaperFailed) return;
  if (!reaper) {
    try {
      reaper = spawn(process.execPath, ['-e', REAPER_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      reaper.on('error', () => {
        reaperFailed = true;
      });
      reaper.stdin!.on('error', () => {
        reaperFailed = true;
      });
      reaper.unref();
      (reaper.stdin as unknown as Socket).unref?.();
    } catch {
      reaperFailed = true;
      return;
    }
  }
  reaper.stdin!.write(line + '\n');
}

function killAllSync(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveGroups.clear();
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  liveDirs.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      process.removeListener(signal, onSignal);
      // Keep the default outcome (death by this signal) unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** A temp dir removed on cleanup (see releaseTempDir) or, failing that, when the process exits. */
export function makeTempDir(prefix: string): string {
  installHandlers();
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  liveDirs.add(dir);
  tellReaper('D' + dir);
  return dir;
}

/** Removes a temp dir made by makeTempDir now. */
export function releaseTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  if (liveDirs.delete(dir)) tellReaper('d' + dir);
}

export interface TrackedChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the process has exited and been reaped (so process.kill(pid, 0) fails). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True until the process exited. */
  readonly running: boolean;
  /** Everything written to stdout so far (last 1 MiB). */
  stdout(): string;
  /** Everything written to stderr so far (last 1 MiB). */
  stderr(): string;
  /** Sends `signal` to the whole process group. No-op once exited. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Sends `signal` to the group, waits up to `graceMs` for exit, then SIGKILLs the group and waits.
   * Resolves with how the process ended.
   */
  terminate(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAX_CAPTURE = 1 << 20;

/**
 * Spawns a child in its own process group, tracked for cleanup, with stdout/stderr captured.
 * Throws (synchronously, as the spawn error) when the binary cannot be executed.
 */
export async function spawnTracked(command: string, args: readonly string[], opts: SpawnOptions = {}): Promise<TrackedChild> {
  installHandlers();
  const child = spawn(command, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid!;
  liveGroups.add(pid);
  tellReaper('+' + pid);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    out += d;
    if (out.length > MAX_CAPTURE) out = out.slice(-MAX_CAPTURE);
  });
  child.stderr!.on('data', (d: string) => {
    err += d;
    if (err.length > MAX_CAPTURE) err = err.slice(-MAX_CAPTURE);
  });
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      liveGroups.delete(pid);
      tellReaper('-' + pid);
      // Anything the process forked into its group goes with it.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // group already empty
      }
      resolve({ code, signal });
    });
  });
  child.unref();
  (child.stdout as unknown as Socket).unref?.();
  (child.stderr as unknown as Socket).unref?.();
  const tracked: TrackedChild = {
    child,
    pid,
    exited,
    get running() {
      return running;
    },
    stdout: () => out,
    stderr: () => err,
    signal(signal) {
      if (!running) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // raced with exit
      }
    },
    async terminate(signal = 'SIGTERM', graceMs = 5000) {
      if (!running) return exited;
      tracked.signal(signal);
      // A ref'd timer keeps the event loop alive while we wait for the unref'd child.
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        tracked.signal('SIGKILL');
        return keepAlive(exited);
      }
      return exited;
    },
  };
  return tracked;
}

/**
 * Awaits `promise` while holding a ref'd timer: waiting on an unref'd child alone would let the
 * event loop run dry and the test process exit mid-await.
 */
export async function keepAlive<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1 << 30);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}

/** Pids of children spawned through this module that are still running (for leak checks). */
export function runningChildren(): number[] {
  return [...liveGroups];
}

/** True when a process with this pid exists (and is not a reaped zombie). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
