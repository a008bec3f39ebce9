import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { EPOCH_LENGTH, ManualClock, generateEpoch } from '../src/index.js';
import { ExpiryQueue } from '../src/expiry_queue.js';
import { model } from './history_contract.js';

const here = dirname(fileURLToPath(import.meta.url));

test('epoch - epochs are 8 random letters', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const e = generateEpoch();
    assert.match(e, /^[a-zA-Z]{8}$/);
    seen.add(e);
  }
  assert.equal(EPOCH_LENGTH, 8);
  assert.equal(seen.size, 1000);
});

test('expiry-queue - pops entries in deadline order, only when due', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), (deadlines, now) => {
      const q = new ExpiryQueue<number>();
      deadlines.forEach((d, i) => q.push(d, i));
      const popped: number[] = [];
      for (let e = q.popDue(now); e; e = q.popDue(now)) popped.push(e.at);
      assert.deepEqual(popped, deadlines.filter((d) => d <= now).sort((a, b) => a - b));
      assert.equal(q.size, deadlines.filter((d) => d > now).length);
    }),
  );
});

test('clock - a manual clock moves only forward and only when told', () => {
  const clock = new ManualClock(1000);
  assert.equal(clock.now(), 1000);
  clock.advance(250);
  assert.equal(clock.now(), 1250);
  assert.throws(() => clock.advance(-1), RangeError);
});

test('history-model - the reference model matches the examples of server.md §1.4', () => {
  assert.deepEqual(model(20, 100, undefined, 10, false), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'limit 10: the first 10');
  assert.deepEqual(model(20, 100, undefined, 3, true), [20, 19, 18], 'limit, reverse: the last ones, newest first');
  assert.deepEqual(model(20, 100, 5, 3, false), [6, 7, 8], 'since X, limit: the next ones after X');
  assert.deepEqual(model(20, 100, undefined, 0, false), [], 'limit 0: position only');
  assert.equal(model(20, 100, 0, 3, true), 'bad');
});

test('stores - their sweep timers never keep a process alive', () => {
  const script = join(here, 'fixtures/open_stores.ts');
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--conditions=gyre-source', '--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /stores open/);
  assert.ok(Date.now() - started < 15_000);
});
