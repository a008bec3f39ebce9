import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createTokenVerifier, isTokenError, TokenError, TokenVerifierUnavailableError } from '@gyre/auth';
import { parseJson } from '../src/json_raw.js';
import { b64url, fixedNow, sign } from './helpers.js';

const SECRET = 'property-secret';
const verifier = createTokenVerifier({ hmac_secret_key: SECRET, audience_regex: '^(?P<a>x|y)$' }, { now: fixedNow });
const plain = createTokenVerifier({ hmac_secret_key: SECRET, user_id_claim: 'uid' }, { now: fixedNow });

const CLAIMS = [
  'sub', 'exp', 'iat', 'nbf', 'jti', 'iss', 'aud', 'info', 'b64info', 'channels', 'subs', 'meta', 'expire_at',
  'channel', 'client', 'data', 'b64data', 'override', 'uid', 'SUB', 'Exp',
];

/** Only typed token errors may escape; the bug catch-all (unavailable "internal error") must not happen. */
async function onlyTypedErrors(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(isTokenError(err) && err instanceof TokenError, `unexpected ${String(err)}`);
    assert.ok(!(err instanceof TokenVerifierUnavailableError), `internal error: ${String((err as Error).cause)}`);
  }
}

const claimValue = fc.oneof(
  fc.jsonValue(),
  fc.constant(null),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string(),
  fc.base64String(),
  fc.array(fc.string()),
  fc.dictionary(fc.string(), fc.record({ value: fc.oneof(fc.boolean(), fc.jsonValue()) })),
  fc.dictionary(fc.string(), fc.dictionary(fc.constantFrom('info', 'b64info', 'data', 'b64data', 'override'), fc.jsonValue())),
);

describe('property', () => {
  it('property - random strings never throw anything but typed token errors', async () => {
    const segment = fc.string({ unit: fc.constantFrom(...'ABCxyz019-_=+/.'.split('')) });
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.tuple(segment, segment, segment).map(([a, b, c]) => `${a}.${b}.${c}`)),
      async (s) => {
        await onlyTypedErrors(verifier.verifyConnectToken(s));
        await onlyTypedErrors(verifier.verifySubscriptionToken(s));
      },
    ), { numRuns: 500 });
  });

  it('property - random JSON payloads signed with the right key never throw anything but typed token errors', async () => {
    await fc.assert(fc.asyncProperty(fc.dictionary(fc.oneof(fc.constantFrom(...CLAIMS), fc.string()), claimValue), async (payload) => {
      const token = await sign('HS256', SECRET, payload);
      await onlyTypedErrors(verifier.verifyConnectToken(token));
      await onlyTypedErrors(verifier.verifySubscriptionToken(token));
      await onlyTypedErrors(plain.verifyConnectToken(token));
      await onlyTypedErrors(plain.verifySubscriptionToken(token));
    }), { numRuns: 400 });
  });

  it('property - random payload text and headers signed with the right key never throw anything but typed token errors', async () => {
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.json(), fc.string({ unit: 'binary' })),
      fc.oneof(fc.constant('{"alg":"HS256"}'), fc.json(), fc.string()),
      async (payload, header) => {
        await onlyTypedErrors(plain.verifyConnectToken(await sign('HS256', SECRET, payload)));
        await onlyTypedErrors(plain.verifySubscriptionToken(await sign('HS256', SECRET, payload)));
        await onlyTypedErrors(plain.verifyConnectToken(`${b64url(header)}.${b64url(payload)}.${b64url('sig')}`));
      },
    ), { numRuns: 400 });
  });

  it('property - valid claims round-trip: whatever sub and info go in come out', async () => {
    await fc.assert(fc.asyncProperty(fc.string(), fc.jsonValue(), async (sub, info) => {
      const text = JSON.stringify(info);
      const claims = await plain.verifyConnectToken(await sign('HS256', SECRET, `{"sub":${JSON.stringify(sub)},"info":${text}}`));
      assert.equal(claims.user, '');
      assert.equal(Buffer.from(claims.info!).toString('utf8'), text);
      const viaSub = await verifier.verifyConnectToken(await sign('HS256', SECRET, { sub, aud: 'x' }));
      assert.equal(viaSub.user, sub);
    }), { numRuns: 300 });
  });

  it('property - the raw JSON parser accepts exactly what JSON.parse accepts and spans the whole value', () => {
    fc.assert(fc.property(fc.oneof(fc.json(), fc.string(), fc.json().map((j) => ` \n${j}\t`)), (text) => {
      let expected = true;
      try { JSON.parse(text); } catch { expected = false; }
      let node;
      try { node = parseJson(Buffer.from(text, 'utf8')); } catch { node = undefined; }
      assert.equal(node !== undefined, expected, text);
      if (node !== undefined) {
        assert.equal(Buffer.from(text, 'utf8').subarray(node.start, node.end).toString('utf8'), text.trim());
      }
    }), { numRuns: 2000 });
  });
});
