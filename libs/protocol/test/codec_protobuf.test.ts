import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import * as pb from '../src/gen/centrifugal/centrifuge/protocol/client_pb.js';
import * as uni from '../src/gen/centrifugal/centrifugo/unistream/unistream_pb.js';
import {
  ProtocolDecodeError,
  decodeCommandsProtobuf,
  decodeConnectRequestProtobuf,
  decodeEmulationRequestProtobuf,
  decodeRepliesProtobuf,
  encodeCommandsProtobuf,
  encodePublicationPushProtobuf,
  encodePublicationUniPushProtobuf,
  encodePushProtobuf,
  encodeRepliesProtobuf,
  encodeReplyProtobuf,
} from '../src/index.js';
import { allCommands, allReplies, fullPublication, utf8 } from './fixtures.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** Reference framing built from protobuf-es reflection: varint(len) + toBinary(msg). */
function delimited<T extends pb.Reply | pb.Command>(schema: typeof pb.ReplySchema | typeof pb.CommandSchema, msgs: T[]): Uint8Array {
  const w = new BinaryWriter();
  for (const m of msgs) w.bytes(toBinary(schema as typeof pb.ReplySchema, m as pb.Reply));
  return w.finish();
}

// The protobuf build of the real JS SDK (centrifuge@5.8): its codec encodes Commands and decodes
// Replies exactly as browsers do.
const require = createRequire(import.meta.url);
interface SdkCodec {
  encodeCommands(commands: object[]): Uint8Array;
  decodeReplies(data: Uint8Array): Record<string, unknown>[];
}
function sdkProtobufCodec(): SdkCodec {
  const { Centrifuge } = require('centrifuge/build/protobuf') as { Centrifuge: new (url: string, opts: object) => { _codec: SdkCodec } };
  const WebSocket = require('ws') as unknown;
  return new Centrifuge('ws://127.0.0.1:9/connection/websocket', { websocket: WebSocket })._codec;
}

// ---------------------------------------------------------------------------------------------
// Traces and the SDK's own codec.

test('protobuf codec - decodes the first binary frame of the protobuf trace', () => {
  const frame = fromHex('14 08 01 22 10 0a 01 54 12 07 7b 22 61 22 3a 31 7d 22 02 6a 73 0c 08 02 2a 08 0a 04 6e 65 77 73 70 01');
  assert.deepEqual(decodeCommandsProtobuf(frame), [
    create(pb.CommandSchema, { id: 1, connect: { token: 'T', data: utf8('{"a":1}'), name: 'js' } }),
    create(pb.CommandSchema, { id: 2, subscribe: { channel: 'news', flag: 1n } }),
  ]);
});

test('protobuf codec - ping reply is the single byte 00 and a 00 command is a pong', () => {
  assert.equal(hex(encodeReplyProtobuf(create(pb.ReplySchema, {}))), '00');
  assert.equal(hex(encodeRepliesProtobuf([create(pb.ReplySchema, {}), create(pb.ReplySchema, {})])), '0000');
  assert.deepEqual(decodeCommandsProtobuf(new Uint8Array([0])), [create(pb.CommandSchema, {})]);
  // A single reply is still length-prefixed.
  const r = encodeReplyProtobuf(create(pb.ReplySchema, { id: 1, publish: {} }));
  assert.equal(hex(r), '04' + '0801' + '4200');
});

