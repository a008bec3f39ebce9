// Structural invariants of the schemas in proto/, checked on the generated descriptors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { api, bus, protocol, proxy, unistream } from '../src/index.js';

const messagesOf = (ns: object): DescMessage[] =>
  Object.entries(ns)
    .filter(([k, v]) => k.endsWith('Schema') && (v as DescMessage).kind === 'message')
    .map(([, v]) => v as DescMessage);

const describeField = (f: DescField): string => {
  switch (f.fieldKind) {
    case 'scalar':
      return `scalar:${f.scalar}`;
    case 'message':
      return `message:${f.message.name}`;
    case 'list':
      return `list:${f.listKind === 'scalar' ? f.scalar : f.listKind === 'message' ? f.message.name : 'enum'}`;
    case 'map':
      return `map:${f.mapKey}:${f.mapKind === 'scalar' ? f.scalar : f.mapKind === 'message' ? f.message.name : 'enum'}`;
    default:
      return f.fieldKind;
  }
};

test('schema - packages and services carry the upstream names', () => {
  assert.equal(protocol.file_centrifugal_centrifuge_protocol_client.proto.package, 'centrifugal.centrifuge.protocol');
  assert.equal(api.CentrifugoApi.typeName, 'centrifugal.centrifugo.api.CentrifugoApi');
  assert.equal(proxy.CentrifugoProxy.typeName, 'centrifugal.centrifugo.proxy.CentrifugoProxy');
  assert.equal(unistream.CentrifugoUniStream.typeName, 'centrifugal.centrifugo.unistream.CentrifugoUniStream');
  const consume = unistream.CentrifugoUniStream.method.consume;
  assert.equal(consume.name, 'Consume');
  assert.equal(consume.methodKind, 'server_streaming');
  assert.equal(consume.input.typeName, 'centrifugal.centrifugo.unistream.ConnectRequest');
  assert.equal(consume.output.typeName, 'centrifugal.centrifugo.unistream.Push');
  assert.equal(bus.file_gyre_v1_bus.proto.package, 'gyre.v1');
});

test('schema - unistream messages are strict wire subsets of the client protocol ones', () => {
  for (const u of messagesOf(unistream)) {
    const c = messagesOf(protocol).find((m) => m.name === u.name);
    assert.ok(c, `client protocol has ${u.name}`);
    for (const f of u.fields) {
      const cf: DescField | undefined = c.fields.find((x: DescField) => x.number === f.number);
      assert.ok(cf, `${u.name}.${f.name} (#${f.number}) exists in the client protocol`);
      assert.equal(cf.name, f.name, `${u.name} #${f.number} name`);
      assert.equal(describeField(cf), describeField(f), `${u.name}.${f.name} type`);
    }
  }
});

test('schema - server API batch Command and Reply pair every method under the same name and number', () => {
  const cmd = api.CommandSchema.fields;
  const rep = api.ReplySchema.fields.filter((f) => f.name !== 'error');
  assert.deepEqual(
    cmd.map((f) => [f.number, f.name]),
    rep.map((f) => [f.number, f.name]),
  );
  for (const f of cmd) {
    assert.equal(f.fieldKind, 'message');
    const r = rep.find((x) => x.number === f.number)!;
    if (f.fieldKind !== 'message' || r.fieldKind !== 'message') continue;
    assert.equal(f.message.name.replace(/Request$/, ''), r.message.name.replace(/Result$/, ''), f.name);
  }
  // Every rpc except Batch has a batch command, and Request/Response naming is consistent.
  const methods = api.CentrifugoApi.methods.filter((m) => m.name !== 'Batch');
  assert.equal(methods.length, cmd.length);
  for (const m of methods) {
    assert.equal(m.input.name, `${m.name}Request`);
    assert.equal(m.output.name, `${m.name}Response`);
    assert.ok(cmd.some((f) => f.fieldKind === 'message' && f.message.name === m.input.name), `batch carries ${m.name}`);
    const resp = m.output.fields.map((f) => [f.number, f.name]);
    assert.deepEqual(resp, [
      [1, 'error'],
      [2, 'result'],
    ]);
  }
});

test('schema - proxy responses are {result, error, disconnect} and requests share the connection header', () => {
  for (const m of proxy.CentrifugoProxy.methods) {
    if (m.name === 'SharedPollRefresh' || m.name.startsWith('Notify') || m.name.startsWith('SubscribeBi')) continue;
    const resp = (m.output.name === 'StreamSubscribeResponse' ? proxy.SubscribeResponseSchema : m.output).fields.map((f) => [f.number, f.name]);
    assert.deepEqual(resp, [
      [1, 'result'],
      [2, 'error'],
      [3, 'disconnect'],
    ], m.name);
    assert.deepEqual(
      m.input.fields.slice(0, 4).map((f) => [f.number, f.name]),
      [
        [1, 'client'],
        [2, 'transport'],
        [3, 'protocol'],
        [4, 'encoding'],
      ],
      m.name,
    );
  }
});

