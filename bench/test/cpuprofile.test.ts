import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupOf, summarizeProfile, type CpuProfile } from '../lib/cpuprofile.js';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

// Samples every 1000 µs from t = 10_000: hub, hub, idle, protobuf, gc, hub.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', '') },
    { id: 2, callFrame: frame('publishTopic', 'file:///work/main/services/edge/src/hub.ts') },
    { id: 3, callFrame: frame('(idle)', '') },
    { id: 4, callFrame: frame('toBinary', 'file:///work/main/node_modules/@bufbuild/protobuf/dist/esm/to-binary.js') },
    { id: 5, callFrame: frame('(garbage collector)', '') },
  ],
  startTime: 9_000,
  endTime: 16_000,
  samples: [2, 2, 3, 4, 5, 2],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
};

describe('cpu profile summary', () => {
  it('groupOf - Gyre files by package path, dependencies by package, V8 pseudo-frames by kind', () => {
    assert.equal(groupOf('file:///w/services/edge/src/hub.ts', 'x'), 'services/edge/hub.ts');
    assert.equal(groupOf('file:///w/libs/bus/src/bus_memory.ts?tsx', 'x'), 'libs/bus/bus_memory.ts');
    assert.equal(groupOf('file:///w/node_modules/@bufbuild/protobuf/dist/esm/create.js', 'x'), '@bufbuild/protobuf');
    assert.equal(groupOf('file:///w/node_modules/prom-client/lib/histogram.js', 'x'), 'prom-client');
    assert.equal(groupOf('node:internal/timers', 'x'), 'node internals');
    assert.equal(groupOf('', '(garbage collector)'), 'V8 garbage collector');
    assert.equal(groupOf('', '(idle)'), 'idle');
  });

  it('summarizeProfile - self time without idle, percentages of busy time', () => {
    const s = summarizeProfile(profile, 'p');
    assert.equal(s.windowMs, 6);
    assert.equal(s.busyMs, 5);
    assert.deepEqual(s.groups.map((g) => [g.name, g.percent]), [['services/edge/hub.ts', 60], ['@bufbuild/protobuf', 20], ['V8 garbage collector', 20]]);
    assert.equal(s.topFunctions[0]!.name, 'publishTopic services/edge/hub.ts');
  });

  it('summarizeProfile - restricted to a window of the monotonic clock', () => {
    // Samples fall at 10_000 … 15_000; keep 12_000 … 14_000 (idle, protobuf, gc).
    const s = summarizeProfile(profile, 'p', 12_000, 14_000);
    assert.equal(s.windowMs, 3);
    assert.equal(s.busyMs, 2);
    assert.deepEqual(s.groups.map((g) => g.name).sort(), ['@bufbuild/protobuf', 'V8 garbage collector']);
  });
});
