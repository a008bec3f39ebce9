/**
 * Connect with the real `centrifuge` SDK (JSON and protobuf builds): every credential path of
 * client-protocol.md §5.2–5.3 and the codes the SDK reacts to (109 retry, 3500/3501/3504/3507
 * terminal, 110 expired).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { InProcessGyre } from '@gyre/gyre';
import { waitForEvent } from '@gyre/testing';
import { Clients, PROTOCOLS, RawClient, SECRET, rawToken, startNode, token } from './helpers.js';

const enc = new TextEncoder();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function signJwt(alg: string, key: Parameters<CompactSign['sign']>[0], payload: Record<string, unknown>, kid?: string): Promise<string> {
  return new CompactSign(enc.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .sign(key);
}

interface Disconnected {
  code: number;
  reason: string;
}

describe('connect over the SDK', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ec: Awaited<ReturnType<typeof generateKeyPair>>;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    node = await startNode({
      client: {
        token: { rsa_public_key: await exportSPKI(rsa.publicKey), ecdsa_public_key: await exportSPKI(ec.publicKey) },
        allow_anonymous_connect_without_token: true,
        user_connection_limit: 2,
      },
    });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  for (const protocol of PROTOCOLS) {
    test(`connect - HS256 token connects (${protocol}) with a UUID client id`, async () => {
      const c = clients.make({ protocol, token: token('alice') });
      const connected = waitForEvent<{ client: string; transport: string }>(c, 'connected');
      c.connect();
      const ctx = await connected;
      assert.match(ctx.client, UUID);
      assert.equal(ctx.transport, 'websocket');
      c.disconnect();
    });

    test(`connect - anonymous connect without token when allowed (${protocol})`, async () => {
      const c = await clients.connected({ protocol });
      assert.equal(c.state, 'connected');
      c.disconnect();
    });

    test(`connect - expired token gets 109 and the SDK reconnects with a token from getToken (${protocol})`, async () => {
      let calls = 0;
      const expired = rawToken({ sub: 'bob', exp: Math.floor(Date.now() / 1000) - 10 });
      const c = clients.make({
        protocol,
        token: expired,
        getToken: async () => {
          calls++;
          return token('bob');
        },
      });
      const errs: Array<{ error: { code: number } }> = [];
      c.on('error', (e) => errs.push(e as never));
      const connected = waitForEvent(c, 'connected');
      c.connect();
      await connected;
      assert.equal(calls, 1);
      assert.ok(errs.some((e) => e.error.code === 109), 'error 109 was reported');
      c.disconnect();
    });

    test(`connect - a token with a bad signature closes with 3500 and no reconnect (${protocol})`, async () => {
      const bad = token('mallory').slice(0, -4) + 'AAAA';
      const c = clients.make({ protocol, token: bad });
      const d = waitForEvent<Disconnected>(c, 'disconnected');
      c.connect();
      assert.deepEqual(await d, { code: 3500, reason: 'invalid token' });
      assert.equal(c.state, 'disconnected');
    });
  }

  test('connect - RS256 and ES256 tokens verify with the configured PEM keys', async () => {
    for (const [alg, key] of [['RS256', rsa.privateKey], ['ES256', ec.privateKey]] as const) {
      const t = await signJwt(alg, key, { sub: `user-${alg}` });
      const c = await clients.connected({ token: t });
      assert.equal(c.state, 'connected');
      c.disconnect();
    }
  });

  test('connect - an HS256 token signed with the RSA public key PEM is refused (no algorithm confusion)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const t = await signJwt('HS256', enc.encode(pem), { sub: 'confused' });
    const c = clients.make({ token: t });
    const d = waitForEvent<Disconnected>(c, 'disconnected');
    c.connect();
    assert.equal((await d).code, 3500);
  });

  test('connect - alg none is refused with 3500', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const c = clients.make({ token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x' })}.` });
    const d = waitForEvent<Disconnected>(c, 'disconnected');
    c.connect();
    assert.equal((await d).code, 3500);
  });

  test('connect - expire_at in the past answers 110 and the SDK stops', async () => {
    const c = clients.make({ token: token('carol', { expire_at: Math.floor(Date.now() / 1000) - 5 }) });
    const d = waitForEvent<Disconnected>(c, 'disconnected');
    c.connect();
    assert.deepEqual(await d, { code: 110, reason: 'expired' });
  });

  test('connect - user_connection_limit closes the extra connection with 3504', async () => {
    const a = await clients.connected({ token: token('limited') });
    const b = await clients.connected({ token: token('limited') });
    const third = clients.make({ token: token('limited') });
    const d = waitForEvent<Disconnected>(third, 'disconnected');
    third.connect();
    assert.deepEqual(await d, { code: 3504, reason: 'connection limit' });
    assert.equal(a.state, 'connected');
    assert.equal(b.state, 'connected');
    a.disconnect();
    b.disconnect();
  });

  test('connect - a token with a channel claim is not a connection token (3500)', async () => {
    const c = clients.make({ token: rawToken({ sub: 'dave', channel: 'news' }) });
    const d = waitForEvent<Disconnected>(c, 'disconnected');
    c.connect();
    assert.equal((await d).code, 3500);
  });
});

describe('connect without credentials', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  const clients = new Clients(() => node.wsUrl);
  before(async () => {
    node = await startNode({ client: { disallow_anonymous_connection_tokens: true, token: { audience: 'gyre-app', issuer: 'gyre-tests' } } });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  test('connect - no token and no anonymous access closes with 3501 bad request', async () => {
    const c = clients.make();
    const d = waitForEvent<Disconnected>(c, 'disconnected');
    c.connect();
    assert.deepEqual(await d, { code: 3501, reason: 'bad request' });
  });

  test('connect - an anonymous token with disallow_anonymous_connection_tokens closes with 3507', async () => {
    const c = clients.make({ token: token('', { aud: 'gyre-app', iss: 'gyre-tests' }) });
    const d = waitForEvent<Disconnected>(c, 'disconnected');
    c.connect();
    assert.deepEqual(await d, { code: 3507, reason: 'permission denied' });
  });

  test('connect - audience and issuer are checked exactly', async () => {
    const good = await clients.connected({ token: token('erin', { aud: 'gyre-app', iss: 'gyre-tests' }) });
    assert.equal(good.state, 'connected');
    good.disconnect();
    for (const claims of [{ aud: 'other', iss: 'gyre-tests' }, { aud: 'gyre-app', iss: 'other' }, {}]) {
      const c = clients.make({ token: token('erin', claims) });
      const d = waitForEvent<Disconnected>(c, 'disconnected');
      c.connect();
      assert.equal((await d).code, 3500, JSON.stringify(claims));
    }
  });
});

describe('connect in insecure mode', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  const clients = new Clients(() => node.wsUrl);
  before(async () => {
    node = await startNode({ client: { insecure: true } });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  test('connect - client.insecure accepts a connect without a token, for both protocols', async () => {
    for (const protocol of PROTOCOLS) {
      const c = await clients.connected({ protocol });
      assert.equal(c.state, 'connected');
      c.disconnect();
    }
  });
});

describe('connect with JWKS', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  let jwks: Server;
  let okp: Awaited<ReturnType<typeof generateKeyPair>>;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    okp = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = { ...(await exportJWK(okp.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const port = (jwks.address() as AddressInfo).port;
    node = await startNode({ client: { token: { hmac_secret_key: '', jwks_public_endpoint: `http://127.0.0.1:${port}/jwks` } } });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
    await new Promise((r) => jwks.close(r));
  });

  test('connect - an EdDSA token verifies with a key from the JWKS endpoint; an HS256 one does not', async () => {
    const t = await signJwt('EdDSA', okp.privateKey, { sub: 'jwks-user' }, 'k1');
    const c = await clients.connected({ token: t });
    assert.equal(c.state, 'connected');
    c.disconnect();
    const hs = clients.make({ token: await signJwt('HS256', enc.encode(SECRET), { sub: 'x' }) });
    const d = waitForEvent<Disconnected>(hs, 'disconnected');
    hs.connect();
    assert.equal((await d).code, 3500);
  });
});

describe('connect with client.user_id_http_header', { timeout: 30_000 }, () => {
  let node: InProcessGyre;
  before(async () => {
    node = await startNode({
      client: { user_id_http_header: 'X-User-Id' },
      channel: { without_namespace: { allow_subscribe_for_client: true, allow_publish_for_client: true } },
    });
  });
  after(async () => {
    await node.shutdown();
  });

  test('connect - without a token the user comes from the configured request header; without it 3501', async () => {
    const raw = await RawClient.open(node.wsUrl, { headers: { 'x-user-id': 'from-proxy' } });
    raw.sendJson({ connect: {}, id: 1 }, { subscribe: { channel: 'who' }, id: 2 }, { publish: { channel: 'who', data: { x: 1 } }, id: 3 });
    const lines: string[] = [];
    while (!lines.some((l) => l.includes('"pub"'))) lines.push(await raw.nextLine());
    const pub = JSON.parse(lines.find((l) => l.includes('"pub"'))!) as { push: { pub: { info: { user: string } } } };
    assert.equal(pub.push.pub.info.user, 'from-proxy');
    raw.close();
    const none = await RawClient.open(node.wsUrl);
    none.sendJson({ connect: {}, id: 1 });
    assert.equal((await none.closed).code, 3501);
  });
});

describe('connect with HMAC key rotation and user_id_claim', { timeout: 30_000 }, () => {
  let node: InProcessGyre;
  before(async () => {
    node = await startNode({
      client: {
        token: { hmac_previous_secret_key: 'old-secret', hmac_previous_secret_key_valid_until: Math.floor(Date.now() / 1000) + 3600, user_id_claim: 'uid' },
        channel_limit: 5,
      },
      channel: { without_namespace: { allow_subscribe_for_client: true, allow_publish_for_client: true } },
    });
  });
  after(async () => {
    await node.shutdown();
  });

  test('connect - a token signed with the previous HMAC key still verifies; the user comes from user_id_claim', async () => {
    for (const secret of [SECRET, 'old-secret']) {
      const raw = await RawClient.open(node.wsUrl);
      raw.sendJson(
        { connect: { token: rawToken({ sub: 'ignored', uid: `u-${secret}` }, secret) }, id: 1 },
        { subscribe: { channel: 'rot' }, id: 2 },
        { publish: { channel: 'rot', data: {} }, id: 3 },
      );
      let line = await raw.nextLine();
      while (!line.includes('"pub"')) line = await raw.nextLine();
      assert.equal((JSON.parse(line) as { push: { pub: { info: { user: string } } } }).push.pub.info.user, `u-${secret}`);
      raw.close();
    }
    const wrong = await RawClient.open(node.wsUrl);
    wrong.sendJson({ connect: { token: rawToken({ uid: 'x' }, 'never-a-key') }, id: 1 });
    assert.equal((await wrong.closed).code, 3500);
  });
});

