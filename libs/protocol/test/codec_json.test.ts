import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import fc from 'fast-check';
import * as pb from '../src/gen/centrifugal/centrifuge/protocol/client_pb.js';
import {
  ProtocolDecodeError,
  ProtocolEncodeError,
  decodeCommandsJson,
  decodeConnectRequestJson,
  decodeEmulationRequestJson,
  decodePushJson,
  decodeRepliesJson,
  encodeCommandsJson,
  encodeConnectRequestJson,
  encodePublicationPushJson,
  encodePublicationUniPushJson,
  encodePushJson,
  encodeRepliesJson,
  encodeReplyJson,
} from '../src/index.js';
import { allCommands, allReplies, fullPublication, text, utf8 } from './fixtures.js';

const reply = (init: Parameters<typeof create<typeof pb.ReplySchema>>[1]) => create(pb.ReplySchema, init);
const pub = (data: string, offset = 0n) => create(pb.PublicationSchema, { data: utf8(data), offset });

// ---------------------------------------------------------------------------------------------
// Captured traces (client-protocol.md §10), byte for byte.

test('json codec - decodes the first frame the JS SDK sends (connect + optimistic subscribe)', () => {
  const frame =
    '{"connect":{"token":"TOKEN1","data":{"a":1},"name":"probe","version":"9.9"},"id":1}\n' +
    '{"subscribe":{"channel":"news","data":{"s":1},"positioned":true,"recoverable":true,"join_leave":true,"flag":1,"delta":"fossil"},"id":2}';
  const [c1, c2, ...rest] = decodeCommandsJson(frame);
  assert.equal(rest.length, 0);
  assert.deepEqual(
    c1,
    create(pb.CommandSchema, {
      id: 1,
      connect: { token: 'TOKEN1', data: utf8('{"a":1}'), name: 'probe', version: '9.9' },
    }),
  );
  assert.deepEqual(
    c2,
    create(pb.CommandSchema, {
      id: 2,
      subscribe: {
        channel: 'news',
        data: utf8('{"s":1}'),
        positioned: true,
        recoverable: true,
        joinLeave: true,
        flag: 1n,
        delta: 'fossil',
      },
    }),
  );
});

test('json codec - encodes the connect reply of the WebSocket trace byte for byte', () => {
  const out = encodeReplyJson(
    reply({ id: 1, connect: { client: 'cid-1', version: '0.0.1', ping: 2, pong: true, expires: true, ttl: 3 } }),
  );
  assert.equal(out, '{"id":1,"connect":{"client":"cid-1","version":"0.0.1","ping":2,"pong":true,"expires":true,"ttl":3}}');
});

test('json codec - encodes the subscribe reply and publication push batch of the trace byte for byte', () => {
  const out = encodeRepliesJson([
    reply({ id: 2, subscribe: { recoverable: true, positioned: true, epoch: 'ep1', offset: 5n } }),
    reply({ push: { channel: 'news', pub: pub('{"hello":1}', 6n) } }),
  ]);
  assert.equal(
    out,
    '{"id":2,"subscribe":{"recoverable":true,"positioned":true,"epoch":"ep1","offset":5}}\n' +
      '{"push":{"channel":"news","pub":{"data":{"hello":1},"offset":6}}}',
  );
});

test('json codec - ping is {} and the fast publication path equals the generic push encoding', () => {
  assert.equal(encodeReplyJson(reply({})), '{}');
  assert.equal(encodeRepliesJson([reply({}), reply({})]), '{}\n{}');
  const p = pub('{"hello":1}', 6n);
  const fast = encodePublicationPushJson('news', p);
  assert.equal(fast, '{"push":{"channel":"news","pub":{"data":{"hello":1},"offset":6}}}');
  assert.equal(fast, encodeReplyJson(reply({ push: { channel: 'news', pub: p } })));
  const full = fullPublication();
  assert.equal(encodePublicationPushJson('c', full), encodeReplyJson(reply({ push: { channel: 'c', pub: full } })));
  assert.equal(encodePublicationUniPushJson('c', full), encodePushJson(create(pb.PushSchema, { channel: 'c', pub: full })));
});

