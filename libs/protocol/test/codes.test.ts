// Codes are wire contract: SDKs branch on the numbers and show the texts. These assertions are
// the tables of client-protocol.md §4, written out independently of codes.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Disconnect,
  DisconnectCode,
  ErrorCode,
  Unsubscribe,
  UnsubscribeCode,
  WsCloseCode,
  apiErrors,
  disconnectReconnects,
  errors,
  isRetryableError,
  uniDisconnectForConnectError,
  unsubscribeResubscribes,
} from '../src/index.js';

test('codes - client errors have the exact numbers, messages and temporary flags of §4.1', () => {
  const table: [number, string, boolean][] = [
    [100, 'internal server error', true],
    [101, 'unauthorized', false],
    [102, 'unknown channel', false],
    [103, 'permission denied', false],
    [104, 'method not found', false],
    [105, 'already subscribed', false],
    [106, 'limit exceeded', false],
    [107, 'bad request', false],
    [108, 'not available', false],
    [109, 'token expired', false],
    [110, 'expired', false],
    [111, 'too many requests', true],
    [112, 'unrecoverable position', false],
    [113, 'concurrent pagination', true],
  ];
  const all = Object.values(errors);
  assert.equal(all.length, table.length);
  for (const [code, message, temporary] of table) {
    const e = all.find((x) => x.code === code);
    assert.ok(e, `missing error ${code}`);
    assert.deepEqual(e, temporary ? { code, message, temporary: true } : { code, message });
  }
  assert.equal(ErrorCode.BadRequest, 107);
  assert.deepEqual(errors.badRequest, { code: 107, message: 'bad request' });
  assert.deepEqual(errors.internal, { code: 100, message: 'internal server error', temporary: true });
  assert.deepEqual(Object.values(ErrorCode).sort(), table.map(([c]) => c));
  assert.ok(Object.isFrozen(errors.badRequest));
});

test('codes - disconnects have the exact v2 codes and reasons of §4.2', () => {
  const table: [number, string][] = [
    [3000, 'connection closed'],
    [3001, 'shutdown'],
    [3004, 'internal server error'],
    [3005, 'connection expired'],
    [3006, 'subscription expired'],
    [3008, 'slow'],
    [3009, 'write error'],
    [3010, 'insufficient state'],
    [3011, 'force reconnect'],
    [3012, 'no pong'],
    [3013, 'too many requests'],
    [3014, 'state invalidated'],
    [3500, 'invalid token'],
    [3501, 'bad request'],
    [3502, 'stale'],
    [3503, 'force disconnect'],
    [3504, 'connection limit'],
    [3505, 'channel limit'],
    [3506, 'inappropriate protocol'],
    [3507, 'permission denied'],
    [3508, 'not available'],
    [3509, 'too many errors'],
  ];
  const all = Object.values(Disconnect);
  assert.deepEqual(
    all.map((d) => [d.code, d.reason]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    table,
  );
  assert.deepEqual(Disconnect.Shutdown, { code: 3001, reason: 'shutdown' });
  assert.deepEqual(Disconnect.ForceNoReconnect, { code: 3503, reason: 'force disconnect' });
  // The v1 numbers must not exist.
  for (const legacy of [3002, 3003, 3007]) assert.ok(!all.some((d) => d.code === legacy), `${legacy} is v1-only`);
  // Constants and objects agree.
  for (const [name, code] of Object.entries(DisconnectCode)) {
    assert.equal((Disconnect as Record<string, { code: number }>)[name]?.code, code, name);
  }
});

test('codes - reconnect semantics follow the code ranges', () => {
  for (const code of [3000, 3001, 3004, 3010, 3014, 3499, 4000, 4499, 1000, 1006, 5000]) {
    assert.equal(disconnectReconnects(code), true, `${code} reconnects`);
  }
  for (const code of [3500, 3501, 3503, 3509, 3999, 4500, 4999]) {
    assert.equal(disconnectReconnects(code), false, `${code} is terminal`);
  }
  assert.equal(WsCloseCode.MessageTooBig, 1009);
  assert.deepEqual(Object.values(WsCloseCode), [1000, 1001, 1006, 1009]);
});

test('codes - unsubscribe codes of §4.3 and the resubscribe rule', () => {
  assert.deepEqual(
    Object.values(Unsubscribe).map((u) => [u.code, u.reason]),
    [
      [0, 'client unsubscribed'],
      [1, 'client disconnected'],
      [2000, 'server unsubscribe'],
      [2500, 'insufficient state'],
      [2501, 'subscription expired'],
      [2502, 'state invalidated'],
    ],
  );
  assert.equal(UnsubscribeCode.InsufficientState, 2500);
  assert.equal(unsubscribeResubscribes(2000), false);
  assert.equal(unsubscribeResubscribes(2499), false);
  assert.equal(unsubscribeResubscribes(2500), true);
  assert.equal(unsubscribeResubscribes(2999), true);
});

test('codes - SDK retry rule and uni connect-error mapping', () => {
  assert.equal(isRetryableError(1), true); // client-local timeout
  assert.equal(isRetryableError(109), true); // token expired: refresh and retry
  assert.equal(isRetryableError(100, true), true);
  assert.equal(isRetryableError(103), false);
  assert.equal(uniDisconnectForConnectError(109).code, 3005);
  assert.equal(uniDisconnectForConnectError(110).code, 3005);
  assert.equal(uniDisconnectForConnectError(111).code, 3013);
  assert.equal(uniDisconnectForConnectError(103).code, 3507);
  assert.equal(uniDisconnectForConnectError(107).code, 3004);
});

test('codes - server API errors keep their own texts', () => {
  assert.deepEqual(apiErrors.notFound, { code: 104, message: 'not found' });
  assert.deepEqual(apiErrors.conflict, { code: 113, message: 'conflict' });
  assert.deepEqual(apiErrors.badRequest, { code: 107, message: 'bad request' });
});
