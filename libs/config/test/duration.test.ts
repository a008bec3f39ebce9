import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseConfigText, parseGoDuration } from '../src/index.js';

const VALID: Array<[string, bigint]> = [
  ['0', 0n],
  ['0s', 0n],
  ['500ms', 500_000_000n],
  ['25s', 25_000_000_000n],
  ['1h30m', 5_400_000_000_000n],
  ['1.5h', 5_400_000_000_000n],
  ['2h45m30.5s', 9_930_500_000_000n],
  ['300us', 300_000n],
  ['300µs', 300_000n],
  ['300μs', 300_000n],
  ['10ns', 10n],
  ['.5s', 500_000_000n],
  ['1.s', 1_000_000_000n],
  ['-1s', -1_000_000_000n],
  ['+5m', 300_000_000_000n],
  ['1.0000000001s', 1_000_000_000n], // truncated below ns, as Go does
];

test('duration - parses Go duration syntax to nanoseconds', () => {
  for (const [input, ns] of VALID) {
    assert.deepEqual(parseGoDuration(input), { ok: true, ns }, input);
  }
});

test('duration - rejects what Go rejects', () => {
  assert.deepEqual(parseGoDuration(''), { ok: false, reason: 'invalid duration ""' });
  assert.deepEqual(parseGoDuration('25'), { ok: false, reason: 'missing unit in duration "25"' });
  assert.deepEqual(parseGoDuration('5d'), { ok: false, reason: 'unknown unit "d" in duration "5d"' });
  assert.deepEqual(parseGoDuration('s'), { ok: false, reason: 'invalid duration "s"' });
  assert.deepEqual(parseGoDuration('.s'), { ok: false, reason: 'invalid duration ".s"' });
  assert.deepEqual(parseGoDuration('1h 30m'), { ok: false, reason: 'unknown unit "h " in duration "1h 30m"' });
  assert.deepEqual(parseGoDuration('9999999999h'), { ok: false, reason: 'invalid duration "9999999999h" (out of range)' });
});

test('duration - formats like Go time.Duration.String', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(500), '500ms');
  assert.equal(formatDuration(0.25), '250µs');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(2_592_000_000), '720h0m0s');
  assert.equal(formatDuration(-1), '-1');
});

test('duration - file values: strings, bare numbers as nanoseconds, negatives as -1', () => {
  const { config } = parseConfigText(
    JSON.stringify({
      client: { expired_close_delay: '1m', stale_close_delay: 2_000_000_000, ping_interval: -1, pong_timeout: '-5s' },
      websocket: { write_timeout: '1500us' },
    }),
    'config.json',
  );
  assert.equal(config.client.expired_close_delay, 60_000);
  assert.equal(config.client.stale_close_delay, 2000);
  assert.equal(config.client.ping_interval, -1);
  assert.equal(config.client.pong_timeout, -1);
  assert.equal(config.websocket.write_timeout, 1.5);
});

test('duration - whole-second keys accept whole seconds in any unit', () => {
  const { config } = parseConfigText(
    JSON.stringify({ channel: { history_meta_ttl: '2h', namespaces: [{ name: 'ns', history_size: 1, history_ttl: '1500ms500ms', history_meta_ttl: 60_000_000_000 }] } }),
    'config.json',
  );
  assert.equal(config.channel.history_meta_ttl, 7_200_000);
  assert.equal(config.channel.namespaces[0]?.history_ttl, 2000);
  assert.equal(config.channel.namespaces[0]?.history_meta_ttl, 60_000);
});