test('json codec - encodes errors, unsubscribe and disconnect pushes as in the traces', () => {
  assert.equal(
    encodeReplyJson(reply({ id: 1, error: { code: 109, message: 'token expired' } })),
    '{"id":1,"error":{"code":109,"message":"token expired"}}',
  );
  assert.equal(
    encodeReplyJson(reply({ id: 3, error: { code: 100, message: 'internal server error', temporary: true } })),
    '{"id":3,"error":{"code":100,"message":"internal server error","temporary":true}}',
  );
  assert.equal(
    encodeReplyJson(reply({ push: { channel: 'b', unsubscribe: { code: 2500, reason: 'insufficient state' } } })),
    '{"push":{"channel":"b","unsubscribe":{"code":2500,"reason":"insufficient state"}}}',
  );
  assert.equal(
    encodeReplyJson(reply({ push: { disconnect: { code: 3503, reason: 'force disconnect' } } })),
    '{"push":{"disconnect":{"code":3503,"reason":"force disconnect"}}}',
  );
});

test('json codec - HTTP-stream and SSE trace replies byte for byte', () => {
  assert.equal(
    encodeReplyJson(
      reply({ id: 1, connect: { client: 'cid', version: '1', ping: 25, pong: true, session: 'sess-1', node: 'node-1' } }),
    ),
    '{"id":1,"connect":{"client":"cid","version":"1","ping":25,"pong":true,"session":"sess-1","node":"node-1"}}',
  );
  assert.equal(
    encodeRepliesJson([reply({ id: 2, subscribe: {} }), reply({ push: { channel: 'news', pub: pub('{"v":1}') } })]),
    '{"id":2,"subscribe":{}}\n{"push":{"channel":"news","pub":{"data":{"v":1}}}}',
  );
  assert.equal(
    encodeReplyJson(reply({ id: 1, connect: { client: 'cid', version: '1', session: 's', node: 'n' } })),
    '{"id":1,"connect":{"client":"cid","version":"1","session":"s","node":"n"}}',
  );
  assert.equal(encodeReplyJson(reply({ id: 3, publish: {} })), '{"id":3,"publish":{}}');
  assert.equal(encodeReplyJson(reply({ id: 4, unsubscribe: {} })), '{"id":4,"unsubscribe":{}}');
});

test('json codec - unidirectional session example: bare pushes byte for byte', () => {
  const lines = [
    '{"connect":{"client":"bb56","version":"6.x","subs":{"#2694":{}},"ping":25,"session":"3159"}}',
    '{"channel":"#2694","join":{"info":{"user":"2694","client":"bb56"}}}',
    '{"channel":"#2694","pub":{"data":{"input":1},"offset":1}}',
    '{}',
    '{"disconnect":{"code":3001,"reason":"shutdown"}}',
  ];
  const pushes = [
    create(pb.PushSchema, {
      connect: { client: 'bb56', version: '6.x', subs: { '#2694': {} }, ping: 25, session: '3159' },
    }),
    create(pb.PushSchema, { channel: '#2694', join: { info: { user: '2694', client: 'bb56' } } }),
    create(pb.PushSchema, { channel: '#2694', pub: pub('{"input":1}', 1n) }),
    create(pb.PushSchema, {}),
    create(pb.PushSchema, { disconnect: { code: 3001, reason: 'shutdown' } }),
  ];
  assert.deepEqual(pushes.map((p) => encodePushJson(p)), lines);
  assert.deepEqual(lines.map((l) => decodePushJson(l)), pushes);
});

test('json codec - decodes the later commands of the trace, pong and send without id', () => {
  const cmds = decodeCommandsJson(
    [
      '{}',
      '{"publish":{"channel":"news","data":{"x":1}},"id":3}',
      '{"rpc":{"method":"m","data":{"y":2}},"id":4}',
      '{"history":{"channel":"news","since":{"offset":2,"epoch":"ep1"},"limit":10},"id":5}',
      '{"send":{"data":{"z":3}}}',
      '{"refresh":{"token":"TOKEN2"},"id":6}',
    ].join('\n'),
  );
  assert.deepEqual(cmds, [
    create(pb.CommandSchema, {}),
    create(pb.CommandSchema, { id: 3, publish: { channel: 'news', data: utf8('{"x":1}') } }),
    create(pb.CommandSchema, { id: 4, rpc: { method: 'm', data: utf8('{"y":2}') } }),
    create(pb.CommandSchema, { id: 5, history: { channel: 'news', since: { offset: 2n, epoch: 'ep1' }, limit: 10 } }),
    create(pb.CommandSchema, { send: { data: utf8('{"z":3}') } }),
    create(pb.CommandSchema, { id: 6, refresh: { token: 'TOKEN2' } }),
  ]);
});

