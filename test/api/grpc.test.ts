/**
 * The GRPC server API, called with a client built by @grpc/proto-loader straight from
 * proto/centrifugal/centrifugo/api/api.proto (what a backend using a generated client sees).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { InProcessGyre } from '@gyre/gyre';
import { REPO_ROOT, freePort } from '@gyre/testing';
import { apiResult, post, recordControls, startNode } from './helpers.js';

const GRPC_KEY = 'grpc-secret';
const packageDefinition = protoLoader.loadSync(join(REPO_ROOT, 'proto/centrifugal/centrifugo/api/api.proto'), {
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: false,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a dynamically loaded client
const ClientCtor = (grpc.loadPackageDefinition(packageDefinition) as any).centrifugal.centrifugo.api.CentrifugoApi as typeof grpc.Client;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- dynamically loaded messages
type Any = any;

let node: InProcessGyre;
let grpcPort: number;
let client: grpc.Client;

function md(extra: Record<string, string> = {}, key: string | null = GRPC_KEY): grpc.Metadata {
  const m = new grpc.Metadata();
  if (key !== null) m.set('authorization', `apikey ${key}`);
  for (const [k, v] of Object.entries(extra)) m.set(k, v);
  return m;
}

function call(method: string, req: unknown, meta: grpc.Metadata = md(), c: grpc.Client = client): Promise<Any> {
  return new Promise((resolve, reject) => {
    (c as Any)[method](req, meta, (err: grpc.ServiceError | null, res: Any) => (err ? reject(err) : resolve(res)));
  });
}

before(async () => {
  grpcPort = await freePort();
  node = await startNode({ prometheus: { enabled: true }, grpc_api: { enabled: true, port: grpcPort, key: GRPC_KEY, reflection: true, max_receive_message_size: 64 * 1024 } });
  client = new ClientCtor(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
});

after(async () => {
  client.close();
  await node.shutdown();
});

let seq = 0;
const fresh = (prefix = ''): string => `${prefix}g-${process.pid}-${++seq}`;
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

test('grpc api - Publish and History: raw bytes, tags, offsets as exact uint64', async () => {
  const ch = fresh();
  const r1 = await call('Publish', { channel: ch, data: json({ n: 1 }), tags: { k: 'v' } });
  assert.equal(r1.error, undefined);
  assert.equal(r1.result.offset, '1');
  assert.match(r1.result.epoch, /^[A-Za-z]{8}$/);
  const r2 = await call('Publish', { channel: ch, b64data: Buffer.from('{"n":2}').toString('base64') });
  assert.equal(r2.result.offset, '2');
  const h = await call('History', { channel: ch, limit: -1 });
  assert.deepEqual(h.result.publications.map((p: Any) => JSON.parse(p.data.toString())), [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(h.result.publications[0].tags, { k: 'v' });
  assert.equal(h.result.offset, '2');
  const viaHttp = await apiResult(node, 'history', { channel: ch, limit: -1 });
  assert.equal(viaHttp.publications.length, 2, 'HTTP and GRPC see the same stream');
  const bin = await call('Publish', { channel: fresh('bin:'), data: Buffer.from([0, 255, 1]) });
  assert.equal(bin.result.offset, '1', 'GRPC data is raw bytes, binary is fine');
});

test('grpc api - Broadcast, Presence, PresenceStats, HistoryRemove, Info, RPC', async () => {
  const a = fresh();
  const b = await call('Broadcast', { channels: [a, '', 'missing:x'], data: json('x') });
  assert.equal(b.result.responses[0].result.offset, '1');
  assert.equal(b.result.responses[1].error.code, 107);
  assert.equal(b.result.responses[2].error.code, 102);
  assert.deepEqual((await call('Presence', { channel: a })).result, {});
  assert.deepEqual((await call('PresenceStats', { channel: a })).result, {});
  assert.ok((await call('HistoryRemove', { channel: a })).result);
  const h = await call('History', { channel: a, limit: -1 });
  assert.equal(h.result.publications, undefined);
  assert.equal(h.result.offset, '1');
  const info = await call('Info', {});
  assert.ok(info.result.nodes.some((n: Any) => n.uid === node.id && n.name === node.name));
  const rpc = await call('RPC', { method: 'x' });
  assert.equal(rpc.error.code, 104);
  assert.equal(rpc.error.message, 'not found');
});

test('grpc api - Subscribe, Unsubscribe, Disconnect, Refresh send Control messages', async () => {
  const controls = recordControls(node.bus);
  assert.ok((await call('Subscribe', { user: 'u', channel: 'news', info: json({ r: 1 }), recover_since: { offset: '18446744073709551615', epoch: 'e' } })).result);
  assert.ok((await call('Unsubscribe', { user: 'u', channel: 'news' })).result);
  assert.ok((await call('Disconnect', { user: 'u', disconnect: { code: 4000, reason: 'x' } })).result);
  assert.ok((await call('Refresh', { user: 'u', expired: true })).result);
  for (let i = 0; i < 50 && controls.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
  const cases = controls.map((c) => c.command.case);
  assert.deepEqual(cases, ['subscribe', 'unsubscribe', 'disconnect', 'refresh']);
  const s = controls[0]!.command;
  assert.ok(s.case === 'subscribe' && s.value.recoverSince?.offset === 18446744073709551615n);
  assert.equal((await call('Subscribe', { user: 'u' })).error.code, 107);
});

test('grpc api - Batch runs every command, a bad one among good ones', async () => {
  const ch = fresh();
  const r = await call('Batch', {
    commands: [
      { publish: { channel: ch, data: json(1) } },
      { publish: { channel: '' } },
      { get_user_status: { users: ['u'] } },
      { history: { channel: ch, limit: -1 } },
    ],
  });
  assert.equal(r.replies[0].publish.offset, '1');
  assert.equal(r.replies[1].error.code, 107);
  assert.equal(r.replies[2].error.code, 104);
  assert.equal(r.replies[3].history.publications.length, 1);
  const p = await call('Batch', { parallel: true, commands: [{ info: {} }, { rpc: { method: 'm' } }] });
  assert.ok(p.replies[0].info.nodes.length >= 1);
  assert.equal(p.replies[1].error.code, 104);
});

test('grpc api - API errors are in the response by default, GRPC statuses in transport mode', async () => {
  const r = await call('Publish', { channel: '' });
  assert.deepEqual(r.error, { code: 107, message: 'bad request' });
  const t = md({ 'x-centrifugo-error-mode': 'transport' });
  const cases: [string, unknown, grpc.status][] = [
    ['Publish', { channel: '' }, grpc.status.INVALID_ARGUMENT],
    ['Publish', { channel: 'missing:x', data: json(1) }, grpc.status.NOT_FOUND],
    ['Presence', { channel: 'nohist:x' }, grpc.status.INVALID_ARGUMENT],
    ['RPC', { method: 'x' }, grpc.status.NOT_FOUND],
  ];
  for (const [method, req, code] of cases) {
    await assert.rejects(call(method, req, t), (err: grpc.ServiceError) => err.code === code, method);
  }
  const ch = fresh();
  await call('Publish', { channel: ch, data: json(1) });
  await assert.rejects(call('History', { channel: ch, limit: 1, since: { offset: '1', epoch: 'zzzzzzzz' } }, t), (err: grpc.ServiceError) => err.code === grpc.status.OUT_OF_RANGE && err.details === 'unrecoverable position');
  const batch = await call('Batch', { commands: [{ publish: { channel: '' } }] }, t);
  assert.equal(batch.replies[0].error.code, 107, 'batch ignores transport mode');
});

test('grpc api - the key is required as "authorization: apikey <key>" metadata', async () => {
  for (const meta of [md({}, null), md({}, 'wrong'), (() => { const m = new grpc.Metadata(); m.set('authorization', `APIKEY ${GRPC_KEY}`); return m; })()]) {
    await assert.rejects(call('Info', {}, meta), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED);
  }
  await assert.rejects(call('Connections', {}, md({}, null)), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED, 'auth before anything else');
});

test('grpc api - PRO rpcs answer UNIMPLEMENTED; map and shared poll rpcs validate their requests', async () => {
  for (const method of ['Connections', 'UpdateUserStatus', 'BlockUser', 'RevokeToken', 'DeviceRegister', 'SendPushNotification', 'CancelPush']) {
    await assert.rejects(call(method, {}), (err: grpc.ServiceError) => err.code === grpc.status.UNIMPLEMENTED, method);
  }
  assert.equal((await call('MapPublish', { channel: 'a', key: 'k' })).error.code, 107, 'not a map namespace');
  assert.equal((await call('MapStats', { channel: '' })).error.code, 107);
  assert.equal((await call('SharedPollPublish', { channel: 'missing:x', key: 'k', version: '1' })).error.code, 102);
  for (const method of ['MapRemove', 'MapReadState', 'MapReadStream', 'MapClear']) {
    assert.equal((await call(method, { channel: 'a', key: 'k' })).error.code, 107, `${method}: not a map namespace`);
  }
});

test('grpc api - grpc_api.max_receive_message_size bounds requests', async () => {
  await assert.rejects(call('Publish', { channel: fresh(), data: json('x'.repeat(100 * 1024)) }), (err: grpc.ServiceError) => err.code === grpc.status.RESOURCE_EXHAUSTED);
  const ok = await call('Publish', { channel: fresh(), data: json('x'.repeat(32 * 1024)) });
  assert.equal(ok.result.offset, '1');
});

/** One reflection request on the v1alpha stream; returns the raw response. */
function reflect(request: Uint8Array): Promise<Buffer> {
  const c = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const stream = c.makeBidiStreamRequest('/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', (b: Buffer) => b, (b: Buffer) => b);
    stream.on('data', (b: Buffer) => {
      resolve(b);
      stream.end();
      c.close();
    });
    stream.on('error', reject);
    stream.write(Buffer.from(request));
  });
}

