/**
 * Server cost from /proc: CPU seconds (user + system, every thread, plus reaped children) and RSS of
 * a process tree. CPU time is the figure that stays honest on a shared 2-core box: whatever else
 * runs, the server's own seconds per delivered message do not depend on it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Clock ticks. */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  numThreads: number;
  /** Resident pages. */
  rssPages: number;
}

/** Parses /proc/<pid>/stat. `comm` may hold spaces and parentheses, so fields are read after the last ')'. */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`malformed /proc stat: ${text.slice(0, 60)}`);
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // Fields from 3 (state) on; f[0] is field 3.
  const f = text.slice(close + 2).trim().split(/\s+/);
  const n = (field: number): number => Number(f[field - 3]);
  return {
    pid,
    comm,
    state: f[0]!,
    ppid: n(4),
    utime: n(14),
    stime: n(15),
    cutime: n(16),
    cstime: n(17),
    numThreads: n(20),
    rssPages: n(24),
  };
}

let clkTck = 0;
let pageSize = 0;

function getconf(name: string, fallback: number): number {
  try {
    const v = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}

export function clockTicks(): number {
  return (clkTck ||= getconf('CLK_TCK', 100));
}

export function pageBytes(): number {
  return (pageSize ||= getconf('PAGESIZE', 4096));
}

export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** pid → ppid for every process, from a list of stat texts (separate for tests). */
export function childrenMap(stats: readonly ProcStat[]): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const s of stats) {
    const list = kids.get(s.ppid);
    if (list) list.push(s.pid);
    else kids.set(s.ppid, [s.pid]);
  }
  return kids;
}

/** The root and all its descendants, given every process's stat. */
export function treeOf(root: number, stats: readonly ProcStat[]): ProcStat[] {
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const kids = childrenMap(stats);
  const out: ProcStat[] = [];
  const todo = [root];
  const seen = new Set<number>();
  while (todo.length) {
    const pid = todo.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const s = byPid.get(pid);
    if (s) out.push(s);
    for (const k of kids.get(pid) ?? []) todo.push(k);
  }
  return out;
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

export interface TreeUsage {
  pids: number[];
  /** User + system CPU seconds of every process in the tree (reaped children included). */
  cpuSec: number;
  rssBytes: number;
  threads: number;
}

export function sumUsage(tree: readonly ProcStat[], ticks = clockTicks(), page = pageBytes()): TreeUsage {
  let t = 0;
  let rss = 0;
  let threads = 0;
  for (const s of tree) {
    t += s.utime + s.stime + s.cutime + s.cstime;
    rss += s.rssPages;
    threads += s.numThreads;
  }
  return { pids: tree.map((s) => s.pid), cpuSec: t / ticks, rssBytes: rss * page, threads };
}

/** Usage of the process tree under each root (a server may be several processes). */
export function treeUsage(roots: readonly number[]): TreeUsage {
  const stats = allStats();
  const seen = new Set<number>();
  const tree: ProcStat[] = [];
  for (const r of roots) {
    for (const s of treeOf(r, stats)) {
      if (!seen.has(s.pid)) {
        seen.add(s.pid);
        tree.push(s);
      }
    }
  }
  return sumUsage(tree);
}

/** Whole-machine CPU ticks from the first line of /proc/stat. */
export interface MachineTicks {
  busy: number;
  total: number;
}

export function parseProcStatCpu(text: string): MachineTicks {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function machineTicks(): MachineTicks {
  return parseProcStatCpu(readFileSync('/proc/stat', 'utf8'));
}

/** The `Rss:` line of /proc/<pid>/smaps_rollup, in bytes. */
export function parseSmapsRollupRss(text: string): number {
  const m = /^Rss:\s+(\d+) kB/m.exec(text);
  if (!m) throw new Error('no Rss line in smaps_rollup');
  return Number(m[1]) * 1024;
}

/**
 * Exact RSS of a process tree. The rss field of /proc/<pid>/stat is kept by the kernel in per-thread
 * batches of 64 pages, so small differences (a few hundred connections) drown in it; smaps_rollup
 * walks the page tables. Slower, so it is read only at the few points where memory is compared.
 */
export function treeRssExact(roots: readonly number[]): number {
  let total = 0;
  for (const pid of treeUsage(roots).pids) {
    try {
      total += parseSmapsRollupRss(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    } catch {
      const st = readStat(pid);
      if (st) total += st.rssPages * pageBytes();
    }
  }
  return total;
}