test('json codec - emulation body unwraps the data string into a command frame', () => {
  const body = '{"session":"sess-1","node":"node-1","data":"{\\"subscribe\\":{\\"channel\\":\\"news\\",\\"flag\\":1},\\"id\\":2}"}';
  const req = decodeEmulationRequestJson(body);
  assert.equal(req.session, 'sess-1');
  assert.equal(req.node, 'node-1');
  assert.deepEqual(decodeCommandsJson(req.data), [
    create(pb.CommandSchema, { id: 2, subscribe: { channel: 'news', flag: 1n } }),
  ]);
});

test('json codec - uni ConnectRequest round trip', () => {
  const frame = '{"token":"T","data":{"a":1},"subs":{"ch":{"recover":true,"epoch":"e","offset":3}},"name":"n","headers":{"h":"v"}}';
  const req = decodeConnectRequestJson(frame);
  assert.equal(req.token, 'T');
  assert.equal(req.subs['ch']?.offset, 3n);
  assert.deepEqual(decodeConnectRequestJson(encodeConnectRequestJson(req)), req);
});

// ---------------------------------------------------------------------------------------------
// Round trips of every command and every result / push type.

test('json codec - every command type round trips through encode and decode', () => {
  const cmds = allCommands();
  const frame = encodeCommandsJson(cmds);
  assert.equal(frame.split('\n').length, cmds.length);
  for (const line of frame.split('\n')) JSON.parse(line); // each line is standard JSON
  assert.deepEqual(decodeCommandsJson(frame), cmds);
  assert.deepEqual(decodeCommandsJson(utf8(frame)), cmds);
});

test('json codec - every result and push type round trips through encode and decode', () => {
  const replies = allReplies();
  const frame = encodeRepliesJson(replies);
  const lines = frame.split('\n');
  assert.equal(lines.length, replies.length);
  for (const line of lines) JSON.parse(line);
  assert.deepEqual(decodeRepliesJson(frame), replies);
  for (const r of replies) assert.deepEqual(decodeRepliesJson(encodeReplyJson(r)), [r]);
});

test('json codec - always-emitted fields of §2.4 appear even when zero', () => {
  assert.equal(encodeReplyJson(reply({ id: 1, presence: {} })), '{"id":1,"presence":{"presence":{}}}');
  assert.equal(
    encodeReplyJson(reply({ id: 1, presenceStats: {} })),
    '{"id":1,"presence_stats":{"num_clients":0,"num_users":0}}',
  );
  assert.equal(
    encodeReplyJson(reply({ id: 1, history: {} })),
    '{"id":1,"history":{"publications":[],"epoch":"","offset":0}}',
  );
  assert.equal(
    encodeReplyJson(reply({ id: 1, presence: { presence: { c: { client: 'c' } } } })),
    '{"id":1,"presence":{"presence":{"c":{"user":"","client":"c"}}}}',
  );
  // Zero values elsewhere are omitted.
  assert.equal(encodeReplyJson(reply({ id: 5, subscribe: { ttl: 0, epoch: '', offset: 0n } })), '{"id":5,"subscribe":{}}');
});

// ---------------------------------------------------------------------------------------------
// Numbers and raw JSON payloads.

