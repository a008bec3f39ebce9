import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  createTokenVerifier,
  TokenExpiredError,
  TokenInvalidError,
  type TokenConfig,
} from '@gyre/auth';
import { b64url, fixedNow, keyPair, NOW_S, sign, unsigned, type KeyPair } from './helpers.js';

const SECRET = 'super-secret-hmac-key';
const claims = { sub: '42', exp: NOW_S + 60 };

async function rejectsWith(p: Promise<unknown>, cls: new (...a: never[]) => Error, reason?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    if (reason) assert.match((err as Error).message, reason);
    return true;
  });
}

describe('verifier algorithms', () => {
  let rsa: KeyPair;
  let otherRsa: KeyPair;
  let p256: KeyPair;
  let p384: KeyPair;
  let p521: KeyPair;
  let ed: KeyPair;

  before(async () => {
    [rsa, otherRsa, p256, p384, p521, ed] = await Promise.all([
      keyPair('RS256'), keyPair('RS256'), keyPair('ES256'), keyPair('ES384'), keyPair('ES512'), keyPair('EdDSA', { crv: 'Ed25519' }),
    ]);
  });

  const make = (cfg: Partial<TokenConfig>) => createTokenVerifier(cfg, { now: fixedNow });

  it('algorithms - HS256, HS384 and HS512 verify with hmac_secret_key', async () => {
    const v = make({ hmac_secret_key: SECRET });
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const c = await v.verifyConnectToken(await sign(alg, SECRET, claims));
      assert.equal(c.user, '42', alg);
    }
  });

  it('algorithms - RS256/384/512 and PS256/384/512 verify with rsa_public_key', async () => {
    const v = make({ rsa_public_key: rsa.pem });
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) {
      const c = await v.verifyConnectToken(await sign(alg, rsa.privateKey, claims));
      assert.equal(c.user, '42', alg);
    }
  });

  it('algorithms - ES256/384/512 verify with an ecdsa_public_key of the matching curve', async () => {
    for (const [alg, kp] of [['ES256', p256], ['ES384', p384], ['ES512', p521]] as const) {
      const v = make({ ecdsa_public_key: kp.pem });
      const c = await v.verifyConnectToken(await sign(alg, kp.privateKey, claims));
      assert.equal(c.user, '42', alg);
    }
  });

  it('algorithms - HMAC, RSA and ECDSA can be configured together, each for its own family', async () => {
    const v = make({ hmac_secret_key: SECRET, rsa_public_key: rsa.pem, ecdsa_public_key: p256.pem });
    assert.equal((await v.verifyConnectToken(await sign('HS256', SECRET, claims))).user, '42');
    assert.equal((await v.verifyConnectToken(await sign('RS256', rsa.privateKey, claims))).user, '42');
    assert.equal((await v.verifyConnectToken(await sign('ES256', p256.privateKey, claims))).user, '42');
  });

  it('algorithms - an HS256 token signed with the RSA public key PEM as secret is rejected', async () => {
    const v = make({ rsa_public_key: rsa.pem });
    await rejectsWith(v.verifyConnectToken(await sign('HS256', rsa.pem, claims)), TokenInvalidError, /disabled/);
    // Even when HMAC is enabled too, the PEM is never an HMAC secret.
    const both = make({ rsa_public_key: rsa.pem, hmac_secret_key: SECRET });
    await rejectsWith(both.verifyConnectToken(await sign('HS256', rsa.pem, claims)), TokenInvalidError, /signature/);
  });

  it('algorithms - alg none is rejected, also with signature checks skipped', async () => {
    const v = make({ hmac_secret_key: SECRET });
    for (const alg of ['none', 'None', 'NONE']) {
      await rejectsWith(v.verifyConnectToken(unsigned(claims, { alg })), TokenInvalidError, /unsupported/);
    }
    const skip = createTokenVerifier({ hmac_secret_key: SECRET }, { now: fixedNow, insecureSkipSignatureVerify: true });
    await rejectsWith(skip.verifyConnectToken(unsigned(claims)), TokenInvalidError);
    await rejectsWith(skip.verifyConnectToken(unsigned(claims, { typ: 'JWT' })), TokenInvalidError);
  });

  it('algorithms - an ES256 token is rejected when only an RSA key is configured', async () => {
    const v = make({ rsa_public_key: rsa.pem });
    await rejectsWith(v.verifyConnectToken(await sign('ES256', p256.privateKey, claims)), TokenInvalidError, /disabled/);
  });

  it('algorithms - an ES token for another curve than the configured key is rejected', async () => {
    const v = make({ ecdsa_public_key: p256.pem });
    await rejectsWith(v.verifyConnectToken(await sign('ES384', p384.privateKey, claims)), TokenInvalidError, /disabled/);
  });

  it('algorithms - an RS token signed by another RSA key is rejected', async () => {
    const v = make({ rsa_public_key: rsa.pem });
    await rejectsWith(v.verifyConnectToken(await sign('RS256', otherRsa.privateKey, claims)), TokenInvalidError, /invalid signature/);
  });

  it('algorithms - EdDSA is only accepted through JWKS', async () => {
    const v = make({ hmac_secret_key: SECRET, rsa_public_key: rsa.pem });
    await rejectsWith(v.verifyConnectToken(await sign('EdDSA', ed.privateKey, claims)), TokenInvalidError, /disabled/);
  });

  it('algorithms - a wrong HMAC secret or a tampered payload fails the signature', async () => {
    const v = make({ hmac_secret_key: SECRET });
    await rejectsWith(v.verifyConnectToken(await sign('HS256', 'other', claims)), TokenInvalidError, /signature/);
    const good = await sign('HS256', SECRET, claims);
    const [h, , s] = good.split('.');
    const forged = `${h}.${b64url(JSON.stringify({ ...claims, sub: 'admin' }))}.${s}`;
    await rejectsWith(v.verifyConnectToken(forged), TokenInvalidError, /signature/);
  });

  it('algorithms - an unknown algorithm or no configured key is invalid', async () => {
    const v = make({ hmac_secret_key: SECRET });
    await rejectsWith(v.verifyConnectToken(`${unsigned(claims, { alg: 'XS256' })}${b64url('sig')}`), TokenInvalidError, /unsupported/);
    const empty = make({});
    await rejectsWith(empty.verifyConnectToken(await sign('HS256', SECRET, claims)), TokenInvalidError, /disabled/);
  });

  it('algorithms - ES signatures of the wrong length are rejected', async () => {
    const v = make({ ecdsa_public_key: p256.pem });
    const good = await sign('ES256', p256.privateKey, claims);
    const [h, p, s] = good.split('.');
    const der = Buffer.concat([Buffer.from(s!, 'base64url'), Buffer.from([0])]).toString('base64url');
    await rejectsWith(v.verifyConnectToken(`${h}.${p}.${der}`), TokenInvalidError, /signature/);
  });

  it('rotation - the previous HMAC secret is accepted until valid_until, then refused', async () => {
    const cfg = { hmac_secret_key: 'new-secret', hmac_previous_secret_key: 'old-secret', hmac_previous_secret_key_valid_until: NOW_S + 10 };
    const oldToken = await sign('HS256', 'old-secret', claims);
    const newToken = await sign('HS256', 'new-secret', claims);
    const before = createTokenVerifier(cfg, { now: () => (NOW_S + 9) * 1000 });
    assert.equal((await before.verifyConnectToken(oldToken)).user, '42');
    assert.equal((await before.verifyConnectToken(newToken)).user, '42');
    const after = createTokenVerifier(cfg, { now: () => (NOW_S + 10) * 1000 });
    await rejectsWith(after.verifyConnectToken(oldToken), TokenInvalidError, /signature/);
    assert.equal((await after.verifyConnectToken(newToken)).user, '42');
  });

  it('rotation - valid_until 0 keeps the previous secret valid without a time limit', async () => {
    const v = createTokenVerifier(
      { hmac_secret_key: 'new-secret', hmac_previous_secret_key: 'old-secret', hmac_previous_secret_key_valid_until: 0 },
      { now: () => 4_000_000_000_000 },
    );
    assert.equal((await v.verifyConnectToken(await sign('HS256', 'old-secret', { sub: 'u' }))).user, 'u');
    await rejectsWith(v.verifyConnectToken(await sign('HS256', 'third-secret', { sub: 'u' })), TokenInvalidError);
  });

  it('rotation - the cutoff applies to subscription tokens too', async () => {
    const cfg = { hmac_secret_key: 'new', hmac_previous_secret_key: 'old', hmac_previous_secret_key_valid_until: NOW_S - 1 };
    const v = createTokenVerifier(cfg, { now: fixedNow });
    await rejectsWith(v.verifySubscriptionToken(await sign('HS256', 'old', { sub: 'u', channel: '$c' })), TokenInvalidError);
    assert.equal((await v.verifySubscriptionToken(await sign('HS256', 'new', { sub: 'u', channel: '$c' }))).channel, '$c');
  });

  it('skip signature - insecureSkipSignatureVerify accepts any signature but still checks expiry and structure', async () => {
    const v = createTokenVerifier({ hmac_secret_key: SECRET }, { now: fixedNow, insecureSkipSignatureVerify: true });
    assert.equal((await v.verifyConnectToken(await sign('HS256', 'wrong', claims))).user, '42');
    await rejectsWith(v.verifyConnectToken(await sign('HS256', 'wrong', { sub: '42', exp: NOW_S - 1 })), TokenExpiredError);
    await rejectsWith(v.verifyConnectToken(await sign('HS256', 'wrong', { sub: 42 })), TokenInvalidError, /sub/);
    await rejectsWith(v.verifyConnectToken('not-a-token'), TokenInvalidError);
  });
});
