/**
 * Where and how the HTTP API is served, by config: internal port, http_api.external /
 * disabled / handler_prefix / insecure / error_mode, the body size limit, no key at all, and the
 * GRPC error mode from config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { InProcessGyre } from '@gyre/gyre';
import { REPO_ROOT, freePort } from '@gyre/testing';
import { API_KEY, apiCall, post, startNode } from './helpers.js';

async function withNode(extra: Record<string, unknown>, fn: (node: InProcessGyre) => Promise<void>): Promise<void> {
  const node = await startNode(extra);
  try {
    await fn(node);
  } finally {
    await node.shutdown();
  }
}

const publish = JSON.stringify({ channel: 'l', data: 1 });

test('listeners - with http_server.internal_port the API is served there and not on the main port', async () => {
  const internal = await freePort();
  await withNode({ http_server: { internal_port: String(internal) } }, async (node) => {
    assert.equal(node.internalPort, internal);
    assert.equal((await post(`${node.internalUrl}/api/publish`, publish)).status, 200);
    assert.equal((await post(`${node.internalUrl}/api`, '{"method":"info"}')).status, 200);
    const ext = await post(`${node.httpUrl}/api/publish`, publish);
    assert.equal(ext.status, 404);
  });
});

test('listeners - http_api.external moves the API to the main port', async () => {
  const internal = await freePort();
  await withNode({ http_server: { internal_port: String(internal) }, http_api: { external: true } }, async (node) => {
    assert.equal((await post(`${node.httpUrl}/api/publish`, publish)).status, 200);
    assert.equal((await post(`${node.internalUrl}/api/publish`, publish)).status, 404);
  });
});

test('listeners - http_api.disabled removes the API', async () => {
  await withNode({ http_api: { disabled: true } }, async (node) => {
    assert.equal((await post(`${node.internalUrl}/api/publish`, publish)).status, 404);
    assert.equal((await post(`${node.internalUrl}/api`, '{"method":"info"}')).status, 404);
  });
});

test('listeners - http_api.handler_prefix changes the base path of both endpoints', async () => {
  await withNode({ http_api: { handler_prefix: '/server/api' } }, async (node) => {
    assert.equal((await post(`${node.internalUrl}/server/api/publish`, publish)).status, 200);
    const legacy = await post(`${node.internalUrl}/server/api`, '{"method":"info"}');
    assert.equal(legacy.status, 200);
    assert.ok(legacy.json().result.nodes);
    assert.equal((await post(`${node.internalUrl}/api/publish`, publish)).status, 404);
  });
});

test('listeners - http_api.insecure accepts requests without a key', async () => {
  await withNode({ http_api: { key: '', insecure: true } }, async (node) => {
    assert.equal((await post(`${node.internalUrl}/api/publish`, publish, {})).status, 200);
  });
});

test('listeners - without a key and without insecure every request is 401', async () => {
  await withNode({ http_api: { key: '' } }, async (node) => {
    assert.equal((await post(`${node.internalUrl}/api/publish`, publish, {})).status, 401);
    assert.equal((await post(`${node.internalUrl}/api/publish`, publish, { 'X-API-Key': '' })).status, 401);
    assert.equal((await post(`${node.internalUrl}/api/publish?api_key=`, publish, {})).status, 401);
  });
});

test('listeners - http_api.error_mode: transport applies to every request', async () => {
  await withNode({ http_api: { error_mode: 'transport' } }, async (node) => {
    const r = await apiCall(node, 'publish', { channel: 'missing:x', data: 1 });
    assert.equal(r.status, 404);
    assert.equal(r.text, '{"code":102,"message":"unknown channel"}');
    const legacy = await post(`${node.internalUrl}/api`, '{"method":"publish","params":{"channel":""}}');
    assert.equal(legacy.status, 200, 'the legacy endpoint has no transport mode');
    assert.equal(legacy.json().error.code, 107);
  });
});

test('listeners - gyre.http.max_request_body_size sets the 413 limit, on the legacy endpoint too', async () => {
  await withNode({ gyre: { http: { max_request_body_size: 200 } } }, async (node) => {
    const big = JSON.stringify({ channel: 'l', data: 'x'.repeat(300) });
    assert.equal((await post(`${node.internalUrl}/api/publish`, big)).status, 413);
    assert.equal((await post(`${node.internalUrl}/api`, JSON.stringify({ method: 'publish', params: { channel: 'l', data: 'x'.repeat(300) } }))).status, 413);
    assert.equal((await post(`${node.internalUrl}/api/publish`, publish, { 'X-API-Key': API_KEY })).status, 200);
  });
});

test('listeners - grpc_api.error_mode: transport turns API errors into GRPC statuses for every call', async () => {
  const port = await freePort();
  await withNode({ grpc_api: { enabled: true, port, error_mode: 'transport' } }, async () => {
    const def = protoLoader.loadSync(join(REPO_ROOT, 'proto/centrifugal/centrifugo/api/api.proto'), { keepCase: true, longs: String, defaults: false });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a dynamically loaded client
    const Ctor = (grpc.loadPackageDefinition(def) as any).centrifugal.centrifugo.api.CentrifugoApi as typeof grpc.Client;
    const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- dynamically loaded method
        (client as any).Publish({ channel: 'missing:x', data: Buffer.from('1') }, (e: grpc.ServiceError | null) => resolve(e));
      });
      assert.equal(err?.code, grpc.status.NOT_FOUND);
      assert.equal(err?.details, 'unknown channel');
    } finally {
      client.close();
    }
  });
});