test('protobuf codec - frames built by the SDK protobuf encoder decode correctly', () => {
  const sdk = sdkProtobufCodec();
  const frame = sdk.encodeCommands([
    { id: 1, connect: { token: 'T', data: utf8('{"a":1}'), name: 'js', subs: { news: { recover: true, offset: 7, epoch: 'e' } }, headers: { h: 'v' } } },
    { id: 2, subscribe: { channel: 'news', flag: 1, positioned: true, recoverable: true, join_leave: true, delta: 'fossil', tf: { op: 'and', nodes: [{ key: 'k', cmp: 'eq', val: 'v' }] } } },
    { id: 3, history: { channel: 'news', limit: 10, since: { offset: 2, epoch: 'ep1' }, reverse: true } },
    { send: { data: utf8('{"z":3}') } },
    { id: 4, sub_refresh: { channel: 'c', token: 't', type: 1, track: [{ signature: 's', items: [{ key: 'a', version: 2 }] }], untrack: ['x'] } },
    {},
  ]);
  // Identical to the trace for the first two commands' shape, and decodable in full.
  const cmds = decodeCommandsProtobuf(frame);
  assert.deepEqual(cmds, [
    create(pb.CommandSchema, {
      id: 1,
      connect: {
        token: 'T',
        data: utf8('{"a":1}'),
        name: 'js',
        subs: { news: { recover: true, offset: 7n, epoch: 'e' } },
        headers: { h: 'v' },
      },
    }),
    create(pb.CommandSchema, {
      id: 2,
      subscribe: {
        channel: 'news',
        flag: 1n,
        positioned: true,
        recoverable: true,
        joinLeave: true,
        delta: 'fossil',
        tf: { op: 'and', nodes: [{ key: 'k', cmp: 'eq', val: 'v' }] },
      },
    }),
    create(pb.CommandSchema, { id: 3, history: { channel: 'news', limit: 10, since: { offset: 2n, epoch: 'ep1' }, reverse: true } }),
    create(pb.CommandSchema, { send: { data: utf8('{"z":3}') } }),
    create(pb.CommandSchema, {
      id: 4,
      subRefresh: { channel: 'c', token: 't', type: 1, track: [{ signature: 's', items: [{ key: 'a', version: 2n }] }], untrack: ['x'] },
    }),
    create(pb.CommandSchema, {}),
  ]);
  assert.equal(
    hex(sdk.encodeCommands([{ id: 1, connect: { token: 'T', data: utf8('{"a":1}'), name: 'js' } }, { id: 2, subscribe: { channel: 'news', flag: 1 } }])),
    '14080122100a015412077b2261223a317d22026a730c08022a080a046e6577737001',
  );
});

test('protobuf codec - our reply frames decode with the SDK protobuf decoder', () => {
  const sdk = sdkProtobufCodec();
  const big = (1n << 60n) + 5n;
  const frame = encodeRepliesProtobuf([
    create(pb.ReplySchema, { id: 1, connect: { client: 'cid', version: '1', ping: 25, pong: true, subs: { '#1': { recoverable: true, offset: 3n } } } }),
    create(pb.ReplySchema, { id: 2, subscribe: { recoverable: true, positioned: true, epoch: 'ep1', offset: 5n } }),
    create(pb.ReplySchema, { id: 3, error: { code: 109, message: 'token expired' } }),
    create(pb.ReplySchema, {}),
  ]);
  const pushFrame = encodePublicationPushProtobuf('news', create(pb.PublicationSchema, { data: utf8('{"hello":1}'), offset: big, tags: { t: 'v' } }));
  const all = new Uint8Array([...frame, ...pushFrame]);
  const replies = sdk.decodeReplies(all) as {
    id?: number;
    connect?: { client: string; version: string; ping: number; pong: boolean; subs: Record<string, { recoverable: boolean; offset: { toString(): string } }> };
    subscribe?: { recoverable: boolean; positioned: boolean; epoch: string; offset: { toString(): string } };
    error?: { code: number; message: string };
    push?: { channel: string; pub: { data: Uint8Array; offset: { toString(): string }; tags: Record<string, string> } };
  }[];
  assert.equal(replies.length, 5);
  const [connect, subscribe, error, ping, push] = replies;
  assert.equal(connect?.id, 1);
  assert.equal(connect?.connect?.client, 'cid');
  assert.equal(connect?.connect?.ping, 25);
  assert.equal(connect?.connect?.pong, true);
  assert.equal(connect?.connect?.subs['#1']?.recoverable, true);
  assert.equal(connect?.connect?.subs['#1']?.offset.toString(), '3');
  assert.equal(subscribe?.subscribe?.epoch, 'ep1');
  assert.equal(subscribe?.subscribe?.offset.toString(), '5');
  assert.equal(subscribe?.subscribe?.positioned, true);
  assert.deepEqual({ code: error?.error?.code, message: error?.error?.message }, { code: 109, message: 'token expired' });
  assert.equal(ping?.id ?? 0, 0);
  assert.ok(ping?.push == null, 'the empty reply carries no push'); // protobufjs reports absent as null
  assert.equal(push?.push?.channel, 'news');
  assert.equal(new TextDecoder().decode(push?.push?.pub.data), '{"hello":1}');
  assert.equal(push?.push?.pub.offset.toString(), big.toString());
  assert.deepEqual({ ...push?.push?.pub.tags }, { t: 'v' });
});