test('grpc api - reflection lists CentrifugoApi and serves its file descriptor', async () => {
  const list = await reflect(new BinaryWriter().tag(7, WireType.LengthDelimited).string('').finish());
  assert.ok(list.includes(Buffer.from('centrifugal.centrifugo.api.CentrifugoApi')));
  const file = await reflect(new BinaryWriter().tag(4, WireType.LengthDelimited).string('centrifugal.centrifugo.api.CentrifugoApi').finish());
  const r = new BinaryReader(file);
  let fdBytes: Uint8Array | null = null;
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 4) {
      const inner = new BinaryReader(r.bytes());
      const [n2] = inner.tag();
      assert.equal(n2, 1);
      fdBytes = inner.bytes();
    } else {
      r.skip(wt, no);
    }
  }
  assert.ok(fdBytes, 'file_descriptor_response');
  const fd = fromBinary(FileDescriptorProtoSchema, fdBytes);
  assert.equal(fd.package, 'centrifugal.centrifugo.api');
  assert.ok(fd.service.some((s) => s.name === 'CentrifugoApi' && s.method.some((m) => m.name === 'Publish')));
});

test('grpc api - TLS with grpc_api.tls (cert and key as files)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gyre-grpc-tls-'));
  const port = await freePort();
  let tlsNode: InProcessGyre | null = null;
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    tlsNode = await startNode({ grpc_api: { enabled: true, port, tls: { enabled: true, cert_pem: join(dir, 'cert.pem'), key_pem: join(dir, 'key.pem') } } });
    const secure = new ClientCtor(`localhost:${port}`, grpc.credentials.createSsl(readFileSync(join(dir, 'cert.pem'))));
    const res = await call('Publish', { channel: 'tls-ch', data: json(1) }, new grpc.Metadata(), secure);
    assert.equal(res.result.offset, '1');
    secure.close();
    const plain = new ClientCtor(`localhost:${port}`, grpc.credentials.createInsecure());
    await assert.rejects(call('Info', {}, new grpc.Metadata(), plain), (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE);
    plain.close();
  } finally {
    await tlsNode?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('grpc api - metrics count GRPC commands under protocol="grpc"', async () => {
  await call('Info', {});
  await call('Publish', { channel: '' });
  const text = (await post(`${node.internalUrl}/metrics`, '', { connection: 'close' }, 'GET')).text;
  assert.match(text, /centrifugo_api_command_duration_seconds_histogram_count\{protocol="grpc",method="info"\} \d+/);
  assert.match(text, /centrifugo_api_command_errors_total\{protocol="grpc",method="publish",error="107"\} \d+/);
  assert.match(text, /gyre_api_request_size_bytes_count\{protocol="grpc",method="publish"\} \d+/);
});