test('json codec - 64-bit offsets above 2^53 survive encode and decode exactly', () => {
  const big = (1n << 60n) + 123n;
  const max = 18_446_744_073_709_551_615n;
  const out = encodeRepliesJson([
    reply({ push: { channel: 'c', pub: pub('1', big) } }),
    reply({ id: 2, subscribe: { offset: max, positioned: true } }),
  ]);
  assert.ok(out.includes('"offset":1152921504606847099'), out);
  assert.ok(out.includes('"offset":18446744073709551615'), out);
  const [a, b] = decodeRepliesJson(out);
  assert.equal(a?.push?.pub?.offset, big);
  assert.equal(b?.subscribe?.offset, max);

  const [c] = decodeCommandsJson('{"id":1,"subscribe":{"channel":"c","recover":true,"offset":18446744073709551615}}');
  assert.equal(c?.subscribe?.offset, max);
  // Quoted 64-bit values are accepted for safety.
  const [d] = decodeCommandsJson('{"id":1,"subscribe":{"channel":"c","offset":"9007199254740993"}}');
  assert.equal(d?.subscribe?.offset, 9_007_199_254_740_993n);
  assert.throws(() => decodeCommandsJson('{"id":1,"subscribe":{"offset":18446744073709551616}}'), ProtocolDecodeError);
  assert.throws(() => decodeCommandsJson('{"id":1,"subscribe":{"offset":-1}}'), ProtocolDecodeError);
  assert.throws(() => decodeCommandsJson('{"id":1,"subscribe":{"flag":9223372036854775808}}'), ProtocolDecodeError);
  const [e] = decodeCommandsJson('{"id":1,"subscribe":{"flag":-9223372036854775808}}');
  assert.equal(e?.subscribe?.flag, -(1n << 63n));
});

test('json codec - raw JSON data with big integers and unicode survives byte for byte', () => {
  const payload =
    '{ "n" : 123456789012345678901234567890, "f": 1.50e+10, "s":"héllo 😀 \\u00e9\\ud83d\\ude00", "a":[ true ,null ] }';
  const [cmd] = decodeCommandsJson(`{"id":1,"publish":{"channel":"c","data":${payload}}}`);
  assert.equal(text(cmd!.publish!.data), payload);
  assert.deepEqual(cmd!.publish!.data, utf8(payload));
  // Same from a byte frame.
  const [cmd2] = decodeCommandsJson(utf8(`{"id":1,"publish":{"channel":"c","data":${payload}}}`));
  assert.deepEqual(cmd2!.publish!.data, utf8(payload));
  // And back out, embedded verbatim.
  const out = encodePublicationPushJson('c', pub(payload, 1n));
  assert.equal(out, `{"push":{"channel":"c","pub":{"data":${payload},"offset":1}}}`);
  assert.deepEqual(decodeRepliesJson(out)[0]?.push?.pub?.data, utf8(payload));
  // Any JSON value works as data, strings and numbers included.
  for (const v of ['"just a string"', '12345678901234567890', 'null', 'false', '[]', '{}']) {
    assert.equal(encodePublicationPushJson('c', pub(v)), `{"push":{"channel":"c","pub":{"data":${v}}}}`);
  }
});

test('json codec - raw newlines are removed from embedded payloads', () => {
  const out = encodePublicationPushJson('c', pub('{\n  "a": 1,\n  "b": [1,\n2]\n}'));
  assert.equal(out, '{"push":{"channel":"c","pub":{"data":{  "a": 1,  "b": [1,2]}}}}');
  assert.ok(!out.includes('\n'));
});

test('json codec - bytes that are not JSON fail with ProtocolEncodeError carrying 3506', () => {
  const bad = [new Uint8Array([0xff, 0x00, 0x01]), utf8('{"a":'), utf8('not json'), utf8('{} {}'), new Uint8Array([0x22, 0xc3, 0x28, 0x22])];
  for (const data of bad) {
    const p = create(pb.PublicationSchema, { data });
    assert.throws(
      () => encodePublicationPushJson('c', p),
      (e: unknown) => e instanceof ProtocolEncodeError && e.disconnectCode === 3506,
    );
    assert.throws(() => encodeReplyJson(reply({ id: 1, rpc: { data } })), ProtocolEncodeError);
  }
  // A failed encode does not affect the next one.
  assert.equal(encodePublicationPushJson('c', pub('1')), '{"push":{"channel":"c","pub":{"data":1}}}');
});