// ---------------------------------------------------------------------------------------------
// Equivalence with protobuf-es reflection and round trips.

test('protobuf codec - every reply type encodes to exactly the bytes of protobuf-es toBinary', () => {
  const replies = allReplies();
  for (const r of replies) {
    assert.equal(hex(encodeReplyProtobuf(r)), hex(delimited(pb.ReplySchema, [r])), JSON.stringify(Object.keys(r)));
  }
  assert.equal(hex(encodeRepliesProtobuf(replies)), hex(delimited(pb.ReplySchema, replies)));
});

test('protobuf codec - every result and push type round trips (our encoder, reflective decoder)', () => {
  const replies = allReplies();
  assert.deepEqual(decodeRepliesProtobuf(encodeRepliesProtobuf(replies)), replies);
});

test('protobuf codec - every command type round trips (reflective encoder, our decoder)', () => {
  const cmds = allCommands();
  const frame = encodeCommandsProtobuf(cmds);
  assert.equal(hex(frame), hex(delimited(pb.CommandSchema, cmds)));
  const decoded = decodeCommandsProtobuf(frame);
  assert.deepEqual(decoded, cmds);
  // And back through reflection once more: nothing was lost.
  assert.deepEqual(decoded.map((c) => fromBinary(pb.CommandSchema, toBinary(pb.CommandSchema, c))), cmds);
});

test('protobuf codec - publication fast path equals the generic encoding', () => {
  const p = fullPublication((1n << 63n) + 1n);
  const generic = encodeReplyProtobuf(create(pb.ReplySchema, { push: { channel: 'news', pub: p } }));
  assert.equal(hex(encodePublicationPushProtobuf('news', p)), hex(generic));
  assert.equal(hex(encodePublicationUniPushProtobuf('news', p)), hex(encodePushProtobuf(create(pb.PushSchema, { channel: 'news', pub: p }))));
  // Large payloads need multi-byte length prefixes at every level.
  const bigData = create(pb.PublicationSchema, { data: utf8(JSON.stringify('x'.repeat(70_000))), offset: 1n });
  const bigFrame = encodePublicationPushProtobuf('c', bigData);
  assert.equal(hex(bigFrame), hex(encodeReplyProtobuf(create(pb.ReplySchema, { push: { channel: 'c', pub: bigData } }))));
  assert.deepEqual(decodeRepliesProtobuf(bigFrame)[0]?.push?.pub?.data, bigData.data);
});

