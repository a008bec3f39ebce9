import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jwtVerify } from 'jose';
import {
  createTokenVerifier,
  describeSubscriptionToken,
  describeToken,
  formatGenSubTokenMessage,
  formatGenTokenMessage,
  formatGoDuration,
  formatTokenDescription,
  generateConnectToken,
  generateSubscriptionToken,
  TokenConfigError,
  TokenExpiredError,
} from '@gyre/auth';
import { fixedNow, NOW_MS, NOW_S } from './helpers.js';

const SECRET = 'gen-secret';

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.') as [string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
  };
}

describe('token generation', () => {
  it('gentoken - HS256 token with sub, iat and exp, verifiable by jose and by the verifier', async () => {
    const token = generateConnectToken({ hmacSecretKey: SECRET, user: '42', ttlSeconds: 3600, now: fixedNow });
    const { header, payload } = decode(token);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(payload, { sub: '42', iat: NOW_S, exp: NOW_S + 3600 });
    const { payload: viaJose } = await jwtVerify(token, new TextEncoder().encode(SECRET), { currentDate: new Date(NOW_MS) });
    assert.equal(viaJose.sub, '42');
    const c = await createTokenVerifier({ hmac_secret_key: SECRET }, { now: fixedNow }).verifyConnectToken(token);
    assert.equal(c.user, '42');
    assert.equal(c.expireAt, NOW_S + 3600);
  });

  it('gentoken - ttl -1 (or 0) gives no exp; an empty user gives an anonymous token without sub', () => {
    assert.deepEqual(decode(generateConnectToken({ hmacSecretKey: SECRET, user: 'u', ttlSeconds: -1, now: fixedNow })).payload, { sub: 'u', iat: NOW_S });
    assert.deepEqual(decode(generateConnectToken({ hmacSecretKey: SECRET, user: 'u', ttlSeconds: 0, now: fixedNow })).payload, { sub: 'u', iat: NOW_S });
    assert.deepEqual(decode(generateConnectToken({ hmacSecretKey: SECRET, user: '', ttlSeconds: -1, now: fixedNow })).payload, { iat: NOW_S });
  });

  it('gentoken - extra claims are kept, standard claims come from the options, user_id_claim is written', async () => {
    const token = generateConnectToken({
      hmacSecretKey: SECRET, user: 'u', ttlSeconds: 60, now: fixedNow, userIdClaim: 'user_id',
      claims: { info: { name: 'A' }, channels: ['news'], sub: 'ignored', exp: 1 },
    });
    assert.deepEqual(decode(token).payload, { info: { name: 'A' }, channels: ['news'], sub: 'u', iat: NOW_S, exp: NOW_S + 60, user_id: 'u' });
    const c = await createTokenVerifier({ hmac_secret_key: SECRET, user_id_claim: 'user_id' }, { now: fixedNow }).verifyConnectToken(token);
    assert.equal(c.user, 'u');
    assert.deepEqual([...c.subs.keys()], ['news']);
  });

  it('gentoken - needs an HMAC secret and refuses a channel claim', () => {
    assert.throws(() => generateConnectToken({ hmacSecretKey: '', user: 'u', ttlSeconds: 1 }), TokenConfigError);
    assert.throws(() => generateConnectToken({ hmacSecretKey: SECRET, user: 'u', ttlSeconds: 1, claims: { channel: 'x' } }), RangeError);
  });

  it('gensubtoken - subscription token with sub, channel, iat and exp', async () => {
    const token = generateSubscriptionToken({ hmacSecretKey: SECRET, user: 'u', channel: '$room', ttlSeconds: 10, now: fixedNow });
    assert.deepEqual(decode(token).payload, { sub: 'u', iat: NOW_S, exp: NOW_S + 10, channel: '$room' });
    const s = await createTokenVerifier({ hmac_secret_key: SECRET }, { now: fixedNow }).verifySubscriptionToken(token);
    assert.equal(s.channel, '$room');
    assert.equal(s.user, 'u');
    assert.throws(() => generateSubscriptionToken({ hmacSecretKey: SECRET, user: 'u', channel: '', ttlSeconds: 10 }), RangeError);
  });

  it('gentoken output - the messages match Centrifugo wording', () => {
    assert.equal(formatGoDuration(604800), '168h0m0s');
    assert.equal(formatGoDuration(90), '1m30s');
    assert.equal(formatGoDuration(5), '5s');
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(formatGenTokenMessage('42', 604800, 'T'), 'HMAC SHA-256 JWT for user "42" with expiration TTL 168h0m0s:\nT\n');
    assert.equal(formatGenTokenMessage('', -1, 'T'), 'HMAC SHA-256 JWT for anonymous user without expiration:\nT\n');
    assert.equal(formatGenSubTokenMessage('42', 'ch', 60, 'T'), 'HMAC SHA-256 JWT for user "42" and channel "ch" with expiration TTL 1m0s:\nT\n');
  });

  it('checktoken - describeToken reports user, expiry and the payload text', async () => {
    const v = createTokenVerifier({ hmac_secret_key: SECRET }, { now: fixedNow });
    const token = generateConnectToken({ hmacSecretKey: SECRET, user: '42', ttlSeconds: 60, now: fixedNow });
    const d = await describeToken(v, token);
    assert.equal(d.user, '42');
    assert.equal(d.expiresAt, NOW_S + 60);
    assert.equal(d.payload, `{"sub":"42","iat":${NOW_S},"exp":${NOW_S + 60}}`);
    assert.equal(formatTokenDescription(d), `valid token for user 42\npayload: ${d.payload}\n`);
    const anon = await describeToken(v, generateConnectToken({ hmacSecretKey: SECRET, user: '', ttlSeconds: -1, now: fixedNow }));
    assert.equal(anon.expiresAt, undefined);
    assert.match(formatTokenDescription(anon), /^valid token for anonymous user\n/);
  });

  it('checksubtoken - describeSubscriptionToken reports user and channel; failures are typed errors', async () => {
    const v = createTokenVerifier({ hmac_secret_key: SECRET }, { now: fixedNow });
    const d = await describeSubscriptionToken(v, generateSubscriptionToken({ hmacSecretKey: SECRET, user: 'u', channel: 'c', ttlSeconds: 5, now: fixedNow }));
    assert.equal(formatTokenDescription(d), `valid subscription token for user "u" and channel "c"\npayload: ${d.payload}\n`);
    const old = generateConnectToken({ hmacSecretKey: SECRET, user: 'u', ttlSeconds: 5, now: () => NOW_MS - 10_000 });
    await assert.rejects(describeToken(v, old), TokenExpiredError);
  });
});
