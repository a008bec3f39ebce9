import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, genconfig, loadConfig, parseConfigText } from '../src/index.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gyre-config-'));
}

test('loadConfig - reads JSON, YAML and TOML files by extension', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'a.json'), '{"client": {"channel_limit": 1}}');
    writeFileSync(join(dir, 'b.yaml'), 'client:\n  channel_limit: 2\n');
    writeFileSync(join(dir, 'c.yml'), 'client:\n  channel_limit: 3\n');
    writeFileSync(join(dir, 'd.toml'), '[client]\nchannel_limit = 4\n');
    const limits = ['a.json', 'b.yaml', 'c.yml', 'd.toml'].map((f) => {
      const r = loadConfig({ path: join(dir, f), env: {} });
      assert.equal(r.source, join(dir, f));
      return r.config.client.channel_limit;
    });
    assert.deepEqual(limits, [1, 2, 3, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadConfig - a missing file is a warning for serve and an error with requireFile', () => {
  const path = join(tempDir(), 'config.json');
  const r = loadConfig({ path, env: { CENTRIFUGO_CLIENT_CHANNEL_LIMIT: '9' } });
  assert.equal(r.source, null);
  assert.equal(r.config.client.channel_limit, 9);
  assert.deepEqual(r.warnings, [`config file ${path} not found, continuing with environment and flag options`]);
  assert.throws(() => loadConfig({ path, env: {}, requireFile: true }), (e: unknown) => e instanceof ConfigError && e.message === `config file ${path} not found`);
  assert.throws(() => loadConfig({ env: {}, requireFile: true }), /no config file given/);
});

test('loadConfig - without a path uses environment and overrides only', () => {
  const r = loadConfig({ env: { GYRE_LOG_LEVEL: 'debug' }, overrides: { 'http_server.port': '8001' } });
  assert.equal(r.source, null);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.config.log.level, 'debug');
  assert.equal(r.config.http_server.port, 8001);
});

test('loadConfig - syntax errors name the file path with line and column', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{\n  "client": {\n    "channel_limit": 5,\n  }\n}\n');
    assert.throws(() => loadConfig({ path, env: {} }), (e: unknown) => e instanceof ConfigError && e.message === `${path}: line 4, column 3: unexpected '}'`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadConfig - unreadable paths and unsupported formats are errors', () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'config.json'));
    assert.throws(() => loadConfig({ path: join(dir, 'config.json'), env: {} }), /cannot read config file .*config\.json: EISDIR/);
    assert.throws(() => loadConfig({ path: join(dir, 'config.ini'), env: {} }), /unsupported config format "\.ini"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const format of ['json', 'yaml', 'toml'] as const) {
  test(`genconfig - ${format} output is accepted by a strict load`, () => {
    const text = genconfig(format);
    const { config, warnings } = parseConfigText(text, `config.${format}`, { strict: true });
    assert.deepEqual(warnings, []);
    assert.equal(config.client.token.hmac_secret_key.length, 64);
    assert.equal(config.admin.password.length, 16);
    assert.equal(config.admin.secret.length, 64);
    assert.equal(config.http_api.key.length, 64);
    assert.equal(config.admin.enabled, false);
    assert.deepEqual(config.client.allowed_origins, []);
    assert.match(config.client.token.hmac_secret_key, /^[A-Za-z0-9_-]{64}$/);
  });
}

test('genconfig - secrets are random per call', () => {
  const a = parseConfigText(genconfig('json'), 'config.json').config;
  const b = parseConfigText(genconfig('json'), 'config.json').config;
  assert.notEqual(a.client.token.hmac_secret_key, b.client.token.hmac_secret_key);
  assert.notEqual(a.http_api.key, b.http_api.key);
  assert.notEqual(a.admin.secret, a.client.token.hmac_secret_key);
});

test('genconfig - writes the same keys Centrifugo genconfig writes', () => {
  const raw = JSON.parse(genconfig('json')) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(raw), ['client', 'admin', 'http_api']);
  assert.deepEqual(Object.keys(raw.client ?? {}), ['token', 'allowed_origins']);
  assert.deepEqual(Object.keys(raw.admin ?? {}), ['enabled', 'password', 'secret']);
  assert.deepEqual(Object.keys(raw.http_api ?? {}), ['key']);
});