test('protobuf codec - client-protocol Push bytes decode as the unistream Push (wire subset)', () => {
  const push = create(pb.PushSchema, {
    channel: 'news',
    pub: create(pb.PublicationSchema, { data: utf8('{"a":1}'), offset: 9n, tags: { k: 'v' }, info: { user: 'u', client: 'c' } }),
  });
  const u = fromBinary(uni.PushSchema, encodePushProtobuf(push));
  assert.equal(u.channel, 'news');
  assert.equal(u.pub?.offset, 9n);
  assert.deepEqual(u.pub?.tags, { k: 'v' });
  assert.equal(u.pub?.info?.user, 'u');
  assert.deepEqual(u.pub?.data, utf8('{"a":1}'));
  const connect = create(uni.ConnectRequestSchema, { token: 't', subs: { ch: { recover: true, offset: 3n, epoch: 'e' } }, headers: { h: 'v' } });
  const back = decodeConnectRequestProtobuf(toBinary(uni.ConnectRequestSchema, connect));
  assert.equal(back.token, 't');
  assert.equal(back.subs['ch']?.offset, 3n);
  assert.equal(back.subs['ch']?.recover, true);
  assert.deepEqual(back.headers, { h: 'v' });
});

test('protobuf codec - emulation body is a bare EmulationRequest with delimited commands inside', () => {
  const inner = encodeCommandsProtobuf([create(pb.CommandSchema, { id: 2, subscribe: { channel: 'news' } })]);
  const body = toBinary(pb.EmulationRequestSchema, create(pb.EmulationRequestSchema, { node: 'n1', session: 's1', data: inner }));
  const req = decodeEmulationRequestProtobuf(body);
  assert.equal(req.node, 'n1');
  assert.equal(req.session, 's1');
  assert.equal(decodeCommandsProtobuf(req.data)[0]?.subscribe?.channel, 'news');
});

test('protobuf codec - decoded bytes do not alias the frame buffer', () => {
  const frame = encodeCommandsProtobuf([create(pb.CommandSchema, { id: 1, publish: { channel: 'c', data: utf8('{"a":1}') } })]);
  const [c] = decodeCommandsProtobuf(frame);
  frame.fill(0);
  assert.deepEqual(c?.publish?.data, utf8('{"a":1}'));
});

test('protobuf codec - 64-bit values at their limits survive', () => {
  const max = (1n << 64n) - 1n;
  const cmds = [create(pb.CommandSchema, { id: 4_294_967_295, subscribe: { offset: max, flag: -(1n << 63n), limit: -2_147_483_648 } })];
  assert.deepEqual(decodeCommandsProtobuf(encodeCommandsProtobuf(cmds)), cmds);
  const replies = [create(pb.ReplySchema, { push: { id: -1n, pub: { offset: max, score: -(1n << 63n), time: (1n << 63n) - 1n } } })];
  assert.deepEqual(decodeRepliesProtobuf(encodeRepliesProtobuf(replies)), replies);
});

// ---------------------------------------------------------------------------------------------
// Lenient decoding.

test('protobuf codec - unknown fields, reserved numbers and unexpected wire types are skipped', () => {
  const w = new BinaryWriter();
  w.fork();
  w.uint32((1 << 3) | 0).uint32(9); // id = 9
  w.uint32((2 << 3) | 0).uint32(1); // reserved (v1 method)
  w.uint32((99 << 3) | 2).bytes(utf8('future')); // unknown field
  w.uint32((98 << 3) | 5).fixed32(7); // unknown fixed32
  w.uint32((97 << 3) | 1).fixed64(7n); // unknown fixed64
  w.uint32((96 << 3) | 3).uint32((1 << 3) | 0).uint32(1).uint32((96 << 3) | 4); // unknown group
  w.uint32((5 << 3) | 2).fork().uint32((1 << 3) | 2).string('news').uint32((3 << 3) | 2).string('wrong type').join(); // subscribe{channel, recover as bytes}
  w.uint32((4 << 3) | 0).uint32(5); // connect with varint wire type: skipped
  w.join();
  const [c, ...rest] = decodeCommandsProtobuf(w.finish());
  assert.equal(rest.length, 0);
  assert.deepEqual(c, create(pb.CommandSchema, { id: 9, subscribe: { channel: 'news' } }));
});

// ---------------------------------------------------------------------------------------------
// Malformed input.

