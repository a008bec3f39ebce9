import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createTokenVerifier,
  MAX_TOKEN_LENGTH,
  TokenExpiredError,
  TokenInvalidError,
  type TokenConfig,
} from '@gyre/auth';
import { b64url, fixedNow, NOW_S, sign } from './helpers.js';

const SECRET = 'claims-secret';
const make = (cfg: Partial<TokenConfig> = {}) => createTokenVerifier({ hmac_secret_key: SECRET, ...cfg }, { now: fixedNow });
const tok = (payload: string | Record<string, unknown>) => sign('HS256', SECRET, payload);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

async function invalid(p: Promise<unknown>, reason?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TokenInvalidError, `expected TokenInvalidError, got ${String(err)}`);
    if (reason) assert.match(err.reason, reason);
    return true;
  });
}

async function expired(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof TokenExpiredError);
}

describe('connection token claims', () => {
  it('connect claims - every claim is decoded with its Centrifugo meaning', async () => {
    const c = await make().verifyConnectToken(await tok({
      sub: 'user-1', exp: NOW_S + 100, iat: NOW_S - 5, nbf: NOW_S - 5, jti: 'id-1', iss: 'me', aud: 'you',
      info: { name: 'Alex' }, channels: ['a', 'b'], meta: { role: 'admin' }, unknown_claim: [1, 2],
    }));
    assert.equal(c.user, 'user-1');
    assert.equal(c.exp, NOW_S + 100);
    assert.equal(c.iat, NOW_S - 5);
    assert.equal(c.nbf, NOW_S - 5);
    assert.equal(c.jti, 'id-1');
    assert.equal(c.iss, 'me');
    assert.deepEqual(c.aud, ['you']);
    assert.equal(c.expireAt, NOW_S + 100);
    assert.equal(text(c.info), '{"name":"Alex"}');
    assert.deepEqual(c.channels, ['a', 'b']);
    assert.deepEqual([...c.subs.keys()], ['a', 'b']);
    assert.deepEqual(c.subs.get('a'), { override: {} });
    assert.equal(text(c.meta), '{"role":"admin"}');
  });

  it('connect claims - info and meta keep their exact JSON text', async () => {
    const payload = '{ "sub" : "u", "info" : {"z": 1,  "a" :[ 1e2, 12345678901234567890 ]} , "meta":"plain" }';
    const c = await make().verifyConnectToken(await tok(payload));
    assert.equal(text(c.info), '{"z": 1,  "a" :[ 1e2, 12345678901234567890 ]}');
    assert.equal(text(c.meta), '"plain"');
  });

  it('connect claims - b64info takes precedence over info and is decoded to bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const c = await make().verifyConnectToken(await tok({ sub: 'u', info: { x: 1 }, b64info: bytes.toString('base64') }));
    assert.deepEqual(Buffer.from(c.info!), bytes);
    const plain = await make().verifyConnectToken(await tok({ sub: 'u', info: { x: 1 }, b64info: '' }));
    assert.equal(text(plain.info), '{"x":1}');
  });

  it('connect claims - malformed b64info is invalid', async () => {
    for (const bad of ['***', 'AAA', 'AA=A', 'YQ']) {
      await invalid(make().verifyConnectToken(await tok({ sub: 'u', b64info: bad })), /b64info/);
    }
  });

  it('connect claims - a token without exp is accepted and never expires', async () => {
    const c = await make().verifyConnectToken(await tok({ sub: 'u' }));
    assert.equal(c.exp, undefined);
    assert.equal(c.expireAt, 0);
    assert.equal(c.user, 'u');
  });

  it('connect claims - anonymous tokens have user ""', async () => {
    assert.equal((await make().verifyConnectToken(await tok({}))).user, '');
    assert.equal((await make().verifyConnectToken(await tok({ sub: null }))).user, '');
  });

  it('connect claims - exp at or before now is TokenExpiredError, after now is valid', async () => {
    await expired(make().verifyConnectToken(await tok({ sub: 'u', exp: NOW_S - 1 })));
    await expired(make().verifyConnectToken(await tok({ sub: 'u', exp: NOW_S })));
    assert.equal((await make().verifyConnectToken(await tok({ sub: 'u', exp: NOW_S + 0.5 }))).exp, NOW_S + 0.5);
  });

  it('connect claims - nbf in the future is reported as expired, like Centrifugo', async () => {
    await expired(make().verifyConnectToken(await tok({ sub: 'u', nbf: NOW_S + 10 })));
  });

  it('connect claims - exp given as a numeric string is accepted (json.Number), null means absent', async () => {
    await expired(make().verifyConnectToken(await tok({ sub: 'u', exp: String(NOW_S - 10) })));
    assert.equal((await make().verifyConnectToken(await tok({ sub: 'u', exp: String(NOW_S + 10) }))).exp, NOW_S + 10);
    assert.equal((await make().verifyConnectToken(await tok({ sub: 'u', exp: null }))).exp, undefined);
  });

  it('connect claims - expire_at overrides exp for the connection expiry, 0 or less means never', async () => {
    const at = await make().verifyConnectToken(await tok({ sub: 'u', exp: NOW_S + 10, expire_at: NOW_S + 1000 }));
    assert.equal(at.expireAt, NOW_S + 1000);
    assert.equal(at.expireAtClaim, NOW_S + 1000);
    const never = await make().verifyConnectToken(await tok({ sub: 'u', exp: NOW_S + 10, expire_at: 0 }));
    assert.equal(never.expireAt, 0);
    assert.equal(never.expireAtClaim, 0);
    assert.equal((await make().verifyConnectToken(await tok({ sub: 'u', expire_at: -5 }))).expireAt, 0);
    // expire_at does not rescue an expired token: exp still guards token validity.
    await expired(make().verifyConnectToken(await tok({ sub: 'u', exp: NOW_S - 1, expire_at: NOW_S + 1000 })));
    // expire_at in the past is reported as is; the caller turns it into error 110.
    assert.equal((await make().verifyConnectToken(await tok({ sub: 'u', expire_at: NOW_S - 100 }))).expireAt, NOW_S - 100);
    assert.equal((await make().verifyConnectToken(await tok({ sub: 'u', exp: NOW_S + 10.9 }))).expireAt, NOW_S + 10);
  });

  it('connect claims - a channel claim makes a connection token invalid', async () => {
    await invalid(make().verifyConnectToken(await tok({ sub: 'u', channel: 'news' })), /channel/);
    assert.equal((await make().verifyConnectToken(await tok({ sub: 'u', channel: '' }))).user, 'u');
  });

  it('connect claims - the channel check comes before expiry, as in Centrifugo', async () => {
    await invalid(make().verifyConnectToken(await tok({ sub: 'u', channel: 'news', exp: NOW_S - 100 })), /channel/);
  });

  it('connect claims - subs with info, data and every override', async () => {
    const c = await make().verifyConnectToken(await tok({
      sub: 'u',
      channels: ['ignored'],
      subs: {
        'news': { info: { a: 1 }, data: [1, 2], override: {
          presence: { value: true }, join_leave: { value: false }, force_push_join_leave: { value: true },
          force_recovery: { value: true }, force_positioning: { value: false },
        } },
        'chat:1': { b64info: Buffer.from('hi').toString('base64'), b64data: Buffer.from([7]).toString('base64'), override: { presence: {} } },
        'empty': null,
      },
    }));
    assert.deepEqual([...c.subs.keys()], ['news', 'chat:1', 'empty']);
    const news = c.subs.get('news')!;
    assert.equal(text(news.info), '{"a":1}');
    assert.equal(text(news.data), '[1,2]');
    assert.deepEqual(news.override, { presence: true, joinLeave: false, forcePushJoinLeave: true, forceRecovery: true, forcePositioning: false });
    const chat = c.subs.get('chat:1')!;
    assert.equal(text(chat.info), 'hi');
    assert.deepEqual(Buffer.from(chat.data!), Buffer.from([7]));
    assert.deepEqual(chat.override, { presence: false });
    assert.deepEqual(c.subs.get('empty'), { override: {} });
    assert.deepEqual(c.channels, ['ignored']); // present, but subs wins
  });

  it('connect claims - an empty subs object falls back to channels', async () => {
    const c = await make().verifyConnectToken(await tok({ sub: 'u', channels: ['x'], subs: {} }));
    assert.deepEqual([...c.subs.keys()], ['x']);
  });

  it('connect claims - wrong claim types are invalid tokens', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ sub: 42 }, /sub/],
      [{ sub: 'u', exp: 'soon' }, /exp/],
      [{ sub: 'u', exp: true }, /exp/],
      [{ sub: 'u', exp: {} }, /exp/],
      [{ sub: 'u', iat: [] }, /iat/],
      [{ sub: 'u', nbf: 'x' }, /nbf/],
      [{ sub: 'u', jti: 1 }, /jti/],
      [{ sub: 'u', iss: false }, /iss/],
      [{ sub: 'u', aud: 5 }, /aud/],
      [{ sub: 'u', aud: ['a', 5] }, /aud/],
      [{ sub: 'u', aud: null }, /aud/],
      [{ sub: 'u', channels: 'a' }, /channels/],
      [{ sub: 'u', channels: ['a', 1] }, /channels/],
      [{ sub: 'u', subs: [] }, /subs/],
      [{ sub: 'u', subs: { a: 'x' } }, /subs/],
      [{ sub: 'u', subs: { a: { b64info: 1 } } }, /subs\.\*\.b64info/],
      [{ sub: 'u', subs: { a: { override: [] } } }, /override/],
      [{ sub: 'u', subs: { a: { override: { presence: true } } } }, /presence/],
      [{ sub: 'u', subs: { a: { override: { presence: { value: 'yes' } } } } }, /presence\.value/],
      [{ sub: 'u', expire_at: 1.5 }, /expire_at/],
      [{ sub: 'u', expire_at: '100' }, /expire_at/],
      [{ sub: 'u', b64info: 7 }, /b64info/],
      [{ sub: 'u', channel: 1 }, /channel/],
    ];
    for (const [payload, reason] of cases) {
      await invalid(make().verifyConnectToken(await tok(payload)), reason);
    }
    await invalid(make().verifyConnectToken(await tok('{"sub":"u","expire_at":1e3}')), /expire_at/);
    await invalid(make().verifyConnectToken(await tok('{"sub":"u","expire_at":99999999999999999999}')), /expire_at/);
  });

  it('connect claims - the payload must be a JSON object (or null)', async () => {
    for (const payload of ['[]', '"x"', '12', '{"sub":"u"', '{"sub":"u"} x', '', '\ufeff{}']) {
      await invalid(make().verifyConnectToken(await tok(payload)));
    }
    assert.equal((await make().verifyConnectToken(await tok('null'))).user, '');
  });

  it('connect claims - keys match case-insensitively and the last duplicate wins, like Go', async () => {
    const c = await make().verifyConnectToken(await tok('{"SUB":"first","Sub":"second","INFO":{"v":1}}'));
    assert.equal(c.user, 'second');
    assert.equal(text(c.info), '{"v":1}');
    await expired(make().verifyConnectToken(await tok(`{"sub":"u","EXP":${NOW_S - 1}}`)));
    await invalid(make().verifyConnectToken(await tok('{"Channel":"x"}')), /channel/);
    assert.equal((await make().verifyConnectToken(await tok('{"\u017fub":"long-s"}'))).user, 'long-s');
  });

  it('connect claims - aud may be a string or a list', async () => {
    const v = make({ audience: 'gyre' });
    assert.deepEqual((await v.verifyConnectToken(await tok({ sub: 'u', aud: 'gyre' }))).aud, ['gyre']);
    assert.deepEqual((await v.verifyConnectToken(await tok({ sub: 'u', aud: ['x', 'gyre'] }))).aud, ['x', 'gyre']);
  });

  it('audience - exact audience mismatch or absence is invalid', async () => {
    const v = make({ audience: 'gyre' });
    await invalid(v.verifyConnectToken(await tok({ sub: 'u', aud: 'other' })), /audience/);
    await invalid(v.verifyConnectToken(await tok({ sub: 'u', aud: ['a', 'b'] })), /audience/);
    await invalid(v.verifyConnectToken(await tok({ sub: 'u' })), /audience/);
    await invalid(v.verifySubscriptionToken(await tok({ sub: 'u', channel: 'c', aud: 'other' })), /audience/);
  });

  it('issuer - exact issuer mismatch or absence is invalid', async () => {
    const v = make({ issuer: 'https://auth.example.com' });
    assert.equal((await v.verifyConnectToken(await tok({ sub: 'u', iss: 'https://auth.example.com' }))).iss, 'https://auth.example.com');
    await invalid(v.verifyConnectToken(await tok({ sub: 'u', iss: 'https://auth.example.com/' })), /issuer/);
    await invalid(v.verifyConnectToken(await tok({ sub: 'u' })), /issuer/);
  });

  it('audience_regex and issuer_regex - unanchored unless the pattern anchors, like Go FindStringSubmatch', async () => {
    const v = make({ issuer_regex: 'auth\\.example\\.com', audience_regex: '^(?P<app>web|mobile)$' });
    assert.equal((await v.verifyConnectToken(await tok({ sub: 'u', iss: 'https://auth.example.com/x', aud: 'web' }))).user, 'u');
    assert.equal((await v.verifyConnectToken(await tok({ sub: 'u', iss: 'auth.example.com', aud: ['tv', 'mobile'] }))).user, 'u');
    await invalid(v.verifyConnectToken(await tok({ sub: 'u', iss: 'https://evil.com', aud: 'web' })), /issuer not matched/);
    await invalid(v.verifyConnectToken(await tok({ sub: 'u', iss: 'auth.example.com', aud: 'webx' })), /audience not matched/);
    await invalid(v.verifyConnectToken(await tok({ sub: 'u', iss: 'auth.example.com' })), /audience not matched/);
  });

  it('issuer_regex - Go syntax such as (?i) and (?P<name>) is honoured', async () => {
    const v = make({ issuer_regex: '(?i)^https://(?P<realm>ACME|globex)\\.example\\.com$' });
    assert.equal((await v.verifyConnectToken(await tok({ sub: 'u', iss: 'https://acme.EXAMPLE.com' }))).user, 'u');
    await invalid(v.verifyConnectToken(await tok({ sub: 'u', iss: 'https://initech.example.com' })), /issuer/);
  });

  it('audience and issuer - checked before the signature and before expiry', async () => {
    const v = make({ audience: 'gyre' });
    await invalid(v.verifyConnectToken(await tok({ sub: 'u', aud: 'x', exp: NOW_S - 100 })), /audience/);
    await invalid(v.verifyConnectToken(await sign('HS256', 'wrong', { sub: 'u', aud: 'x' })), /audience/);
    await invalid(v.verifyConnectToken(await sign('HS256', 'wrong', { sub: 'u', aud: 'gyre', exp: NOW_S - 100 })), /signature/);
  });

  it('user_id_claim - the user comes from the configured claim instead of sub', async () => {
    const v = make({ user_id_claim: 'user_id' });
    assert.equal((await v.verifyConnectToken(await tok({ sub: 'ignored', user_id: 'real' }))).user, 'real');
    assert.equal((await v.verifyConnectToken(await tok({ sub: 'ignored' }))).user, '');
    assert.equal((await v.verifyConnectToken(await tok({ user_id: 42 }))).user, '42');
    assert.equal((await v.verifyConnectToken(await tok({ user_id: 1.5 }))).user, '1.5');
    assert.equal((await v.verifyConnectToken(await tok({ user_id: true }))).user, 'true');
    assert.equal((await v.verifyConnectToken(await tok({ user_id: null }))).user, '');
    assert.equal((await v.verifyConnectToken(await tok('{"user_id":1e21}'))).user, '1000000000000000000000');
    // gjson reads the first occurrence of the key.
    assert.equal((await v.verifyConnectToken(await tok('{"user_id":"a","user_id":"b"}'))).user, 'a');
    assert.equal((await v.verifySubscriptionToken(await tok({ user_id: 'real', channel: 'c' }))).user, 'real');
    // sub keeps its type check even when unused.
    await invalid(v.verifyConnectToken(await tok({ sub: 1, user_id: 'real' })), /sub/);
  });

  it('size - tokens over 64 KiB are rejected before parsing', async () => {
    const big = await tok({ sub: 'u', info: { pad: 'x'.repeat(MAX_TOKEN_LENGTH) } });
    assert.ok(big.length > MAX_TOKEN_LENGTH);
    await invalid(make().verifyConnectToken(big), /too large/);
    await invalid(make().verifyConnectToken('a'.repeat(MAX_TOKEN_LENGTH + 1)), /too large/);
    const fits = await tok({ sub: 'u', info: { pad: 'x'.repeat(40_000) } });
    assert.equal((await make().verifyConnectToken(fits)).user, 'u');
  });

  it('structure - malformed compact tokens are invalid', async () => {
    const good = await tok({ sub: 'u' });
    const [h, p, s] = good.split('.') as [string, string, string];
    const cases = [
      '', 'abc', 'a.b', `${h}.${p}`, `${h}.${p}.${s}.x`, `${h}=.${p}.${s}`, `${h}.${p}.${s}=`,
      `${h}.${p}+.${s}`, `${b64url('not json')}.${p}.${s}`, `${b64url('{"alg":1}')}.${p}.${s}`,
      `${b64url('[]')}.${p}.${s}`, `${h}.${b64url('{"sub":"u"')}.${s}`, `${h}.${p.slice(0, -1)}.${s}`,
    ];
    for (const t of cases) await invalid(make().verifyConnectToken(t));
    // Non-strings never reach the parser.
    await invalid(make().verifyConnectToken(undefined as unknown as string));
  });

  it('errors - reasons never contain the token, the secret or claim values', async () => {
    const token = await sign('HS256', 'wrong-secret-value', { sub: 'secret-user-id', info: { password: 'hunter2' } });
    try {
      await make().verifyConnectToken(token);
      assert.fail('expected rejection');
    } catch (err) {
      const msg = `${(err as Error).message} ${(err as Error).stack ?? ''}`;
      for (const leak of [token, SECRET, 'wrong-secret-value', 'secret-user-id', 'hunter2']) assert.ok(!msg.includes(leak), leak);
    }
  });
});

