/**
 * Where the time goes: a summary of a V8 `.cpuprofile` (node --cpu-prof) restricted to the steady
 * window, by function (self time) and by package/file group. V8's profile clock is CLOCK_MONOTONIC in
 * microseconds on Linux, the same clock as process.hrtime, so the bench's window applies directly.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time in the window, ms, and the part that was not idle. */
  windowMs: number;
  busyMs: number;
  topFunctions: ProfileEntry[];
  groups: ProfileEntry[];
}

/** The bucket a frame's time is charged to: a Gyre package, a dependency, Node, or V8. */
export function groupOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'V8 garbage collector';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(idle)') return 'idle';
    return `native ${functionName || '(anonymous)'}`;
  }
  let m = /\/(libs|services)\/([^/]+)\/src\/([^?]+)/.exec(url);
  if (m) return `${m[1]}/${m[2]}/${m[3]}`;
  m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node internals';
  m = /\/bench\/([^?]+)/.exec(url);
  if (m) return `bench/${m[1]}`;
  return url;
}

function shortUrl(url: string): string {
  const m = /\/(libs|services)\/([^/]+)\/src\/([^?]+)/.exec(url) ?? /node_modules\/((?:@[^/]+\/)?[^/]+\/.*)/.exec(url);
  if (m) return m.length > 3 ? `${m[1]}/${m[2]}/${m[3]}` : m[1]!;
  return url.replace(/^file:\/\/.*\/bench\//, 'bench/');
}

export function summarizeProfile(p: CpuProfile, file: string, fromUs = -Infinity, toUs = Infinity, top = 15): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = p.startTime;
  if (p.samples.length === 0) return { file, windowMs: 0, busyMs: 0, topFunctions: [], groups: [] };
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < fromUs || t > toUs) continue;
    // A sample's weight is the time until the next one (the last one gets the previous delta).
    const w = p.timeDeltas[i + 1] ?? dt;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + w);
    total += w;
  }
  const fn = new Map<string, number>();
  const grp = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id)!.callFrame;
    const g = groupOf(cf.url, cf.functionName);
    if (g === 'idle') {
      idle += us;
      continue;
    }
    // Line numbers of tsx-compiled sources are not the source's; they are left out.
    const name = cf.url ? `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}` : cf.functionName;
    fn.set(name, (fn.get(name) ?? 0) + us);
    grp.set(g, (grp.get(g) ?? 0) + us);
  }
  const busy = total - idle;
  const entries = (m: Map<string, number>): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busy > 0 ? (us / busy) * 100 : 0 }));
  return { file, windowMs: total / 1000, busyMs: busy / 1000, topFunctions: entries(fn), groups: entries(grp) };
}

/** Every `.cpuprofile` below `dir` (one folder per server process name). */
export function findProfiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...findProfiles(p));
    else if (e.endsWith('.cpuprofile')) out.push(p);
  }
  return out.sort();
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function formatSummary(s: ProfileSummary): string {
  const pct = (e: ProfileEntry): string => `${e.percent.toFixed(1).padStart(5)}%  ${e.name}`;
  return [
    `profile ${s.file}: ${s.busyMs.toFixed(0)} ms busy of ${s.windowMs.toFixed(0)} ms sampled in the window`,
    '  by group (self time):',
    ...s.groups.map((e) => '    ' + pct(e)),
    '  top functions (self time):',
    ...s.topFunctions.map((e) => '    ' + pct(e)),
  ].join('\n');
}
