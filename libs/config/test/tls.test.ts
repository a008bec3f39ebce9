import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, readPem } from '../src/index.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('tls - a *_pem value is raw PEM, base64-encoded PEM or a file path; empty is null', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'gyre-pem-')), 'ca.pem');
  writeFileSync(file, PEM);
  assert.equal(readPem('', 'x.cert_pem'), null);
  assert.equal(readPem(PEM, 'x.cert_pem')!.toString(), PEM);
  assert.equal(readPem(Buffer.from(PEM).toString('base64'), 'x.cert_pem')!.toString(), PEM);
  assert.equal(readPem(file, 'x.cert_pem')!.toString(), PEM);
});

test('tls - anything else fails with a ConfigError naming the key', () => {
  assert.throws(() => readPem('/nonexistent/ca.pem', 'grpc_api.tls.client_ca_pem'), (err: unknown) => err instanceof ConfigError && err.key === 'grpc_api.tls.client_ca_pem' && /neither PEM/.test(err.message));
});
