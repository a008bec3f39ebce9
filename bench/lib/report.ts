/**
 * Turning results into the ratio table, the targets check, the SVG chart and docs/benchmarks.md.
 * Pure functions of the result documents, so they are unit-tested without running any load.
 */
import type { Machine } from './machine.js';
import type { TargetResult } from './driver.js';
import { GROUPS, type PrimaryMetric, type Scenario } from './scenarios.js';
import { fmt, ratio } from './stats.js';
import { TARGET_IDS, TARGET_LABELS, type TargetId } from './targets.js';

export interface ScenarioResult {
  scenario: Scenario;
  results: TargetResult[];
}

export interface ResultDoc {
  schema: 1;
  group: string;
  date: string;
  command: string;
  machine: Machine;
  options: { quick: boolean; protocol: string; pinning: string; centrifugo: string; targets: string[]; cpuProf?: boolean };
  scenarios: ScenarioResult[];
}

export const METRIC_LABELS: Record<PrimaryMetric, string> = {
  cpuUsPerMsg: 'server CPU µs per delivered message',
  rssPerConn: 'server RSS KiB per connection',
  cpuUsPerConnect: 'server CPU µs per JWT connect',
  p99Ms: 'publish → delivery p99, ms',
};

/** The number a scenario is judged by, for one target; null when the target did not run. */
export function primaryValue(metric: PrimaryMetric, r: TargetResult | undefined): number | null {
  if (!r || r.status !== 'ok') return null;
  let v: number | undefined;
  switch (metric) {
    case 'cpuUsPerMsg':
      v = r.publish?.cpuUsPerMsg;
      break;
    case 'rssPerConn':
      v = r.rss ? r.rss.perConnBytes / 1024 : undefined;
      break;
    case 'cpuUsPerConnect':
      v = r.connect?.serverCpuUsPerConnect;
      break;
    case 'p99Ms':
      v = r.publish?.latencyMs.p99;
      break;
  }
  return v !== undefined && Number.isFinite(v) ? v : null;
}

export interface RatioRow {
  scenario: string;
  title: string;
  metric: PrimaryMetric;
  value: Partial<Record<TargetId, number | null>>;
  status: Partial<Record<TargetId, string>>;
  vsCentrifugo: Partial<Record<TargetId, number | null>>;
  vsUws: Partial<Record<TargetId, number | null>>;
}

export function ratioRows(entries: readonly ScenarioResult[]): RatioRow[] {
  return entries.map(({ scenario, results }) => {
    const by = new Map(results.map((r) => [r.target, r]));
    const row: RatioRow = { scenario: scenario.name, title: scenario.title, metric: scenario.primary, value: {}, status: {}, vsCentrifugo: {}, vsUws: {} };
    const c = primaryValue(scenario.primary, by.get('centrifugo'));
    const u = primaryValue(scenario.primary, by.get('uws'));
    for (const t of TARGET_IDS) {
      const r = by.get(t);
      if (!r) continue;
      const v = primaryValue(scenario.primary, r);
      row.value[t] = v;
      row.status[t] = r.status === 'ok' ? 'ok' : `${r.status}: ${r.reason ?? ''}`;
      row.vsCentrifugo[t] = ratio(v, c);
      row.vsUws[t] = ratio(v, u);
    }
    return row;
  });
}

const cell = (v: number | null | undefined, suffix = ''): string => (v === null || v === undefined ? 'n/a' : fmt(v) + suffix);

/** The ratio table: one line per scenario and target that appears in the results. */
export function ratioTableMarkdown(rows: readonly RatioRow[]): string {
  const lines = ['| scenario | metric (lower is better) | target | value | ÷ Centrifugo | ÷ bare uWS |', '| --- | --- | --- | ---: | ---: | ---: |'];
  for (const r of rows) {
    for (const t of TARGET_IDS) {
      if (!(t in r.status)) continue;
      const st = r.status[t]!;
      const value = st === 'ok' ? cell(r.value[t]) : st.startsWith('unavailable') ? 'not available' : 'failed';
      lines.push(`| ${r.scenario} | ${METRIC_LABELS[r.metric]} | ${TARGET_LABELS[t]} | ${value} | ${cell(r.vsCentrifugo[t], '×')} | ${cell(r.vsUws[t], '×')} |`);
    }
  }
  return lines.join('\n');
}