describe('subscription token claims', () => {
  it('subscription claims - every field is decoded', async () => {
    const s = await make().verifySubscriptionToken(await tok({
      sub: 'u', channel: '$private', client: 'client-1', info: { i: 1 }, data: { d: 2 }, exp: NOW_S + 30, iat: NOW_S,
      override: { presence: { value: true }, force_recovery: { value: false } },
    }));
    assert.equal(s.user, 'u');
    assert.equal(s.channel, '$private');
    assert.equal(s.client, 'client-1');
    assert.equal(text(s.info), '{"i":1}');
    assert.equal(text(s.data), '{"d":2}');
    assert.equal(s.expireAt, NOW_S + 30);
    assert.deepEqual(s.override, { presence: true, forceRecovery: false });
  });

  it('subscription claims - channel is required', async () => {
    await invalid(make().verifySubscriptionToken(await tok({ sub: 'u' })), /channel/);
    await invalid(make().verifySubscriptionToken(await tok({ sub: 'u', channel: '' })), /channel/);
    await invalid(make().verifySubscriptionToken(await tok({ sub: 'u', channel: 5 })), /channel/);
  });

  it('subscription claims - expiry is checked before the channel requirement, as in Centrifugo', async () => {
    await expired(make().verifySubscriptionToken(await tok({ sub: 'u', exp: NOW_S - 1 })));
  });

  it('subscription claims - client is optional and b64 fields take precedence', async () => {
    const s = await make().verifySubscriptionToken(await tok({
      channel: 'c', info: { a: 1 }, b64info: Buffer.from('I').toString('base64'), data: 1, b64data: Buffer.from('D').toString('base64'),
    }));
    assert.equal(s.client, '');
    assert.equal(s.user, '');
    assert.equal(text(s.info), 'I');
    assert.equal(text(s.data), 'D');
    assert.deepEqual(s.override, {});
    await invalid(make().verifySubscriptionToken(await tok({ channel: 'c', b64data: '!!' })), /b64data/);
  });

  it('subscription claims - expire_at and exp give the subscription expiry', async () => {
    assert.equal((await make().verifySubscriptionToken(await tok({ channel: 'c', exp: NOW_S + 5 }))).expireAt, NOW_S + 5);
    assert.equal((await make().verifySubscriptionToken(await tok({ channel: 'c', exp: NOW_S + 5, expire_at: 0 }))).expireAt, 0);
    assert.equal((await make().verifySubscriptionToken(await tok({ channel: 'c', expire_at: NOW_S + 50 }))).expireAt, NOW_S + 50);
    await expired(make().verifySubscriptionToken(await tok({ channel: 'c', exp: NOW_S - 5, expire_at: NOW_S + 50 })));
  });

  it('subscription claims - wrong types are invalid', async () => {
    for (const payload of [
      { channel: 'c', client: 1 }, { channel: 'c', override: 'x' }, { channel: 'c', override: { join_leave: { value: 1 } } },
      { channel: 'c', expire_at: 'x' }, { channel: 'c', aud: {} }, { channel: ['c'] },
    ]) {
      await invalid(make().verifySubscriptionToken(await tok(payload)));
    }
  });

  it('subscription claims - a connection token is not a subscription token', async () => {
    await invalid(make().verifySubscriptionToken(await tok({ sub: 'u', channels: ['a'] })), /channel/);
  });
});
