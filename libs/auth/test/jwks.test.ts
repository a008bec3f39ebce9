import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createTokenVerifier,
  TokenInvalidError,
  TokenVerifierUnavailableError,
  type TokenVerifier,
  type TokenVerifierOptions,
} from '@gyre/auth';
import type { JWK } from 'jose';
import { deadUrl, jwksHandler, keyPair, NOW_MS, NOW_S, sign, startServer, type KeyPair, type TestServer } from './helpers.js';

const claims = { sub: '42', exp: NOW_S + 600 };

async function rejectsWith(p: Promise<unknown>, cls: new (...a: never[]) => Error, reason?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    if (reason) assert.match((err as Error).message, reason);
    return true;
  });
}

describe('jwks', () => {
  let rsa: KeyPair;
  let ec: KeyPair;
  let ed: KeyPair;
  let rotated: KeyPair;
  let server: TestServer;
  let keys: JWK[];
  const verifiers: TokenVerifier[] = [];
  let clock = NOW_MS;

  const make = (endpoint: string, extra: Record<string, unknown> = {}, opts: TokenVerifierOptions = {}): TokenVerifier => {
    const v = createTokenVerifier({ jwks_public_endpoint: endpoint, ...extra }, { now: () => clock, ...opts });
    verifiers.push(v);
    return v;
  };

  before(async () => {
    [rsa, ec, ed, rotated] = await Promise.all([
      keyPair('RS256'), keyPair('ES256'), keyPair('EdDSA', { crv: 'Ed25519' }), keyPair('RS256'),
    ]);
    keys = [
      { ...rsa.jwk, kid: 'rsa-1', use: 'sig', alg: 'RS256' },
      { ...ec.jwk, kid: 'ec-1', use: 'sig', alg: 'ES256' },
      { ...ed.jwk, kid: 'ed-1', use: 'sig' },
    ];
    server = await startServer(jwksHandler(() => keys));
  });

  after(async () => {
    for (const v of verifiers) v.close();
    await server.close();
  });

  it('jwks - RSA, EC and Ed25519 (EdDSA) keys verify tokens by kid', async () => {
    clock = NOW_MS;
    const v = make(`${server.url}/families.json`);
    assert.equal((await v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' }))).user, '42');
    assert.equal((await v.verifyConnectToken(await sign('ES256', ec.privateKey, claims, { kid: 'ec-1' }))).user, '42');
    assert.equal((await v.verifyConnectToken(await sign('EdDSA', ed.privateKey, claims, { kid: 'ed-1' }))).user, '42');
    assert.equal((await v.verifySubscriptionToken(await sign('EdDSA', ed.privateKey, { ...claims, channel: '$c' }, { kid: 'ed-1' }))).channel, '$c');
  });

  it('jwks - keys are cached for an hour: repeated verifications fetch once', async () => {
    clock = NOW_MS;
    const path = '/cache.json';
    const v = make(`${server.url}${path}`);
    const token = await sign('RS256', rsa.privateKey, { sub: '42' }, { kid: 'rsa-1' });
    const ecToken = await sign('ES256', ec.privateKey, { sub: '42' }, { kid: 'ec-1' });
    await Promise.all([v.verifyConnectToken(token), v.verifyConnectToken(token), v.verifyConnectToken(ecToken)]);
    for (let i = 0; i < 20; i++) await v.verifyConnectToken(i % 2 ? token : ecToken);
    assert.equal(server.hits.get(path), 1);
    clock = NOW_MS + 59 * 60 * 1000;
    await v.verifyConnectToken(token);
    assert.equal(server.hits.get(path), 1);
    clock = NOW_MS + 61 * 60 * 1000;
    await v.verifyConnectToken(token);
    assert.equal(server.hits.get(path), 2);
  });

  it('jwks - a key is only used for its own family and alg', async () => {
    clock = NOW_MS;
    const v = make(`${server.url}/families-cross.json`);
    // A token claiming the EC key's kid but signed RS256 with the RSA key.
    await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'ec-1' })), TokenInvalidError, /disabled/);
    // RS384 with a JWK whose alg is RS256.
    await rejectsWith(v.verifyConnectToken(await sign('RS384', rsa.privateKey, claims, { kid: 'rsa-1' })), TokenInvalidError, /disabled/);
    // HMAC signed with the public JWK text as secret.
    await rejectsWith(v.verifyConnectToken(await sign('HS256', JSON.stringify(keys[0]), claims, { kid: 'rsa-1' })), TokenInvalidError, /disabled/);
    // EdDSA under the RSA kid.
    await rejectsWith(v.verifyConnectToken(await sign('EdDSA', ed.privateKey, claims, { kid: 'rsa-1' })), TokenInvalidError, /disabled/);
  });

  it('jwks - when JWKS is configured, static keys are not used', async () => {
    clock = NOW_MS;
    const v = make(`${server.url}/only-jwks.json`, { hmac_secret_key: 'secret', rsa_public_key: rsa.pem });
    await rejectsWith(v.verifyConnectToken(await sign('HS256', 'secret', claims)), TokenInvalidError);
    await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims)), TokenInvalidError, /kid/);
  });

  it('jwks - a token without kid is invalid and causes no fetch', async () => {
    clock = NOW_MS;
    const path = '/no-kid.json';
    const v = make(`${server.url}${path}`);
    await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims)), TokenInvalidError, /kid/);
    assert.equal(server.hits.get(path), undefined);
  });

  it('jwks - an unknown kid triggers a refetch, rate-limited against floods of random kids', async () => {
    clock = NOW_MS;
    const path = '/flood.json';
    const v = make(`${server.url}${path}`, {}, { jwksMinRefetchIntervalMs: 10_000 });
    await v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' }));
    assert.equal(server.hits.get(path), 1);
    const flood = await Promise.allSettled(
      Array.from({ length: 50 }, async (_, i) => v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: `random-${i}` }))),
    );
    for (const r of flood) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof TokenInvalidError);
    }
    assert.equal(server.hits.get(path), 1, 'within the interval no refetch happens');
    clock = NOW_MS + 11_000;
    await Promise.allSettled(
      Array.from({ length: 50 }, async (_, i) => v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: `again-${i}` }))),
    );
    assert.equal(server.hits.get(path), 2, 'one refetch per interval, shared by concurrent lookups');
  });

  it('jwks - a newly published kid is picked up by the unknown-kid refetch', async () => {
    clock = NOW_MS;
    const path = '/rotate.json';
    let published: JWK[] = [{ ...rsa.jwk, kid: 'old', use: 'sig' }];
    const s = await startServer(jwksHandler(() => published));
    try {
      const v = make(`${s.url}${path}`, {}, { jwksMinRefetchIntervalMs: 1000 });
      await v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'old' }));
      published = [{ ...rotated.jwk, kid: 'new', use: 'sig' }];
      clock = NOW_MS + 2000;
      assert.equal((await v.verifyConnectToken(await sign('RS256', rotated.privateKey, claims, { kid: 'new' }))).user, '42');
      // The refetch replaced the set: the removed key is no longer trusted.
      await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'old' })), TokenInvalidError, /kid/);
      assert.equal(s.hits.get(path), 2);
    } finally {
      await s.close();
    }
  });

  it('jwks - endpoint down gives TokenVerifierUnavailableError and is not retried on every token', async () => {
    clock = NOW_MS;
    const v = make(`${await deadUrl()}/jwks.json`, {}, { jwksMinRefetchIntervalMs: 10_000 });
    const token = await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' });
    await rejectsWith(v.verifyConnectToken(token), TokenVerifierUnavailableError, /JWKS/);
    await rejectsWith(v.verifySubscriptionToken(await sign('RS256', rsa.privateKey, { ...claims, channel: 'c' }, { kid: 'rsa-1' })), TokenVerifierUnavailableError);
  });

  it('jwks - HTTP errors and garbage bodies are unavailable; one retry per fetch', async () => {
    clock = NOW_MS;
    const s = await startServer((_req, res) => { res.writeHead(500); res.end('oops'); });
    try {
      const v = make(`${s.url}/err.json`);
      await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' })), TokenVerifierUnavailableError, /500/);
      assert.equal(s.hits.get('/err.json'), 2, 'one attempt plus one retry');
      await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' })), TokenVerifierUnavailableError, /500/);
      assert.equal(s.hits.get('/err.json'), 2, 'a failed endpoint is not refetched within the interval');
      s.setHandler((_req, res) => { res.writeHead(200); res.end('{not json'); });
      const g = make(`${s.url}/garbage.json`);
      await rejectsWith(g.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' })), TokenVerifierUnavailableError, /JSON/);
      s.setHandler((_req, res) => { res.writeHead(200); res.end('{"nokeys":true}'); });
      const n = make(`${s.url}/nokeys.json`);
      await rejectsWith(n.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' })), TokenVerifierUnavailableError, /keys/);
      s.setHandler((_req, res) => { res.writeHead(200); res.end(JSON.stringify({ keys: [], pad: 'x'.repeat(2 * 1024 * 1024) })); });
      const big = make(`${s.url}/big.json`);
      await rejectsWith(big.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' })), TokenVerifierUnavailableError, /too large/);
    } finally {
      await s.close();
    }
  });

  it('jwks - a slow endpoint times out (1 s default, configurable)', async () => {
    clock = NOW_MS;
    const s = await startServer(() => undefined); // never answers
    try {
      const v = make(`${s.url}/slow.json`, {}, { jwksFetchTimeoutMs: 100 });
      const started = Date.now();
      await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' })), TokenVerifierUnavailableError, /timed out/);
      assert.ok(Date.now() - started < 2000);
      assert.equal(s.hits.get('/slow.json'), 2);
    } finally {
      await s.close();
    }
  });

  it('jwks - cached keys keep working when the endpoint fails after the TTL', async () => {
    clock = NOW_MS;
    const s = await startServer(jwksHandler(() => keys));
    try {
      const v = make(`${s.url}/stale.json`);
      const token = await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' });
      await v.verifyConnectToken(token);
      s.setHandler((_req, res) => { res.writeHead(503); res.end(); });
      clock = NOW_MS + 2 * 60 * 60 * 1000;
      const late = await sign('RS256', rsa.privateKey, { sub: '42', exp: clock / 1000 + 60 }, { kid: 'rsa-1' });
      assert.equal((await v.verifyConnectToken(late)).user, '42');
      // An unknown kid cannot be checked while the endpoint is down.
      clock += 60_000;
      await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, { sub: '42' }, { kid: 'other' })), TokenVerifierUnavailableError);
    } finally {
      await s.close();
    }
  });

  it('jwks - keys with use other than sig, unsupported kty or mismatching alg are ignored', async () => {
    clock = NOW_MS;
    const s = await startServer(jwksHandler(() => [
      { ...rsa.jwk, kid: 'enc', use: 'enc' },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'oct' },
      { ...ec.jwk, kid: 'ec-wrong-alg', alg: 'ES384' },
      { ...rsa.jwk, kid: 'no-use' },
      { ...ec.jwk, kid: 'broken', x: 'AAAA' },
    ]));
    try {
      const v = make(`${s.url}/filtered.json`);
      await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'enc' })), TokenInvalidError, /kid/);
      await rejectsWith(v.verifyConnectToken(await sign('HS256', 'secret', claims, { kid: 'oct' })), TokenInvalidError);
      await rejectsWith(v.verifyConnectToken(await sign('ES256', ec.privateKey, claims, { kid: 'ec-wrong-alg' })), TokenInvalidError, /kid/);
      await rejectsWith(v.verifyConnectToken(await sign('ES256', ec.privateKey, claims, { kid: 'broken' })), TokenInvalidError, /kid/);
      // A key without `use` (allowed by RFC 7517) is accepted, with any RSA alg when it has no `alg`.
      assert.equal((await v.verifyConnectToken(await sign('PS256', rsa.privateKey, claims, { kid: 'no-use' }))).user, '42');
    } finally {
      await s.close();
    }
  });

  it('jwks - dynamic endpoint: {{placeholders}} filled from issuer_regex groups, cached per URL', async () => {
    clock = NOW_MS;
    const s = await startServer((req, res) => {
      const tenant = /^\/tenants\/(acme|globex)\/jwks\.json$/.exec(req.url ?? '')?.[1];
      if (tenant === undefined) { res.writeHead(404); res.end(); return; }
      const jwk = tenant === 'acme' ? rsa.jwk : rotated.jwk;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [{ ...jwk, kid: 'k1', use: 'sig' }] }));
    });
    try {
      const v = make(`${s.url}/tenants/{{tenant}}/jwks.json`, { issuer_regex: '^https://auth\\.example\\.com/(?P<tenant>acme|globex)$' });
      const acme = await sign('RS256', rsa.privateKey, { ...claims, iss: 'https://auth.example.com/acme' }, { kid: 'k1' });
      const globex = await sign('RS256', rotated.privateKey, { ...claims, iss: 'https://auth.example.com/globex' }, { kid: 'k1' });
      assert.equal((await v.verifyConnectToken(acme)).iss, 'https://auth.example.com/acme');
      assert.equal((await v.verifyConnectToken(globex)).iss, 'https://auth.example.com/globex');
      await v.verifyConnectToken(acme);
      assert.equal(s.hits.get('/tenants/acme/jwks.json'), 1);
      assert.equal(s.hits.get('/tenants/globex/jwks.json'), 1);
      // Same kid, other tenant's key: the per-URL cache keeps them apart.
      const forged = await sign('RS256', rsa.privateKey, { ...claims, iss: 'https://auth.example.com/globex' }, { kid: 'k1' });
      await rejectsWith(v.verifyConnectToken(forged), TokenInvalidError, /signature/);
      await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, { ...claims, iss: 'https://auth.example.com/evil' }, { kid: 'k1' })), TokenInvalidError, /issuer/);
    } finally {
      await s.close();
    }
  });

  it('jwks - dynamic endpoint from audience_regex groups', async () => {
    clock = NOW_MS;
    const s = await startServer(jwksHandler(() => [{ ...ec.jwk, kid: 'k', use: 'sig' }]));
    try {
      const v = make(`${s.url}/{{region}}/certs`, { audience_regex: '^(?P<region>eu|us)\\.gyre$' });
      const t = await sign('ES256', ec.privateKey, { ...claims, aud: ['x', 'eu.gyre'] }, { kid: 'k' });
      assert.equal((await v.verifyConnectToken(t)).user, '42');
      assert.equal(s.hits.get('/eu/certs'), 1);
    } finally {
      await s.close();
    }
  });

  it('jwks - with the safety check skipped, unsafe template values are still refused at runtime only when they break out of a segment', async () => {
    clock = NOW_MS;
    const s = await startServer(jwksHandler(() => [{ ...rsa.jwk, kid: 'k', use: 'sig' }]));
    try {
      const checked = createTokenVerifier(
        { jwks_public_endpoint: `${s.url}/t/{{tenant}}/jwks`, issuer_regex: '^(?P<tenant>acme|a/b)$' },
        { now: () => clock },
      );
      verifiers.push(checked);
      await rejectsWith(checked.verifyConnectToken(await sign('RS256', rsa.privateKey, { ...claims, iss: 'a/b' }, { kid: 'k' })), TokenInvalidError, /unsafe/);
      const skipped = make(`${s.url}/t/{{tenant}}/jwks`, { issuer_regex: '^(?P<tenant>[a-z]+)$', insecure_skip_jwks_endpoint_safety_check: true });
      assert.equal((await skipped.verifyConnectToken(await sign('RS256', rsa.privateKey, { ...claims, iss: 'anything' }, { kid: 'k' }))).user, '42');
      assert.equal(s.hits.get('/t/anything/jwks'), 1);
    } finally {
      await s.close();
    }
  });

  it('jwks - close() stops the verifier', async () => {
    clock = NOW_MS;
    const v = make(`${server.url}/closed.json`);
    v.close();
    await rejectsWith(v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims, { kid: 'rsa-1' })), TokenVerifierUnavailableError, /closed/);
  });
});
