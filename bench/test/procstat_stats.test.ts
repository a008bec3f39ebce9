import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProcStatCpu, parseSmapsRollupRss, parseStat, sumUsage, treeOf, treeRssExact, treeUsage } from '../lib/procstat.js';
import { distribution, fmt, percentileSorted, ratio } from '../lib/stats.js';

// A real /proc/<pid>/stat line shape, with a comm holding spaces and parentheses.
const line = (pid: number, ppid: number, comm: string, utime: number, stime: number, rss: number, cutime = 0) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 1234 0 0 0 ${utime} ${stime} ${cutime} 0 20 0 7 0 12345 1000000 ${rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

describe('procstat', () => {
  it('parseStat - reads fields after the last parenthesis', () => {
    const s = parseStat(line(42, 1, 'node (gyre) x', 150, 50, 2560, 7));
    assert.equal(s.pid, 42);
    assert.equal(s.comm, 'node (gyre) x');
    assert.equal(s.state, 'S');
    assert.equal(s.ppid, 1);
    assert.equal(s.utime, 150);
    assert.equal(s.stime, 50);
    assert.equal(s.cutime, 7);
    assert.equal(s.numThreads, 7);
    assert.equal(s.rssPages, 2560);
  });

  it('treeOf and sumUsage - a root with children and grandchildren, not its siblings', () => {
    const stats = [
      parseStat(line(10, 1, 'taskset', 100, 0, 100)),
      parseStat(line(11, 10, 'nats-server', 50, 50, 200)),
      parseStat(line(12, 11, 'helper', 10, 0, 10)),
      parseStat(line(20, 1, 'loadgen', 999, 999, 999)),
    ];
    const tree = treeOf(10, stats);
    assert.deepEqual(tree.map((s) => s.pid).sort(), [10, 11, 12]);
    const u = sumUsage(tree, 100, 4096);
    assert.equal(u.cpuSec, 2.1);
    assert.equal(u.rssBytes, 310 * 4096);
    assert.equal(u.threads, 21);
  });

  it('treeUsage - reads this very process', () => {
    const u = treeUsage([process.pid]);
    assert.deepEqual(u.pids.includes(process.pid), true);
    assert.ok(u.rssBytes > 1_000_000);
    assert.ok(u.cpuSec > 0);
  });

  it('parseSmapsRollupRss and treeRssExact - the Rss line in bytes; this process has some', () => {
    const text = '55d0c0a00000-7ffd1b5f1000 ---p 00000000 00:00 0 [rollup]\nRss:              123456 kB\nPss:              120000 kB\n';
    assert.equal(parseSmapsRollupRss(text), 123456 * 1024);
    assert.throws(() => parseSmapsRollupRss('Pss: 1 kB'));
    const rss = treeRssExact([process.pid]);
    assert.ok(rss > 1_000_000 && rss < 4 * 2 ** 30, String(rss));
  });

  it('parseProcStatCpu - idle and iowait are not busy; guest is not counted twice', () => {
    const t = parseProcStatCpu('cpu  100 5 50 800 20 3 2 0 40 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n');
    assert.equal(t.total, 980);
    assert.equal(t.busy, 160);
  });
});

describe('stats', () => {
  it('percentileSorted - nearest rank', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentileSorted(s, 50), 50);
    assert.equal(percentileSorted(s, 90), 90);
    assert.equal(percentileSorted(s, 99), 99);
    assert.equal(percentileSorted(s, 100), 100);
    assert.equal(percentileSorted(s, 0), 1);
    assert.equal(percentileSorted([7], 99), 7);
    assert.ok(Number.isNaN(percentileSorted([], 50)));
  });

  it('distribution - sorts numerically, not as strings', () => {
    const d = distribution([10, 9, 100, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(d.max, 100);
    assert.equal(d.p50, 6);
    assert.equal(d.count, 11);
    assert.equal(d.mean, 155 / 11);
  });

  it('fmt and ratio', () => {
    assert.equal(fmt(5.5812), '5.58');
    assert.equal(fmt(0.4412), '0.441');
    assert.equal(fmt(19963.2), '19,963');
    assert.equal(fmt(NaN), '—');
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(null, 2), null);
    assert.equal(ratio(3, 2), 1.5);
  });
});