test('json codec - delta mode sends data as a JSON string', () => {
  const out = encodePublicationPushJson('c', create(pb.PublicationSchema, { data: utf8('{"hello":"wörld"}'), delta: false, offset: 3n }), {
    publicationDataAsString: true,
  });
  assert.equal(out, '{"push":{"channel":"c","pub":{"data":"{\\"hello\\":\\"wörld\\"}","offset":3}}}');
  const delta = encodePublicationPushJson('c', create(pb.PublicationSchema, { data: utf8('3\n1:x;'), delta: true }), {
    publicationDataAsString: true,
  });
  assert.equal(delta, '{"push":{"channel":"c","pub":{"data":"3\\n1:x;","delta":true}}}');
});

test('json codec - strings with quotes, control characters and unicode are escaped correctly', () => {
  const channel = 'a"b\\c\n\u0001é😀';
  const out = encodePublicationPushJson(channel, pub('1'));
  assert.equal(JSON.parse(out).push.channel, channel);
  assert.equal(decodeRepliesJson(out)[0]?.push?.channel, channel);
  const [c] = decodeCommandsJson('{"id":1,"subscribe":{"channel":"\\u0041\\n\\"\\/\\\\\\ud83d\\ude00é"}}');
  assert.equal(c?.subscribe?.channel, 'A\n"/\\😀é');
});

// ---------------------------------------------------------------------------------------------
// Lenient where the reference decoder is lenient.

test('json codec - unknown fields are skipped, null means zero value', () => {
  const [c] = decodeCommandsJson(
    '{"id":7,"future":{"deep":[1,{"x":null},"s",-1.5e3]},"connect":{"token":"t","unknown":true,"subs":null,"headers":null,"data":{"k":[]}},"ping":null}',
  );
  assert.deepEqual(c, create(pb.CommandSchema, { id: 7, connect: { token: 't', data: utf8('{"k":[]}') } }));
  const [d] = decodeCommandsJson('{"id":null,"subscribe":{"channel":null,"offset":null,"recover":null,"tf":null}}');
  assert.deepEqual(d, create(pb.CommandSchema, { subscribe: {} }));
});

test('json codec - framing: trailing newline tolerated, several commands per frame, whitespace', () => {
  assert.equal(decodeCommandsJson('{"id":1}\n').length, 1);
  assert.equal(decodeCommandsJson('{"id":1}\r\n{"id":2}\n').length, 2);
  assert.equal(decodeCommandsJson('  {"id":1}  \n\t{ "id" : 2 }').length, 2);
  assert.deepEqual(
    decodeCommandsJson('{"id":1}\n{"id":2}\n{"id":3}').map((c) => c.id),
    [1, 2, 3],
  );
});

test('json codec - a "__proto__" map key stays an own entry', () => {
  const [c] = decodeCommandsJson('{"id":1,"connect":{"headers":{"__proto__":"x","a":"b"}}}');
  const headers = c!.connect!.headers;
  assert.equal(Object.getPrototypeOf(headers), Object.prototype);
  assert.deepEqual(Object.keys(headers), ['__proto__', 'a']);
  assert.equal(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value, 'x');
});

// ---------------------------------------------------------------------------------------------
// Malformed input.

test('json codec - malformed frames throw ProtocolDecodeError', () => {
  const bad: (string | Uint8Array)[] = [
    '',
    '   ',
    '\n',
    '{',
    '{"id":1',
    '{"id":1,}',
    '{"id":1}}',
    '{"id":1} x',
    '{"id":1}\n\n{"id":2}',
    '\n{"id":1}',
    '[]',
    '1',
    'null',
    '"str"',
    '{id:1}',
    "{'id':1}",
    '{"id":01}',
    '{"id":1.5}',
    '{"id":1e2}',
    '{"id":-1}',
    '{"id":4294967296}',
    '{"id":"1"}',
    '{"id":true}',
    '{"connect":[]}',
    '{"connect":"x"}',
    '{"subscribe":{"channel":1}}',
    '{"subscribe":{"recover":"true"}}',
    '{"subscribe":{"recover":1}}',
    '{"subscribe":{"type":2147483648}}',
    '{"connect":{"headers":{"a":1}}}',
    '{"connect":{"headers":[]}}',
    '{"subscribe":{"tf":{"vals":"x"}}}',
    '{"publish":{"data":}}',
    '{"publish":{"data":{"a":1,}}}',
    '{"publish":{"data":[1 2]}}',
    '{"publish":{"data":nul}}',
    '{"publish":{"data":tru}}',
    '{"publish":{"data":-}}',
    '{"publish":{"data":1.}}',
    '{"publish":{"data":"\\x"}}',
    '{"publish":{"data":"\\u12"}}',
    '{"publish":{"data":"a\u0001b"}}',
    '{"subscribe":{"channel":"unterminated}}',
    new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), // {"\xff":1}
    new Uint8Array([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x31]), // truncated
  ];
  for (const frame of bad) {
    assert.throws(
      () => decodeCommandsJson(frame),
      (e: unknown) => e instanceof ProtocolDecodeError,
      `should reject ${typeof frame === 'string' ? JSON.stringify(frame) : `bytes ${Array.from(frame)}`}`,
    );
  }
  assert.throws(() => decodeCommandsJson(42 as unknown as string), ProtocolDecodeError);
});