/** Plain-text version of the ratio table for the terminal. */
export function ratioTableText(rows: readonly RatioRow[]): string {
  const head = ['scenario', 'metric', 'target', 'value', '÷centrifugo', '÷uws'];
  const body: string[][] = [];
  for (const r of rows) {
    for (const t of TARGET_IDS) {
      if (!(t in r.status)) continue;
      const st = r.status[t]!;
      body.push([
        r.scenario, r.metric, t,
        st === 'ok' ? cell(r.value[t]) : st.startsWith('unavailable') ? 'n/a' : 'failed',
        cell(r.vsCentrifugo[t], 'x'), cell(r.vsUws[t], 'x'),
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]): string => cols.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

export interface TargetCheck {
  target: string;
  goal: string;
  measured: string;
  met: boolean | null;
  gap: string;
}

/** How far a ratio is from its goal, e.g. "142% over the goal: needs 2.42× less". */
function over(v: number, goal: number): string {
  return `${fmt((v / goal - 1) * 100)}% over the goal: needs ${fmt(v / goal)}× less`;
}

/** The issue's targets, checked against Gyre embedded's results. */
export function targetChecks(entries: readonly ScenarioResult[]): TargetCheck[] {
  const rows = ratioRows(entries);
  const out: TargetCheck[] = [];
  const gyre: TargetId = 'gyre';
  const byName = new Map(rows.map((r) => [r.scenario, r]));
  for (const r of rows) {
    if (r.metric !== 'cpuUsPerMsg') continue;
    const vc = r.vsCentrifugo[gyre];
    out.push({
      target: `${r.scenario}: CPU per delivered message vs Centrifugo`, goal: '≤ 0.5×', measured: cell(vc, '×'),
      met: vc === null || vc === undefined ? null : vc <= 0.5, gap: vc ? (vc <= 0.5 ? '' : over(vc, 0.5)) : 'no data',
    });
    const vu = r.vsUws[gyre];
    out.push({
      target: `${r.scenario}: CPU per delivered message vs bare uWS`, goal: '≤ 1.3×', measured: cell(vu, '×'),
      met: vu === null || vu === undefined ? null : vu <= 1.3, gap: vu ? (vu <= 1.3 ? '' : over(vu, 1.3)) : 'no data',
    });
  }
  const idle = byName.get('idle');
  if (idle) {
    const kib = idle.value[gyre];
    out.push({
      target: 'idle: RSS per subscribed connection', goal: '≤ 4 KiB', measured: cell(kib, ' KiB'),
      met: kib === null || kib === undefined ? null : kib <= 4, gap: kib ? (kib <= 4 ? '' : `${fmt(kib - 4)} KiB over (${fmt(kib / 4)}×)`) : 'no data',
    });
  }
  const lat = byName.get('latency');
  if (lat) {
    const p99 = lat.value[gyre];
    out.push({
      target: 'latency: p99 at 20k delivered msgs/s, history on', goal: '≤ 5 ms', measured: cell(p99, ' ms'),
      met: p99 === null || p99 === undefined ? null : p99 <= 5, gap: p99 ? (p99 <= 5 ? '' : `${fmt(p99 - 5)} ms over (${fmt(p99 / 5)}×)`) : 'no data',
    });
  }
  const fan = rows.filter((r) => r.scenario.startsWith('fanout-')).map((r) => ({ name: r.scenario, v: r.value[gyre] ?? null }));
  const vals = fan.filter((f) => f.v !== null).map((f) => f.v!);
  if (fan.length >= 2) {
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const spread = vals.length >= 2 ? hi / lo - 1 : null;
    out.push({
      target: `fan-out: flat cost per delivered message across ${fan.map((f) => f.name.slice(7)).join(' / ')} subscribers`,
      goal: '±20% (max/min ≤ 1.2)', measured: spread === null ? 'n/a' : `max/min = ${fmt(hi / lo)} (${fan.map((f) => `${f.name.slice(7)}: ${cell(f.v)} µs`).join(', ')})`,
      met: spread === null ? null : spread <= 0.2, gap: spread === null ? 'no data' : spread <= 0.2 ? '' : `${fmt(spread * 100)}% spread`,
    });
  }
  return out;
}

// ---- SVG chart -------------------------------------------------------------------------------------

const COLORS: Record<TargetId, string> = { gyre: '#2563eb', 'gyre-cluster': '#7c3aed', centrifugo: '#ea580c', uws: '#16a34a' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Two panels of horizontal bars on a log scale: each target's primary metric ÷ Centrifugo's, and
 * ÷ the bare uWS script's. Missing values are drawn as a grey "n/a" label, never as a bar.
 */
export function ratioChartSvg(rows: readonly RatioRow[], caption: string): string {
  const panels: { title: string; key: 'vsCentrifugo' | 'vsUws'; targets: TargetId[]; goal: number | null; goalLabel: string }[] = [
    { title: '÷ Centrifugo (1 = same as Centrifugo; lower is better)', key: 'vsCentrifugo', targets: ['gyre', 'gyre-cluster', 'uws'], goal: 0.5, goalLabel: 'goal 0.5× (CPU/msg)' },
    { title: '÷ bare uWebSockets.js (1 = the Node limit; lower is better)', key: 'vsUws', targets: ['gyre', 'gyre-cluster', 'centrifugo'], goal: 1.3, goalLabel: 'goal 1.3× (CPU/msg)' },
  ];
  const barH = 11;
  const labelW = 190;
  const plotW = 380;
  const gap = 40;
  const width = labelW + 2 * plotW + gap + 60;
  const lo = Math.log10(0.1);
  const hi = Math.log10(30);
  const x = (v: number): number => ((Math.log10(Math.min(30, Math.max(0.1, v))) - lo) / (hi - lo)) * plotW;
  const groupH = 3 * barH + 14;
  const top = 58;
  const height = top + rows.length * groupH + 64;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  o.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  o.push(`<text x="10" y="18" font-size="14" font-weight="bold">${esc('Gyre benchmark ratios (primary metric of each scenario)')}</text>`);
  o.push(`<text x="10" y="34" fill="#555">${esc(caption)}</text>`);
  panels.forEach((p, pi) => {
    const x0 = labelW + pi * (plotW + gap);
    o.push(`<text x="${x0}" y="${top - 8}" font-weight="bold">${esc(p.title)}</text>`);
    for (const tick of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20]) {
      const tx = x0 + x(tick);
      o.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${top + rows.length * groupH}" stroke="${tick === 1 ? '#111' : '#ddd'}" stroke-width="${tick === 1 ? 1.2 : 1}"/>`);
      o.push(`<text x="${tx}" y="${top + rows.length * groupH + 14}" text-anchor="middle" fill="#555">${tick}×</text>`);
    }
    if (p.goal !== null) {
      const gx = x0 + x(p.goal);
      o.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + rows.length * groupH}" stroke="#dc2626" stroke-dasharray="4,3"/>`);
      o.push(`<text x="${gx + 3}" y="${top + rows.length * groupH + 28}" fill="#dc2626">${esc(p.goalLabel)}</text>`);
    }
    rows.forEach((r, ri) => {
      const y0 = top + ri * groupH + 4;
      p.targets.forEach((t, ti) => {
        const y = y0 + ti * barH;
        if (!(t in r.status)) return;
        const v = r[p.key][t];
        if (v === null || v === undefined) {
          o.push(`<text x="${x0 + 4}" y="${y + barH - 2}" fill="#999">${esc(TARGET_LABELS[t])}: n/a</text>`);
          return;
        }
        const w = Math.max(1, x(v));
        o.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[t]}"/>`);
        o.push(`<text x="${x0 + w + 3}" y="${y + barH - 2}" fill="#222">${esc(fmt(v))}×</text>`);
      });
    });
  });
  rows.forEach((r, ri) => {
    const y = top + ri * groupH + groupH / 2;
    o.push(`<text x="${labelW - 8}" y="${y}" text-anchor="end" font-weight="bold">${esc(r.scenario)}</text>`);
    o.push(`<text x="${labelW - 8}" y="${y + 12}" text-anchor="end" fill="#666" font-size="9">${esc(METRIC_LABELS[r.metric])}</text>`);
  });
  let lx = 10;
  const ly = height - 14;
  for (const t of TARGET_IDS) {
    o.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${COLORS[t]}"/>`);
    o.push(`<text x="${lx + 14}" y="${ly}">${esc(TARGET_LABELS[t])}</text>`);
    lx += 30 + TARGET_LABELS[t].length * 6;
  }
  o.push('</svg>');
  return o.join('\n') + '\n';
}

// ---- docs/benchmarks.md --------------------------------------------------------------------------------

function detailTable(e: ScenarioResult): string {
  const pub = e.scenario.publish !== null;
  const head = pub
    ? ['target', 'delivered/s', 'CPU µs/msg', 'server CPU %', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'loss', 'RSS/conn KiB', 'loadgen CPU %', 'notes']
    : ['target', 'connections', 'connects/s', 'CPU µs/connect', 'connect p99 ms', 'RSS MiB', 'RSS/conn KiB', 'idle CPU %', 'notes'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 || i === head.length - 1 ? '---' : '---:')).join(' | ')} |`];
  for (const r of e.results) {
    if (r.status !== 'ok') {
      lines.push(`| ${TARGET_LABELS[r.target]} | ${head.slice(1, -1).map(() => '—').join(' | ')} | **${r.status === 'unavailable' ? 'not available' : 'failed'}**: ${esc((r.reason ?? '').slice(0, 300))} |`);
      continue;
    }
    const notes = r.warnings.map((w) => esc(w.slice(0, 200))).join('; ');
    const rssConn = r.rss ? fmt(r.rss.perConnBytes / 1024) : '—';
    if (pub && r.publish) {
      const p = r.publish;
      lines.push(`| ${TARGET_LABELS[r.target]} | ${fmt(p.deliveredPerSec)} | ${fmt(p.cpuUsPerMsg)} | ${fmt(p.serverCpuPercent)} | ${fmt(p.latencyMs.p50)} | ${fmt(p.latencyMs.p90)} | ${fmt(p.latencyMs.p99)} | ${fmt(p.latencyMs.max)} | ${fmt(p.lossPercent)}% | ${rssConn} | ${fmt(p.loadgenCpuPercent)} | ${notes} |`);
    } else if (r.connect) {
      const c = r.connect;
      lines.push(`| ${TARGET_LABELS[r.target]} | ${c.ok.toLocaleString('en-US')} | ${fmt(c.perSec)} | ${fmt(c.serverCpuUsPerConnect)} | ${fmt(c.latencyMs.p99)} | ${fmt((r.rss?.endBytes ?? NaN) / 2 ** 20)} | ${rssConn} | ${r.idle ? fmt(r.idle.serverCpuPercent) : '—'} | ${notes} |`);
    }
  }
  return lines.join('\n');
}

const GROUP_ORDER: readonly string[] = GROUPS;

/** One document per group: JSON protocol before protobuf, full runs before quick ones, then the newest. */
export function pickLatest(docs: readonly ResultDoc[]): ResultDoc[] {
  // Profiled runs carry the profiler's overhead: they explain, they do not measure.
  docs = docs.filter((d) => !d.options.cpuProf);
  const rank = (d: ResultDoc): number => (d.options.protocol === 'json' ? 2 : 0) + (d.options.quick ? 0 : 1);
  const best = new Map<string, ResultDoc>();
  for (const d of docs) {
    const cur = best.get(d.group);
    if (!cur || rank(d) > rank(cur) || (rank(d) === rank(cur) && d.date > cur.date)) best.set(d.group, d);
  }
  return [...best.values()].sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group));
}

/** The newest profiled run (--cpu-prof) of each group. */
export function pickProfiled(docs: readonly ResultDoc[]): ResultDoc[] {
  const best = new Map<string, ResultDoc>();
  for (const d of docs) {
    if (!d.options.cpuProf) continue;
    const cur = best.get(d.group);
    if (!cur || d.date > cur.date) best.set(d.group, d);
  }
  return [...best.values()].sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group));
}

function profileSection(docs: readonly ResultDoc[]): string[] {
  const o: string[] = [];
  for (const d of docs) {
    for (const e of d.scenarios) {
      for (const r of e.results) {
        if (!r.profiles?.length || r.target === 'uws') continue;
        const windowSec = e.scenario.publish ? e.scenario.publish.steadyMs / 1000 : e.scenario.idleMs / 1000;
        const cpuMs = r.publish ? r.publish.serverCpuSec * 1000 : r.connect && !r.idle ? r.connect.serverCpuSec * 1000 : NaN;
        const busy = r.profiles.reduce((a, p) => a + p.busyMs, 0);
        o.push(`**${e.scenario.name} · ${TARGET_LABELS[r.target]}** (${d.date.slice(0, 10)}, \`${esc(d.command)}\`): the JavaScript profile sees ${fmt(busy)} ms of the ${fmt(cpuMs)} ms of server CPU in the ${fmt(windowSec)} s window${Number.isFinite(cpuMs) ? ` (${fmt((busy / cpuMs) * 100)}%; the rest runs outside V8: uWS's native loop, socket writes in the kernel${r.target === 'gyre-cluster' ? ', nats-server and redis-server' : ''})` : ''}.`);
        o.push('');
        for (const p of r.profiles) {
          const proc = p.file.split('/').slice(-2, -1)[0] ?? '';
          o.push(`| ${esc(proc)}: by package or file | % of JS time | top functions (self) | % |`);
          o.push('| --- | ---: | --- | ---: |');
          for (let i = 0; i < 10; i++) {
            const g = p.groups[i];
            const f = p.topFunctions[i];
            if (!g && !f) break;
            o.push(`| ${g ? esc(g.name) : ''} | ${g ? fmt(g.percent) : ''} | ${f ? esc(f.name) : ''} | ${f ? fmt(f.percent) : ''} |`);
          }
          o.push('');
        }
      }
    }
  }
  return o;
}