test('protobuf codec - malformed frames throw ProtocolDecodeError', () => {
  const bad: [string, Uint8Array][] = [
    ['empty frame', new Uint8Array(0)],
    ['truncated length varint', fromHex('80')],
    ['length beyond frame', fromHex('05 08 01')],
    ['huge length', fromHex('ff ff ff ff 0f 08 01')],
    ['truncated id varint', fromHex('02 08 80')],
    ['field number zero', fromHex('02 00 01')],
    ['invalid wire type 7', fromHex('01 0f')],
    ['nested length beyond message', fromHex('04 2a 05 0a 01')],
    ['string beyond message', fromHex('04 2a 02 0a 05')],
    ['unterminated group', fromHex('02 1b 08')],
    ['varint too long', fromHex('0b 08 ff ff ff ff ff ff ff ff ff ff')],
    ['second message truncated', fromHex('00 03 08 01')],
  ];
  for (const [name, frame] of bad) {
    assert.throws(() => decodeCommandsProtobuf(frame), (e: unknown) => e instanceof ProtocolDecodeError, name);
  }
  assert.throws(() => decodeCommandsProtobuf('x' as unknown as Uint8Array), ProtocolDecodeError);
  assert.throws(() => decodeEmulationRequestProtobuf(fromHex('0a 05 61')), ProtocolDecodeError);
});

test('protobuf codec - deeply nested tags filters are rejected, not a stack overflow', () => {
  let node = toBinary(pb.FilterNodeSchema, create(pb.FilterNodeSchema, { key: 'k' }));
  for (let i = 0; i < 100; i++) {
    const w = new BinaryWriter();
    w.uint32((1 << 3) | 2).string('not').uint32((6 << 3) | 2).bytes(node);
    node = w.finish();
  }
  const w = new BinaryWriter();
  w.fork().uint32((1 << 3) | 0).uint32(1).uint32((5 << 3) | 2).fork().uint32((13 << 3) | 2).bytes(node).join().join();
  assert.throws(() => decodeCommandsProtobuf(w.finish()), ProtocolDecodeError);
});

test('protobuf codec - random bytes never throw anything but ProtocolDecodeError and never hang', () => {
  const check = (bytes: Uint8Array): void => {
    try {
      const cmds = decodeCommandsProtobuf(bytes);
      assert.ok(cmds.length > 0);
    } catch (e) {
      if (!(e instanceof ProtocolDecodeError)) throw e;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 5000 });
  const valid = encodeCommandsProtobuf(allCommands());
  fc.assert(
    fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'drop', 'insert', 'cut'), (i, b, op) => {
      const arr = Array.from(valid);
      if (op === 'flip') arr[i] = b;
      else if (op === 'drop') arr.splice(i, 1);
      else if (op === 'insert') arr.splice(i, 0, b);
      else arr.length = i;
      check(new Uint8Array(arr));
    }),
    { numRuns: 5000 },
  );
  for (const decode of [decodeEmulationRequestProtobuf, decodeConnectRequestProtobuf, decodeRepliesProtobuf]) {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          decode(bytes);
        } catch (e) {
          if (!(e instanceof ProtocolDecodeError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  }
});

test('protobuf codec - arbitrary publications round trip through the push fast path', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.string({ unit: 'grapheme' }),
      fc.dictionary(fc.string(), fc.string()),
      (data, offset, channel, tags) => {
        const p = create(pb.PublicationSchema, { data, offset, tags });
        const [r] = decodeRepliesProtobuf(encodePublicationPushProtobuf(channel, p));
        assert.equal(r?.push?.channel, channel);
        assert.equal(r?.push?.pub?.offset, offset);
        assert.deepEqual(r?.push?.pub?.data, data);
        assert.deepEqual({ ...r?.push?.pub?.tags }, { ...tags });
      },
    ),
    { numRuns: 1000 },
  );
});