test('schema - bus state replies answer with the same case as the request', () => {
  const reqCases = bus.StateRequestSchema.oneofs[0]!.fields.map((f) => f.name);
  const repCases = bus.StateReplySchema.oneofs[0]!.fields.map((f) => f.name);
  assert.deepEqual(repCases, reqCases);
  assert.deepEqual(reqCases, [
    'history_add',
    'history_read',
    'history_remove',
    'presence_add',
    'presence_remove',
    'presence_get',
    'presence_stats',
  ]);
  const reply = create(bus.StateReplySchema, {
    result: { case: 'historyAdd', value: { position: { offset: 7n, epoch: 'e' }, suppressed: false } },
  });
  const back = fromBinary(bus.StateReplySchema, toBinary(bus.StateReplySchema, reply));
  assert.equal(back.result.case, 'historyAdd');
  assert.equal(back.result.case === 'historyAdd' && back.result.value.position?.offset, 7n);
});

test('schema - bus channel publication distinguishes unknown previous data from empty', () => {
  const withPrev = create(bus.ChannelMessageSchema, {
    channel: 'news',
    event: {
      case: 'publication',
      value: {
        publication: { data: new TextEncoder().encode('{"v":2}'), offset: 8n, tags: { k: 'v' } },
        epoch: 'ep',
        delta: true,
        prevData: new Uint8Array(0),
        prevOffset: 7n,
      },
    },
  });
  const a = fromBinary(bus.ChannelMessageSchema, toBinary(bus.ChannelMessageSchema, withPrev));
  assert.ok(a.event.case === 'publication');
  assert.deepEqual(a.event.value.prevData, new Uint8Array(0));
  assert.equal(a.event.value.publication?.offset, 8n);
  const noPrev = create(bus.ChannelMessageSchema, { channel: 'news', event: { case: 'publication', value: { delta: true } } });
  const b = fromBinary(bus.ChannelMessageSchema, toBinary(bus.ChannelMessageSchema, noPrev));
  assert.ok(b.event.case === 'publication');
  assert.equal(b.event.value.prevData, undefined);
  const join = create(bus.ChannelMessageSchema, { channel: 'c', event: { case: 'join', value: { user: 'u', client: 'c1' } } });
  const j = fromBinary(bus.ChannelMessageSchema, toBinary(bus.ChannelMessageSchema, join));
  assert.ok(j.event.case === 'join' && j.event.value.client === 'c1');
});

test('schema - bus proxy envelope carries encoded proxy protocol bytes unchanged', () => {
  const inner = create(proxy.ConnectRequestSchema, { client: 'c', transport: 'websocket', protocol: 'json', encoding: 'json', name: 'js' });
  const env = create(bus.ProxyRequestSchema, {
    proxy: 'default',
    event: 'connect',
    request: toBinary(proxy.ConnectRequestSchema, inner),
    headers: { authorization: 'x' },
    deadlineMs: 1n,
  });
  const back = fromBinary(bus.ProxyRequestSchema, toBinary(bus.ProxyRequestSchema, env));
  assert.deepEqual(fromBinary(proxy.ConnectRequestSchema, back.request), inner);
  const failed = fromBinary(
    bus.ProxyReplySchema,
    toBinary(bus.ProxyReplySchema, create(bus.ProxyReplySchema, { outcome: { case: 'transportError', value: { timeout: true, message: 'deadline' } } })),
  );
  assert.ok(failed.outcome.case === 'transportError' && failed.outcome.value.timeout);
});

test('schema - bus control refresh distinguishes keep-info from clear-info', () => {
  const keep = fromBinary(bus.ControlSchema, toBinary(bus.ControlSchema, create(bus.ControlSchema, { command: { case: 'refresh', value: { target: { user: 'u' } } } })));
  const clear = fromBinary(
    bus.ControlSchema,
    toBinary(bus.ControlSchema, create(bus.ControlSchema, { command: { case: 'refresh', value: { target: { user: 'u' }, info: new Uint8Array(0) } } })),
  );
  assert.ok(keep.command.case === 'refresh' && keep.command.value.info === undefined);
  assert.ok(clear.command.case === 'refresh' && clear.command.value.info?.length === 0);
});