/** The newest unprofiled run of each group with the protobuf client protocol. */
export function pickProtobuf(docs: readonly ResultDoc[]): ResultDoc[] {
  return pickLatest(docs.filter((d) => d.options.protocol === 'protobuf'));
}

export function renderDocs(docs: readonly ResultDoc[], chartPath: string, files: Record<string, string>, profiled: readonly ResultDoc[] = [], protobuf: readonly ResultDoc[] = []): string {
  const entries = docs.flatMap((d) => d.scenarios);
  const rows = ratioRows(entries);
  const checks = targetChecks(entries);
  const m = docs[0]?.machine;
  const o: string[] = [];
  o.push('# Benchmarks');
  o.push('');
  o.push('<!-- Generated by `npm run bench`; edit bench/lib/report.ts, not this file. -->');
  o.push('');
  o.push('Gyre side by side with Centrifugo and a bare uWebSockets.js server, same offered load, same load');
  o.push('generator, one after the other on the same machine. Run them yourself with `npm run bench -- all`');
  o.push('(or `-- all --quick` for a run under 10 minutes, or one scenario: `fanout`, `channels`, `idle`,');
  o.push('`connect`, `latency`); results land in `bench/results/` and this page is regenerated from the newest');
  o.push('full run of each scenario (a quick run where no full run exists). How it works: [bench/README.md](../bench/README.md).');
  o.push('');
  o.push(`The Centrifugo peer is ${docs[0]?.options.centrifugo ?? 'Centrifugo'}: the Go module proxy reachable here refuses every`);
  o.push('centrifugo/v6 version and serves this one release; its client protocol and HTTP API are the ones Gyre speaks.');
  o.push('All numbers come from one 2-core machine shared with other work: CPU per message is robust to that, latency less so');
  o.push('(each run says how much CPU other processes took during its window).');
  o.push('');
  o.push('## Ratios');
  o.push('');
  o.push(`![ratios](${chartPath})`);
  o.push('');
  o.push(ratioTableMarkdown(rows));
  o.push('');
  o.push('## Against the targets of issue 7 (Gyre embedded)');
  o.push('');
  o.push('| target | goal | measured | met | gap |');
  o.push('| --- | --- | --- | --- | --- |');
  for (const c of checks) o.push(`| ${c.target} | ${c.goal} | ${c.measured} | ${c.met === null ? 'no data' : c.met ? 'yes' : '**no**'} | ${c.gap} |`);
  o.push('');
  if (protobuf.length) {
    o.push('## With the protobuf client protocol');
    o.push('');
    o.push(`The same scenarios with the load generator speaking protobuf (${protobuf.map((d) => `${d.group}: ${d.date.slice(0, 10)}, \`${esc(d.command)}\``).join('; ')}):`);
    o.push('');
    o.push(ratioTableMarkdown(ratioRows(protobuf.flatMap((d) => d.scenarios))));
    o.push('');
  }
  o.push('## Runs');
  o.push('');
  if (m) o.push(`Machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, ${m.go}; open files ${m.nofile}; ephemeral ports ${m.portRange}.`);
  o.push('');
  for (const d of docs) {
    o.push(`### ${d.group}${d.options.quick ? ' (quick run)' : ''}`);
    o.push('');
    o.push(`${d.date} · \`${d.command}\` · protocol ${d.options.protocol} · ${d.options.pinning} · Centrifugo ${d.options.centrifugo} · [${files[d.group] ?? ''}](../bench/results/${files[d.group] ?? ''})`);
    o.push('');
    for (const e of d.scenarios) {
      o.push(`**${esc(e.scenario.title)}**${e.scenario.publish ? ` — offered ${fmt(e.scenario.publish.rate * e.scenario.publish.channelsPerCall * e.scenario.subscribersPerChannel)} deliveries/s (${fmt(e.scenario.publish.rate)} API calls/s), steady window ${e.scenario.publish.steadyMs / 1000} s after ${e.scenario.publish.warmupMs / 1000} s warm-up` : ''}`);
      o.push('');
      o.push(detailTable(e));
      o.push('');
    }
  }
  const prof = profileSection(profiled);
  if (prof.length) {
    o.push('## Where the time goes (`--cpu-prof`)');
    o.push('');
    o.push('V8 CPU profiles of the Node servers over the same steady window, from a separate run with');
    o.push('`--cpu-prof` (profiling costs a few percent, so these runs are not used for the numbers above).');
    o.push('');
    o.push(...prof);
  }
  o.push('## How to read this');
  o.push('');
  o.push('- **Server CPU per delivered message** is user + system CPU seconds of the server\'s whole process tree');
  o.push('  (from `/proc/<pid>/stat`, all threads) over the steady window, divided by the client-protocol messages');
  o.push('  the load generator counted in that window. It includes the HTTP API calls that caused them. Unlike');
  o.push('  msgs/s it does not depend on what else the 2-core machine was doing.');
  o.push('- The server is pinned to one core and the load generator to the other (`taskset`), so each server');
  o.push('  is measured per core and the client cannot starve it. Go sees one CPU (GOMAXPROCS=1).');
  o.push('- Latency is publish time (monotonic clock, in the payload) to the moment a sampled subscriber read the');
  o.push('  frame; 64 subscribers per load-generator process sample it. It includes the HTTP API call and the');
  o.push('  load generator\'s own scheduling delay.');
  o.push('- RSS per connection is (server RSS after connecting − RSS before) ÷ connections; the kernel\'s ~4 KiB');
  o.push('  of socket memory per connection is not in RSS.');
  o.push('- Loss compares publications the API accepted × subscribers with what arrived, after a drain.');
  o.push('- The connection count of one process is capped by the open-file limit of this machine; titles say the');
  o.push('  real count.');
  o.push('');
  return o.join('\n');
}
