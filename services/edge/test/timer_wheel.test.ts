import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel, type WheelEntry } from '../src/timer_wheel.js';

function entry(onWheel: (now: number) => void = () => {}): WheelEntry & { fired: number[] } {
  const e = {
    wheelSlot: -1,
    wheelDue: 0,
    fired: [] as number[],
    onWheel(now: number) {
      e.fired.push(now);
      onWheel(now);
    },
  };
  return e;
}

function manual(tick = 50, slots = 64): { wheel: TimerWheel; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const wheel = new TimerWheel(tick, slots, () => clock.now);
  wheel.stop();
  return { wheel, clock };
}

test('timer wheel - an entry fires once its due time passed, at most one tick late, never early', () => {
  const { wheel, clock } = manual();
  const e = entry();
  wheel.schedule(e, clock.now + 130);
  for (let t = 0; t < 130; t += 10) {
    clock.now += 10;
    wheel.advance();
    if (clock.now < 1_000_000 + 130) assert.equal(e.fired.length, 0, `early at +${t + 10}`);
  }
  while (e.fired.length === 0) {
    clock.now += 10;
    wheel.advance();
  }
  assert.ok(e.fired[0]! >= 1_000_000 + 130);
  assert.ok(e.fired[0]! <= 1_000_000 + 130 + 2 * 50, `late: ${e.fired[0]! - 1_000_000}`);
});

test('timer wheel - an entry due inside the tick being advanced is not lost (due mid-tick)', () => {
  // Regression: advancing at a time inside the entry's own tick used to skip it for a revolution.
  const { wheel, clock } = manual(50, 8);
  clock.now = 1_000_010;
  const e = entry();
  wheel.schedule(e, 1_000_040);
  clock.now = 1_000_020;
  wheel.advance();
  assert.equal(e.fired.length, 0);
  clock.now = 1_000_120;
  wheel.advance();
  assert.equal(e.fired.length, 1);
});

test('timer wheel - rescheduling from inside onWheel works and never fires twice in one pass', () => {
  const { wheel, clock } = manual();
  let n = 0;
  const e = entry((now) => {
    n++;
    if (n < 3) wheel.schedule(e, now + 100);
    // An entry that reschedules itself for "now" must wait for the next pass.
    if (n === 3) wheel.schedule(e, now);
  });
  wheel.schedule(e, clock.now + 100);
  for (let i = 0; i < 40; i++) {
    clock.now += 25;
    const before = e.fired.length;
    wheel.advance();
    assert.ok(e.fired.length - before <= 1);
  }
  assert.ok(e.fired.length >= 4);
});

test('timer wheel - cancel and schedule replace the previous deadline; far deadlines survive revolutions', () => {
  const { wheel, clock } = manual(10, 8);
  const a = entry();
  const b = entry();
  wheel.schedule(a, clock.now + 50);
  wheel.schedule(a, clock.now + 500);
  wheel.schedule(b, clock.now + 30);
  wheel.cancel(b);
  assert.equal(wheel.scheduled, 1);
  for (let i = 0; i < 45; i++) {
    clock.now += 10;
    wheel.advance();
  }
  assert.equal(a.fired.length, 0, 'not at the replaced deadline nor on earlier revolutions');
  assert.equal(b.fired.length, 0);
  for (let i = 0; i < 10; i++) {
    clock.now += 10;
    wheel.advance();
  }
  assert.equal(a.fired.length, 1);
  assert.equal(wheel.scheduled, 0);
});

test('timer wheel - an entry that throws does not stop the others', () => {
  const clock = { now: 5000 };
  const errors: unknown[] = [];
  const wheel = new TimerWheel(10, 16, () => clock.now, (e) => errors.push(e));
  wheel.stop();
  const bad = entry(() => {
    throw new Error('boom');
  });
  const good = entry();
  wheel.schedule(bad, 5010);
  wheel.schedule(good, 5010);
  clock.now = 5040;
  wheel.advance();
  assert.equal(good.fired.length, 1);
  assert.equal(errors.length, 1);
});
