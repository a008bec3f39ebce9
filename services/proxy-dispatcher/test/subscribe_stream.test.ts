// subscribe_stream over the bus (src/stream.ts): the test plays the edge (callProxy with a stream
// id, listening on `.down`, sending `.up` / `.close`) against a grpc-js backend implementing
// SubscribeUnidirectional / SubscribeBidirectional.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { callProxy, proxyStreamSubject } from '@gyre/bus';
import { bus as busPb, proxy as pp } from '@gyre/protocol';
import { waitFor } from '@gyre/testing';
import { ProxyConfigError } from '../src/index.js';
import { dec, enc, makeConfig, startDispatcher, type Harness } from './helpers.js';
import { startStreamBackend, type StreamBackend } from './stream_backend.js';

let backend: StreamBackend;
let h: Harness;
let seq = 0;

before(async () => {
  backend = await startStreamBackend();
  h = await startDispatcher(
    makeConfig({
      channel: {
        proxy: { subscribe_stream: { endpoint: backend.endpoint, timeout: '500ms', grpc: { static_metadata: { 'x-static': 'yes' } } } },
        namespaces: [{ name: 'bidi', subscribe_stream_proxy_enabled: true, subscribe_stream_proxy_bidirectional: true }],
      },
    }),
  );
});
after(async () => {
  await h.stop();
  await backend.close();
});

interface EdgeSide {
  id: string;
  down: busPb.ProxyStreamDown[];
  result: Promise<{ response?: pp.SubscribeResponse; error?: string; grpcCode?: number; timeout?: boolean }>;
  up(data: string): void;
  close(): void;
}

function open(channel: string, bidirectional = false): EdgeSide {
  const id = `s${++seq}`;
  const down: busPb.ProxyStreamDown[] = [];
  h.bus.subscribe(proxyStreamSubject(h.prefix, id, 'down'), (m) => down.push(fromBinary(busPb.ProxyStreamDownSchema, m.data)));
  const request = toBinary(pp.SubscribeRequestSchema, create(pp.SubscribeRequestSchema, { client: 'c1', user: 'u1', channel, data: enc('{"hi":1}') }));
  const result = callProxy(h.bus, h.prefix, 'subscribe_stream', { request, timeoutMs: 500, streamId: id, bidirectional }).then((out) =>
    'transportError' in out
      ? { error: out.transportError.message, grpcCode: out.transportError.grpcCode, timeout: out.transportError.timeout }
      : { response: fromBinary(pp.SubscribeResponseSchema, out.response) },
  );
  return {
    id,
    down,
    result,
    up: (data) =>
      h.bus.publish(
        proxyStreamSubject(h.prefix, id, 'up'),
        toBinary(pp.StreamSubscribeRequestSchema, create(pp.StreamSubscribeRequestSchema, { publication: { data: enc(data) } })),
      ),
    close: () => h.bus.publish(proxyStreamSubject(h.prefix, id, 'close'), new Uint8Array(0)),
  };
}

const pubMsg = (data: string, tags: Record<string, string> = {}) => ({ publication: { data: Buffer.from(data), tags } });

test('unidirectional: first message answers the request, later publications go to .down, backend end → end{eof}', async () => {
  let stream: Parameters<StreamBackend['onOpen']>[0] | undefined;
  backend.onOpen = (s) => {
    stream = s;
    s.write({ subscribe_response: { result: { data: Buffer.from('{"welcome":true}') } } });
  };
  const e = open('news');
  const r = await e.result;
  assert.equal(dec(r.response!.result!.data), '{"welcome":true}');
  assert.equal(stream!.method, 'SubscribeUnidirectional');
  assert.equal(stream!.request['channel'], 'news');
  assert.equal(stream!.request['user'], 'u1');
  assert.equal(stream!.metadata['x-static'], 'yes');
  stream!.write(pubMsg('{"n":1}', { k: 'v' }));
  stream!.write(pubMsg('{"n":2}'));
  await waitFor(() => e.down.length === 2);
  const p1 = fromBinary(pp.PublicationSchema, e.down[0]!.publication);
  assert.equal(dec(p1.data), '{"n":1}');
  assert.deepEqual(p1.tags, { k: 'v' });
  stream!.end();
  await waitFor(() => e.down.length === 3);
  assert.equal(e.down[2]!.end, true);
  assert.equal(e.down[2]!.eof, true);
});

test('bidirectional: subscribe_request first, .up publications reach the backend, .close cancels the GRPC call', async () => {
  let stream: Parameters<StreamBackend['onOpen']>[0] | undefined;
  backend.onOpen = (s) => {
    stream = s;
    s.write({ subscribe_response: { result: {} } });
  };
  const e = open('bidi:room', true);
  const r = await e.result;
  assert.ok(r.response);
  assert.equal(stream!.method, 'SubscribeBidirectional');
  assert.equal(stream!.request['channel'], 'bidi:room');
  e.up('{"from":"client"}');
  await waitFor(() => stream!.received.length === 1);
  assert.equal(Buffer.from(stream!.received[0]!['data'] as Buffer).toString(), '{"from":"client"}');
  e.close();
  await waitFor(() => stream!.cancelled, 3000, 20, 'backend call cancelled');
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(e.down.length, 0, 'no end message for a stream the edge closed');
});

test('first message with an error: answered as a response, the stream is cancelled', async () => {
  let stream: Parameters<StreamBackend['onOpen']>[0] | undefined;
  backend.onOpen = (s) => {
    stream = s;
    s.write({ subscribe_response: { error: { code: 1403, message: 'nope' } } });
  };
  const e = open('denied');
  const r = await e.result;
  assert.equal(r.response!.error!.code, 1403);
  await waitFor(() => stream!.cancelled, 3000, 20, 'backend call cancelled');
});

test('GRPC status before the first message, no subscribe_response, or no first message in time → transport error', async () => {
  backend.onOpen = (s) => s.fail(grpc.status.PERMISSION_DENIED, 'go away');
  const a = await open('a').result;
  assert.match(a.error!, /PERMISSION_DENIED: go away/);
  assert.equal(a.grpcCode, grpc.status.PERMISSION_DENIED);

  backend.onOpen = (s) => s.write(pubMsg('{}'));
  const b = await open('b').result;
  assert.match(b.error!, /no subscribe response in first message/);

  let slow: Parameters<StreamBackend['onOpen']>[0] | undefined;
  backend.onOpen = (s) => (slow = s);
  const c = await open('c').result;
  assert.equal(c.timeout, true);
  await waitFor(() => slow?.cancelled, 3000, 20, 'slow call cancelled');
});

test('a backend failure after the first message → end with an error', async () => {
  let stream: Parameters<StreamBackend['onOpen']>[0] | undefined;
  backend.onOpen = (s) => {
    stream = s;
    s.write({ subscribe_response: {} });
  };
  const e = open('later');
  assert.ok((await e.result).response);
  stream!.fail(grpc.status.INTERNAL, 'broke');
  await waitFor(() => e.down.length === 1);
  assert.equal(e.down[0]!.end, true);
  assert.equal(e.down[0]!.eof, false);
  assert.match(e.down[0]!.error, /INTERNAL: broke/);
});

test('subscribe_stream with an HTTP endpoint is a config error at start', async () => {
  const config = makeConfig({
    channel: { proxy: { subscribe_stream: { endpoint: 'http://127.0.0.1:9/stream' } }, namespaces: [{ name: 'streams', subscribe_stream_proxy_enabled: true }] },
  });
  await assert.rejects(startDispatcher(config), (err: unknown) => err instanceof ProxyConfigError && /GRPC only/.test(err.message));
});