test('json codec - deep nesting is bounded and never overflows the stack', () => {
  const ok = '['.repeat(5000) + ']'.repeat(5000);
  const [c] = decodeCommandsJson(`{"id":1,"publish":{"data":${ok}}}`);
  assert.equal(c!.publish!.data.length, 10_000);
  const tooDeep = '['.repeat(20_000) + ']'.repeat(20_000);
  assert.throws(() => decodeCommandsJson(`{"id":1,"publish":{"data":${tooDeep}}}`), ProtocolDecodeError);
  assert.throws(() => decodeCommandsJson(`{"id":1,"unknown":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`), ProtocolDecodeError);
  let tf = '{}';
  for (let i = 0; i < 100; i++) tf = `{"op":"not","nodes":[${tf}]}`;
  assert.throws(() => decodeCommandsJson(`{"id":1,"subscribe":{"channel":"c","tf":${tf}}}`), ProtocolDecodeError);
});

// ---------------------------------------------------------------------------------------------
// Properties.

test('json codec - random strings and bytes never throw anything but ProtocolDecodeError', () => {
  const check = (frame: string | Uint8Array): void => {
    try {
      const cmds = decodeCommandsJson(frame);
      assert.ok(Array.isArray(cmds) && cmds.length > 0);
    } catch (e) {
      if (!(e instanceof ProtocolDecodeError)) throw e;
    }
  };
  fc.assert(fc.property(fc.string({ maxLength: 200 }), check), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), { numRuns: 1000 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 2000 });
  fc.assert(fc.property(fc.json({ maxDepth: 4 }), check), { numRuns: 1000 });
  // Mutations of a valid frame: flip, drop and insert bytes.
  const valid = utf8(encodeCommandsJson(allCommands()));
  fc.assert(
    fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'drop', 'insert'), (i, b, op) => {
      const arr = Array.from(valid);
      if (op === 'flip') arr[i] = b;
      else if (op === 'drop') arr.splice(i, 1);
      else arr.splice(i, 0, b);
      check(new Uint8Array(arr));
    }),
    { numRuns: 3000 },
  );
  for (const reply of [decodeRepliesJson, decodePushJson]) {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) => {
        try {
          reply(s);
        } catch (e) {
          if (!(e instanceof ProtocolDecodeError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  }
});

test('json codec - arbitrary JSON payloads and 64-bit offsets round trip through a publication push', () => {
  fc.assert(
    fc.property(fc.json({ maxDepth: 5 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.string({ unit: 'binary' }), (json, offset, channel) => {
      const data = utf8(json);
      const out = encodePublicationPushJson(channel, create(pb.PublicationSchema, { data, offset }));
      const [r] = decodeRepliesJson(out);
      assert.equal(r?.push?.channel, channel);
      assert.equal(r?.push?.pub?.offset, offset);
      assert.deepEqual(r?.push?.pub?.data, data);
    }),
    { numRuns: 1000 },
  );
});

test('json codec - raw bytes are plain copies, even when the frame is a reused Node Buffer', () => {
  const frame = Buffer.from('{"id":1,"publish":{"channel":"c","data":{"a":1}}}');
  const [c] = decodeCommandsJson(frame);
  frame.fill(0x20);
  const data = c!.publish!.data;
  assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype);
  assert.deepEqual(data, utf8('{"a":1}'));
});
