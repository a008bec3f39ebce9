import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { bus as busPb } from '@gyre/protocol';
import fc from 'fast-check';
import {
  InvalidHistoryFilterError,
  StateServiceError,
  StoreClosedError,
  StoreUnavailableError,
  UnrecoverablePositionError,
  channelPublicationMessage,
  publicationFromProto,
  publicationToProto,
  stateSubject,
  storeErrorToProtocolError,
  type StoredPublication,
} from '../src/index.js';

const enc = new TextEncoder();

test('state-protocol - subjects are <prefix>.state.<op>', () => {
  assert.equal(stateSubject('gyre', 'history_add'), 'gyre.state.history_add');
  assert.equal(stateSubject('a.b', 'ping'), 'a.b.state.ping');
});

test('state-protocol - publications round-trip through protobuf; absent fields stay absent', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.option(fc.record({ user: fc.string(), client: fc.string(), connInfo: fc.uint8Array({ minLength: 1, maxLength: 8 }) }), { nil: undefined }),
      fc.option(fc.dictionary(fc.string(), fc.string(), { minKeys: 1, maxKeys: 3 }), { nil: undefined }),
      fc.option(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }), { nil: undefined }),
      fc.boolean(),
      (data, offset, info, tags, time, delta) => {
        const pub: StoredPublication = { offset, data };
        if (info) pub.info = { ...info };
        if (tags) pub.tags = { ...tags };
        if (time !== undefined) pub.time = time;
        if (delta) pub.delta = true;
        assert.deepEqual(publicationFromProto(publicationToProto(pub)), pub);
      },
    ),
  );
});

test('state-protocol - a channel message carries offset, epoch and the delta base, never a delta payload', () => {
  const message = channelPublicationMessage({
    channel: 'ch',
    publication: { offset: 7n, data: enc.encode('new'), delta: true, time: 5n },
    epoch: 'abcdEFGH',
    delta: true,
    previous: { offset: 6n, data: enc.encode('old') },
  });
  const decoded = fromBinary(busPb.ChannelMessageSchema, toBinary(busPb.ChannelMessageSchema, message));
  assert.equal(decoded.channel, 'ch');
  assert.equal(decoded.event.case, 'publication');
  const p = decoded.event.value as busPb.ChannelPublication;
  assert.equal(p.publication?.offset, 7n);
  assert.equal(p.publication?.delta, false);
  assert.equal(p.epoch, 'abcdEFGH');
  assert.equal(p.delta, true);
  assert.deepEqual([...p.prevData!], [...enc.encode('old')]);
  assert.equal(p.prevOffset, 6n);
  const plain = channelPublicationMessage({ channel: 'ch', publication: { offset: 0n, data: enc.encode('x') }, epoch: '', delta: false, previous: { offset: 1n, data: enc.encode('y') } });
  assert.equal((plain.event.value as busPb.ChannelPublication).prevData, undefined, 'prev_data only with delta');
});

test('state-client - store errors map to client-protocol errors', () => {
  assert.deepEqual(storeErrorToProtocolError(new UnrecoverablePositionError({ offset: 1n, epoch: 'e' })), { code: 112, message: 'unrecoverable position' });
  assert.deepEqual(storeErrorToProtocolError(new InvalidHistoryFilterError('x')), { code: 107, message: 'bad request' });
  assert.deepEqual(storeErrorToProtocolError(new StoreUnavailableError('down')), { code: 100, message: 'internal server error', temporary: true });
  assert.deepEqual(storeErrorToProtocolError(new StoreClosedError()), { code: 100, message: 'internal server error', temporary: true });
  assert.deepEqual(storeErrorToProtocolError(new Error('boom')), { code: 100, message: 'internal server error', temporary: true });
  assert.deepEqual(storeErrorToProtocolError(new StateServiceError(108, 'not available', false)), { code: 108, message: 'not available' });
  assert.deepEqual(storeErrorToProtocolError(new StateServiceError(111, 'too many requests', true)), { code: 111, message: 'too many requests', temporary: true });
});
