/**
 * The `gyre` CLI, called in-process through main(): exit codes, one-line errors, and the
 * genconfig → checkconfig → gentoken → checktoken round trip the README promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify, decodeJwt } from 'jose';
import { main } from '../src/main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

async function run(...argv: string[]) {
  const c = capture();
  const code = await main(argv, c.io);
  return { code, out: c.out.join('\n'), err: c.err.join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'gyre-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('cli - genconfig writes a config that checkconfig --strict accepts', async () => {
  for (const ext of ['json', 'yaml', 'toml']) {
    const path = join(dir, `gen.${ext}`);
    const gen = await run('genconfig', '-c', path);
    assert.equal(gen.code, 0, gen.err);
    assert.ok(existsSync(path));
    const check = await run('checkconfig', '--strict', '-c', path);
    assert.equal(check.code, 0, check.err);
  }
  const json = JSON.parse(readFileSync(join(dir, 'gen.json'), 'utf8'));
  assert.ok(json.client.token.hmac_secret_key.length >= 40, 'fresh HMAC secret');
  assert.ok(json.http_api.key.length >= 40, 'fresh API key');
  assert.ok(json.admin.password && json.admin.secret, 'admin password and secret');
});

test('cli - genconfig gives fresh secrets each time and never overwrites', async () => {
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  assert.equal((await run('genconfig', '-c', a)).code, 0);
  assert.equal((await run('genconfig', '-c', b)).code, 0);
  const ka = JSON.parse(readFileSync(a, 'utf8')).client.token.hmac_secret_key;
  const kb = JSON.parse(readFileSync(b, 'utf8')).client.token.hmac_secret_key;
  assert.notEqual(ka, kb);
  const again = await run('genconfig', '-c', a);
  assert.equal(again.code, 1);
  assert.match(again.err, /^gyre: config file already exists/);
  assert.equal(JSON.parse(readFileSync(a, 'utf8')).client.token.hmac_secret_key, ka);
});

test('cli - gentoken prints a JWT that verifies against the config secret', async () => {
  const path = join(dir, 'tok.json');
  assert.equal((await run('genconfig', '-c', path)).code, 0);
  const secret = JSON.parse(readFileSync(path, 'utf8')).client.token.hmac_secret_key as string;
  const r = await run('gentoken', '-c', path, '-u', '42', '-q');
  assert.equal(r.code, 0, r.err);
  const token = r.out.trim();
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret));
  assert.equal(protectedHeader.alg, 'HS256');
  assert.equal(payload.sub, '42');
  assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 604800);

  const check = await run('checktoken', '-c', path, token);
  assert.equal(check.code, 0, check.err);
  assert.match(check.out, /valid token for user "42"/);

  const noExp = await run('gentoken', '-c', path, '-u', '7', '-t', '-1', '-q');
  assert.equal(decodeJwt(noExp.out.trim()).exp, undefined);
});

test('cli - gensubtoken carries the channel and checksubtoken accepts it', async () => {
  const path = join(dir, 'sub.json');
  assert.equal((await run('genconfig', '-c', path)).code, 0);
  const r = await run('gensubtoken', '-c', path, '-u', '42', '-s', 'news', '-q');
  assert.equal(r.code, 0, r.err);
  const claims = decodeJwt(r.out.trim());
  assert.equal(claims.sub, '42');
  assert.equal(claims.channel, 'news');
  const check = await run('checksubtoken', '-c', path, r.out.trim());
  assert.equal(check.code, 0, check.err);
  const noChannel = await run('gensubtoken', '-c', path, '-u', '42');
  assert.equal(noChannel.code, 1);
  assert.match(noChannel.err, /channel/);
});

test('cli - checktoken rejects tampered, foreign and garbage tokens with exit 1', async () => {
  const path = join(dir, 'bad.json');
  const other = join(dir, 'other.json');
  assert.equal((await run('genconfig', '-c', path)).code, 0);
  assert.equal((await run('genconfig', '-c', other)).code, 0);
  const foreign = (await run('gentoken', '-c', other, '-u', '1', '-q')).out.trim();
  const [h, p, s] = (await run('gentoken', '-c', path, '-u', '1', '-q')).out.trim().split('.');
  const tampered = [h, Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url'), s].join('.');
  const unsigned = [Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url'), p, ''].join('.');
  for (const token of [foreign, tampered, unsigned, 'garbage', 'a.b.c', '']) {
    const r = await run('checktoken', '-c', path, token);
    assert.equal(r.code, 1, `accepted ${token}`);
    assert.match(r.err, /^gyre: /);
    assert.equal(r.err.split('\n').length, 1, 'one line');
  }
});

test('cli - gentoken without an HMAC secret fails with a clear reason', async () => {
  const path = join(dir, 'nosecret.json');
  writeFileSync(path, '{}');
  const r = await run('gentoken', '-c', path, '-u', '1');
  assert.equal(r.code, 1);
  assert.match(r.err, /hmac_secret_key/);
});

test('cli - checkconfig names line and column of a JSON syntax error', async () => {
  const path = join(dir, 'syntax.json');
  writeFileSync(path, '{\n  "client": {\n    "insecure": true,\n  }\n}\n');
  const r = await run('checkconfig', '-c', path);
  assert.equal(r.code, 1);
  assert.match(r.err, /syntax\.json: line 4, column 3: unexpected '}'/);
});

test('cli - checkconfig --strict fails on unknown keys that plain checkconfig only warns about', async () => {
  const path = join(dir, 'unknown.json');
  writeFileSync(path, JSON.stringify({ client: { insecure: true, no_such_key: 1 } }));
  const plain = await run('checkconfig', '-c', path);
  assert.equal(plain.code, 0);
  assert.match(plain.err, /client\.no_such_key/);
  const strict = await run('checkconfig', '--strict', '-c', path);
  assert.equal(strict.code, 1);
  assert.match(strict.err, /client\.no_such_key/);
});

test('cli - checkconfig fails on a missing file, invalid values and duplicate namespaces', async () => {
  assert.equal((await run('checkconfig', '-c', join(dir, 'missing.json'))).code, 1);
  const bad = join(dir, 'invalid.json');
  writeFileSync(bad, JSON.stringify({ channel: { namespaces: [{ name: 'ok' }, { name: 'a b' }] } }));
  const r = await run('checkconfig', '-c', bad);
  assert.equal(r.code, 1);
  assert.match(r.err, /channel\.namespaces\[1\]\.name/);
  writeFileSync(bad, JSON.stringify({ channel: { namespaces: [{ name: 'dup' }, { name: 'dup' }] } }));
  const dup = await run('checkconfig', '-c', bad);
  assert.equal(dup.code, 1);
  assert.match(dup.err, /dup/);
});

test('cli - unknown commands and flags exit 1 with a one-line reason', async () => {
  for (const argv of [['frobnicate'], ['serve', '--no-such-flag'], ['gentoken', '-x'], ['checkconfig', '-c'], ['gentoken', '-t', 'abc'], ['checktoken']]) {
    const r = await run(...argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.match(r.err, /^gyre: \S/);
    assert.equal(r.err.split('\n').length, 1);
  }
});

test('cli - version prints Gyre and the Centrifugo level it follows', async () => {
  const r = await run('version');
  assert.equal(r.code, 0);
  assert.match(r.out, /^Gyre v\d+\.\d+\.\d+ \(Centrifugo v6\.\d+ compatible/);
});

test('cli - a .env file feeds the environment without overriding real variables', async () => {
  const { loadDotEnv } = await import('../src/main.js');
  const file = join(dir, 'dot.env');
  writeFileSync(file, 'CENTRIFUGO_CLIENT_INSECURE=true\nGYRE_LOG_LEVEL="debug"\n# comment\n');
  const env: NodeJS.ProcessEnv = { GYRE_LOG_LEVEL: 'error' };
  loadDotEnv(env, file);
  assert.equal(env.CENTRIFUGO_CLIENT_INSECURE, 'true');
  assert.equal(env.GYRE_LOG_LEVEL, 'error');
  loadDotEnv(env, join(dir, 'absent.env'));
});
