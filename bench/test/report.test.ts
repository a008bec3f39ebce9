import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublishStats, TargetResult } from '../lib/driver.js';
import { pickLatest, primaryValue, ratioChartSvg, ratioRows, ratioTableMarkdown, renderDocs, targetChecks, type ResultDoc, type ScenarioResult } from '../lib/report.js';
import { scenarios } from '../lib/scenarios.js';
import type { TargetId } from '../lib/targets.js';

const dist = (p99: number) => ({ count: 100, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2, mean: p99 / 3 });

function ok(target: TargetId, cpuUsPerMsg: number, extra: Partial<TargetResult> = {}): TargetResult {
  const publish = { cpuUsPerMsg, deliveredPerSec: 20_000, serverCpuPercent: 10, latencyMs: dist(4), lossPercent: 0, loadgenCpuPercent: 20 } as PublishStats;
  return { target, label: target, status: 'ok', warnings: [], publish, rss: { beforeBytes: 0, afterConnectBytes: 0, endBytes: 0, perConnBytes: 3 * 1024 }, ...extra };
}

const opts = { quick: false, maxConnections: 19_700 };
const fan = scenarios('fanout', opts);

function entries(): ScenarioResult[] {
  return [
    { scenario: fan[0]!, results: [ok('gyre', 6), { target: 'gyre-cluster', label: 'c', status: 'unavailable', reason: 'no nats', warnings: [] }, ok('centrifugo', 12), ok('uws', 5)] },
    { scenario: fan[1]!, results: [ok('gyre', 7), ok('centrifugo', 14), ok('uws', 5)] },
    { scenario: fan[2]!, results: [ok('gyre', 9), ok('centrifugo', 15), { target: 'uws', label: 'u', status: 'failed', reason: 'boom', warnings: [] }] },
  ];
}

describe('ratio table', () => {
  it('ratioRows - each target divided by Centrifugo and by bare uWS; missing peers give null', () => {
    const rows = ratioRows(entries());
    assert.equal(rows[0]!.vsCentrifugo.gyre, 0.5);
    assert.equal(rows[0]!.vsUws.gyre, 1.2);
    assert.equal(rows[0]!.vsUws.centrifugo, 2.4);
    assert.equal(rows[0]!.value['gyre-cluster'], null);
    assert.match(rows[0]!.status['gyre-cluster']!, /^unavailable: no nats/);
    assert.equal(rows[2]!.vsUws.gyre, null, 'failed peer: no ratio');
    assert.equal(rows[2]!.vsCentrifugo.gyre, 0.6);
  });

  it('ratioTableMarkdown - a not-available target is a row without a number', () => {
    const md = ratioTableMarkdown(ratioRows(entries()));
    assert.match(md, /\| fanout-100 \| .* \| Gyre services as processes \| not available \| n\/a \| n\/a \|/);
    assert.match(md, /\| fanout-100 \| .* \| Gyre embedded \| 6\.00 \| 0\.500× \| 1\.20× \|/);
    assert.match(md, /\| fanout-10k \| .* \| bare uWS\.js \| failed \|/);
  });

  it('primaryValue - per metric, null unless the run is ok', () => {
    const r = ok('gyre', 6);
    assert.equal(primaryValue('cpuUsPerMsg', r), 6);
    assert.equal(primaryValue('rssPerConn', r), 3);
    assert.equal(primaryValue('p99Ms', r), 4);
    assert.equal(primaryValue('cpuUsPerConnect', r), null);
    assert.equal(primaryValue('cpuUsPerMsg', { ...r, status: 'failed' }), null);
  });

  it('targetChecks - says by how much a goal is missed, and checks fan-out flatness', () => {
    const checks = targetChecks(entries());
    const c = checks.find((x) => x.target.startsWith('fanout-10k: CPU per delivered message vs Centrifugo'))!;
    assert.equal(c.met, false);
    assert.match(c.gap, /20\.0% over the goal: needs 1\.20× less/);
    const flat = checks.find((x) => x.target.startsWith('fan-out: flat'))!;
    assert.equal(flat.met, false);
    assert.match(flat.gap, /50\.0% spread/);
    assert.equal(checks.find((x) => x.target.startsWith('fanout-10k: CPU per delivered message vs bare'))!.met, null);
  });

  it('ratioChartSvg - well-formed, one bar per available ratio, n/a for the rest', () => {
    const svg = ratioChartSvg(ratioRows(entries()), 'test <caption>');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assert.ok(svg.includes('test &lt;caption&gt;'));
    assert.ok(svg.includes('Gyre services as processes: n/a'));
    // fanout rows: gyre and uws vs Centrifugo (3 + 3 - 1 failed), gyre and centrifugo vs uws (2 + 2)
    assert.equal((svg.match(/<rect x="\d+(\.\d+)?" y="\d+(\.\d+)?" width="[\d.]+" height="9"/g) ?? []).length, 5 + 4);
  });

  it('pickLatest and renderDocs - JSON before protobuf, full before quick, newest first', () => {
    const base = { schema: 1 as const, command: 'x', machine: { cores: 2, cpuModel: 'cpu', memoryGiB: 1, kernel: 'k', node: 'v20', go: 'go', nofile: '1/1', portRange: '1-2' }, scenarios: entries() };
    const o = (quick: boolean, protocol: string) => ({ quick, protocol, pinning: 'p', centrifugo: 'c', targets: [] });
    const docs: ResultDoc[] = [
      { ...base, group: 'fanout', date: '2026-01-03', options: o(true, 'json') },
      { ...base, group: 'fanout', date: '2026-01-01', options: o(false, 'json') },
      { ...base, group: 'fanout', date: '2026-01-04', options: o(false, 'protobuf') },
      { ...base, group: 'idle', date: '2026-01-02', options: o(true, 'json') },
    ];
    const picked = pickLatest(docs);
    assert.deepEqual(picked.map((d) => `${d.group} ${d.date}`), ['fanout 2026-01-01', 'idle 2026-01-02']);
    const md = renderDocs(picked, 'chart.svg', { fanout: 'f.json', idle: 'i.json' });
    assert.match(md, /!\[ratios\]\(chart\.svg\)/);
    assert.match(md, /### idle \(quick run\)/);
    assert.match(md, /\*\*not available\*\*: no nats/);
  });
});
