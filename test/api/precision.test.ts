/**
 * 64-bit offsets and versions round-trip exactly above 2^53, end to end: HTTP JSON in, bus,
 * HTTP JSON / GRPC out. A stand-in state service on the node's bus (the node runs api alone)
 * answers with stream positions no real stream reaches in a test, and records what api asked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { InProcessGyre } from '@gyre/gyre';
import { bus as busPb, protocol } from '@gyre/protocol';
import { REPO_ROOT, freePort } from '@gyre/testing';
import { apiCall, post, startNode } from './helpers.js';

const BIG = 18446744073709551615n; // 2^64 - 1
const BIG2 = 9007199254740993n; // 2^53 + 1, the first integer a double cannot hold

let node: InProcessGyre;
let grpcPort: number;
const requests: busPb.StateRequest[] = [];

before(async () => {
  grpcPort = await freePort();
  node = await startNode({ gyre: { services: ['api'] }, grpc_api: { enabled: true, port: grpcPort } });
  node.bus.queueSubscribe('gyre.state.>', 'presence-history', (msg) => {
    const req = fromBinary(busPb.StateRequestSchema, msg.data);
    requests.push(req);
    let reply: busPb.StateReply;
    if (req.op.case === 'historyAdd') {
      reply = create(busPb.StateReplySchema, {
        result: { case: 'historyAdd', value: create(busPb.HistoryAddResultSchema, { position: create(protocol.StreamPositionSchema, { offset: BIG, epoch: 'bigepoch' }) }) },
      });
    } else if (req.op.case === 'historyRead') {
      const pub = (offset: bigint): protocol.Publication => create(protocol.PublicationSchema, { offset, data: new TextEncoder().encode(`{"o":"${offset}"}`) });
      reply = create(busPb.StateReplySchema, {
        result: { case: 'historyRead', value: create(busPb.HistoryReadResultSchema, { publications: [pub(BIG2), pub(BIG - 1n), pub(BIG)], top: create(protocol.StreamPositionSchema, { offset: BIG, epoch: 'bigepoch' }) }) },
      });
    } else {
      reply = create(busPb.StateReplySchema, { error: create(protocol.ErrorSchema, { code: 100, message: 'unexpected' }) });
    }
    msg.respond(toBinary(busPb.StateReplySchema, reply));
  });
});

after(async () => {
  await node.shutdown();
});

test('precision - publish results carry offsets above 2^53 digit for digit', async () => {
  const r = await apiCall(node, 'publish', { channel: 'big', data: 1 });
  assert.equal(r.text, `{"result":{"offset":${BIG},"epoch":"bigepoch"}}`);
});

test('precision - version reaches the store exactly', async () => {
  requests.length = 0;
  await apiCall(node, 'publish', `{"channel":"big","data":1,"version":${BIG2},"version_epoch":"v"}`);
  const add = requests.find((q) => q.op.case === 'historyAdd');
  assert.ok(add && add.op.case === 'historyAdd');
  assert.equal(add.op.value.version, BIG2);
  assert.equal(add.op.value.versionEpoch, 'v');
});

test('precision - history since and returned offsets keep every digit', async () => {
  requests.length = 0;
  const r = await apiCall(node, 'history', `{"channel":"big","limit":3,"since":{"offset":${BIG2 - 1n},"epoch":"bigepoch"}}`);
  assert.equal(
    r.text,
    `{"result":{"publications":[{"data":{"o":"${BIG2}"},"offset":${BIG2}},{"data":{"o":"${BIG - 1n}"},"offset":${BIG - 1n}},{"data":{"o":"${BIG}"},"offset":${BIG}}],"epoch":"bigepoch","offset":${BIG}}}`,
  );
  const read = requests.find((q) => q.op.case === 'historyRead');
  assert.ok(read && read.op.case === 'historyRead');
  assert.equal(read.op.value.since?.offset, BIG2 - 1n);
});

test('precision - legacy /api and batch keep them too', async () => {
  const r = await post(`${node.internalUrl}/api`, '{"method":"publish","params":{"channel":"big","data":1}}');
  assert.equal(r.text, `{"result":{"offset":${BIG},"epoch":"bigepoch"}}`);
  const b = await apiCall(node, 'batch', { commands: [{ publish: { channel: 'big', data: 1 } }] });
  assert.equal(b.text, `{"replies":[{"publish":{"offset":${BIG},"epoch":"bigepoch"}}]}`);
});

test('precision - GRPC uint64 fields are exact', async () => {
  const def = protoLoader.loadSync(join(REPO_ROOT, 'proto/centrifugal/centrifugo/api/api.proto'), { keepCase: true, longs: String, defaults: false });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a dynamically loaded client
  const Ctor = (grpc.loadPackageDefinition(def) as any).centrifugal.centrifugo.api.CentrifugoApi as typeof grpc.Client;
  const client = new Ctor(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- dynamically loaded messages
  const call = (m: string, req: unknown): Promise<any> => new Promise((resolve, reject) => (client as any)[m](req, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
  try {
    const p = await call('Publish', { channel: 'big', data: Buffer.from('1') });
    assert.equal(p.result.offset, String(BIG));
    const h = await call('History', { channel: 'big', limit: 3, since: { offset: String(BIG2), epoch: 'bigepoch' } });
    assert.deepEqual(h.result.publications.map((x: { offset: string }) => x.offset), [String(BIG2), String(BIG - 1n), String(BIG)]);
  } finally {
    client.close();
  }
});
