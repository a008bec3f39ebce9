// http.tls and grpc.tls: backends behind TLS with a private CA (made with openssl for the test).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { callProxyEvent } from '@gyre/bus';
import { makeConfig, startDispatcher, startGrpcBackend, type GrpcBackend, type Harness } from './helpers.js';

let dir: string;
let https: Server;
let httpsPort: number;
let grpcTls: GrpcBackend;
let h: Harness;
let caPem: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gyre-proxy-tls-'));
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=gyre-test-ca');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=backend.test');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:backend.test,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const key = readFileSync(join(dir, 'server.key'));
  const cert = readFileSync(join(dir, 'server.pem'));

  https = createHttpsServer({ key, cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"result":{"user":"tls"}}');
    });
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  httpsPort = (https.address() as AddressInfo).port;

  grpcTls = await startGrpcBackend(() => ({ result: { user: 'grpc-tls' } }), grpc.ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }], false));

  h = await startDispatcher(
    makeConfig({
      proxies: [
        { name: 'https-ca-file', endpoint: `https://127.0.0.1:${httpsPort}/c`, http: { tls: { enabled: true, server_ca_pem: join(dir, 'ca.pem') } } },
        { name: 'https-no-ca', endpoint: `https://127.0.0.1:${httpsPort}/c` },
        { name: 'https-skip-verify', endpoint: `https://127.0.0.1:${httpsPort}/c`, http: { tls: { enabled: true, insecure_skip_verify: true } } },
        {
          name: 'grpc-ca-base64',
          endpoint: `grpc://127.0.0.1:${grpcTls.port}`,
          grpc: { tls: { enabled: true, server_ca_pem: Buffer.from(caPem).toString('base64'), server_name: 'backend.test' } },
        },
        { name: 'grpc-ca-raw', endpoint: `grpc://127.0.0.1:${grpcTls.port}`, grpc: { tls: { enabled: true, server_ca_pem: caPem } } },
        { name: 'grpc-plaintext', endpoint: `grpc://127.0.0.1:${grpcTls.port}` },
      ],
    }),
  );
});

after(async () => {
  await h?.stop();
  await grpcTls?.close();
  https?.closeAllConnections();
  await new Promise<void>((resolve) => (https ? https.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const base = { client: 'c', transport: 'websocket', protocol: 'json' };
const call = (proxy: string) => callProxyEvent(h.bus, h.prefix, 'rpc', { proxy, request: { ...base, method: 'm' }, timeoutMs: 3000 });

test('tls - HTTPS backends are verified against http.tls.server_ca_pem (a file path here)', async () => {
  const out = await call('https-ca-file');
  assert.ok('response' in out, 'transportError' in out ? out.transportError.message : '');
});

test('tls - an HTTPS backend with an unknown CA is refused unless insecure_skip_verify', async () => {
  const refused = await call('https-no-ca');
  assert.ok('transportError' in refused);
  const skipped = await call('https-skip-verify');
  assert.ok('response' in skipped);
});

test('tls - GRPC backends use grpc.tls (base64 and raw PEM, server_name); plaintext to a TLS server fails', async () => {
  const b64 = await call('grpc-ca-base64');
  assert.ok('response' in b64, 'transportError' in b64 ? b64.transportError.message : '');
  const rawPem = await call('grpc-ca-raw');
  assert.ok('response' in rawPem, 'transportError' in rawPem ? rawPem.transportError.message : '');
  const plain = await call('grpc-plaintext');
  assert.ok('transportError' in plain);
  assert.equal(plain.transportError.grpcCode, grpc.status.UNAVAILABLE);
});
