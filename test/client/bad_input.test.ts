/**
 * Bad input (issue 3 "Bad input"): every malformed or out-of-order frame gets the documented code,
 * never crashes the process, and never disturbs other connections. Ends with a fast-check property
 * that throws random frames at a live server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { InProcessGyre } from '@gyre/gyre';
import { encodeCommandsProtobuf, create, protocol } from '@gyre/protocol';
import { waitForEvent } from '@gyre/testing';
import type { Centrifuge, Subscription } from 'centrifuge';
import { Clients, RawClient, decoded, rawConnected, rawToken, sleep, startNode, token, type CloseInfo } from './helpers.js';

const BAD_REQUEST: CloseInfo = { code: 3501, reason: 'bad request' };

describe('bad input', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  const clients = new Clients(() => node.wsUrl);
  let watcher: Centrifuge;
  let watched: Subscription;
  const seen: unknown[] = [];

  before(async () => {
    node = await startNode({
      client: { allow_anonymous_connect_without_token: true, ping_interval: '-1', stale_close_delay: '2s' },
      websocket: { message_size_limit: 4096 },
      channel: { without_namespace: { allow_subscribe_for_client: true, allow_subscribe_for_anonymous: true, allow_publish_for_client: true, allow_publish_for_anonymous: true } },
    });
    // A well-behaved client that must be unaffected by everything below.
    watcher = await clients.connected({ token: token('watcher') });
    watched = watcher.newSubscription('calm');
    watched.on('publication', (ctx) => seen.push(decoded(ctx.data)));
    const subscribed = waitForEvent(watched, 'subscribed');
    watched.subscribe();
    await subscribed;
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  async function expectClose(frames: Array<string | Uint8Array>, expected: CloseInfo, opts: { connect?: boolean; protocols?: string[] } = {}): Promise<void> {
    const raw = opts.connect ? (await rawConnected(node.wsUrl, { token: token('bad') })).raw : await RawClient.open(node.wsUrl, { protocols: opts.protocols ?? [] });
    for (const f of frames) raw.send(f);
    assert.deepEqual(await raw.closed, expected);
  }

  test('bad input - invalid JSON closes with 3501', async () => {
    await expectClose(['{"connect":'], BAD_REQUEST);
    await expectClose(['not json at all'], BAD_REQUEST);
    await expectClose(['{"connect":{}}\n\n{"id":2}'], BAD_REQUEST);
  });

  test('bad input - an empty frame closes with 3501', async () => {
    await expectClose([''], BAD_REQUEST);
  });

  test('bad input - truncated and garbage protobuf close with 3501', async () => {
    const full = encodeCommandsProtobuf([create(protocol.CommandSchema, { id: 1, connect: { token: token('pb') } })]);
    await expectClose([full.subarray(0, full.length - 3)], BAD_REQUEST, { protocols: ['centrifuge-protobuf'] });
    await expectClose([new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])], BAD_REQUEST, { protocols: ['centrifuge-protobuf'] });
    await expectClose([new Uint8Array([0x05, 0x08, 0x01, 0x22, 0xff, 0x01])], BAD_REQUEST, { protocols: ['centrifuge-protobuf'] });
  });

  test('bad input - wrong JSON types close with 3501; unknown fields are ignored', async () => {
    await expectClose(['{"connect":{"token":5},"id":1}'], BAD_REQUEST);
    await expectClose(['{"connect":{},"id":"one"}'], BAD_REQUEST);
    await expectClose(['{"connect":{},"id":-1}'], BAD_REQUEST);
    await expectClose(['{"subscribe":{"channel":["x"]},"id":2}'], BAD_REQUEST, { connect: true });
    const raw = await RawClient.open(node.wsUrl);
    raw.send('{"connect":{"token":"","surprise":{"deep":[1,2,{"x":null}]}},"id":1,"extra":true}');
    const [reply] = await raw.nextJson();
    assert.ok((reply?.['connect'] as Record<string, unknown>)['client']);
    raw.close();
  });

  test('bad input - any command before connect closes with 3501', async () => {
    await expectClose(['{"subscribe":{"channel":"calm"},"id":1}'], BAD_REQUEST);
    await expectClose(['{"publish":{"channel":"calm","data":{}},"id":1}'], BAD_REQUEST);
  });

  test('bad input - a second connect closes with 3501', async () => {
    await expectClose(['{"connect":{},"id":2}'], BAD_REQUEST, { connect: true });
  });

  test('bad input - id 0 on a non-send command is a pong; without a ping outstanding it closes with 3501', async () => {
    await expectClose(['{"subscribe":{"channel":"calm"}}'], BAD_REQUEST, { connect: true });
    await expectClose(['{}'], BAD_REQUEST, { connect: true });
  });

  test('bad input - a command without a known request, or a legacy ping alone, closes with 3501; ping with another request answers 108', async () => {
    await expectClose(['{"id":5}'], BAD_REQUEST, { connect: true });
    await expectClose(['{"ping":{},"id":5}'], BAD_REQUEST, { connect: true });
    const { raw } = await rawConnected(node.wsUrl, { token: token('p') });
    raw.send('{"ping":{},"presence":{"channel":"calm"},"id":6}');
    assert.equal(await raw.nextLine(), '{"id":6,"error":{"code":108,"message":"not available"}}');
    raw.close();
  });

  test('bad input - send without a message handler closes with 3508', async () => {
    await expectClose(['{"send":{"data":{"z":3}}}'], { code: 3508, reason: 'not available' }, { connect: true });
  });

  test('bad input - empty channel and unknown delta type on subscribe close with 3501', async () => {
    await expectClose(['{"subscribe":{"channel":""},"id":2}'], BAD_REQUEST, { connect: true });
    await expectClose(['{"subscribe":{"channel":"calm","delta":"zstd"},"id":2}'], BAD_REQUEST, { connect: true });
    await expectClose(['{"publish":{"channel":"calm"},"id":2}'], BAD_REQUEST, { connect: true });
  });

  test('bad input - hostile tokens close with 3500 (invalid) and never crash', async () => {
    const hostile = [
      'a.b.c',
      '....',
      'x'.repeat(3000),
      `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('['.repeat(500)).toString('base64url')}.sig`,
      rawToken({ sub: 'x', info: 'not-json-object', channels: 'not-a-list' }),
      rawToken({ sub: { nested: true } }),
      rawToken({ sub: 'x' }, 'wrong-secret'),
      '\u0000\u0001\u0002',
    ];
    for (const t of hostile) {
      const raw = await RawClient.open(node.wsUrl);
      raw.sendJson({ connect: { token: t }, id: 1 });
      const closed = await raw.closed;
      assert.equal(closed.code, 3500, `token ${JSON.stringify(t.slice(0, 40))} → ${JSON.stringify(closed)}`);
    }
  });

  test('bad input - the well-behaved client was never affected', async () => {
    const before = seen.length;
    const publisher = await clients.connected({ token: token('pub') });
    await publisher.publish('calm', { still: 'here' });
    const deadline = Date.now() + 3000;
    while (seen.length === before && Date.now() < deadline) await sleep(10);
    assert.deepEqual(seen.at(-1), { still: 'here' });
    assert.equal(watcher.state, 'connected');
    publisher.disconnect();
  });

  test('bad input - property: random frames get a documented close code or a reply, and the server keeps serving', async () => {
    // Documented outcomes of arbitrary input: bad request, invalid token, send without handler,
    // message size, expired/limits, stale; never an abnormal close (1006/1011).
    const documented = new Set([3500, 3501, 3502, 3504, 3505, 3507, 3508, 3013, 1009, 1000, 1005]);
    const command = fc.oneof(
      fc.record({ id: fc.integer({ min: -2, max: 5 }), connect: fc.record({ token: fc.oneof(fc.string(), fc.constant(token('prop'))) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      fc.record({ id: fc.nat(5), subscribe: fc.record({ channel: fc.string({ maxLength: 8 }), recover: fc.boolean(), offset: fc.nat(), delta: fc.constantFrom('', 'fossil', 'x') }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      fc.record({ id: fc.nat(5), publish: fc.record({ channel: fc.string({ maxLength: 8 }), data: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      fc.record({ id: fc.nat(5), history: fc.record({ channel: fc.string(), limit: fc.integer({ min: -2, max: 5 }), reverse: fc.boolean() }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const frame = fc.oneof(
      fc.array(command, { minLength: 1, maxLength: 4 }).map((cs) => cs.map((c) => JSON.stringify(c)).join('\n')),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(frame, { minLength: 1, maxLength: 4 }), async (binaryProtocol, frames) => {
        const raw = await RawClient.open(node.wsUrl, { protocols: binaryProtocol ? ['centrifuge-protobuf'] : [] });
        for (const f of frames) raw.send(f);
        const outcome = await Promise.race([raw.closed, sleep(150).then(() => null)]);
        if (outcome !== null) assert.ok(documented.has(outcome.code), `closed with ${JSON.stringify(outcome)} after ${JSON.stringify(frames)}`);
        raw.terminate();
      }),
      { numRuns: 150 },
    );
    // Still serving: a fresh client connects and the watcher still receives.
    const after = await clients.connected({ token: token('after') });
    await after.publish('calm', { n: 'after-fuzz' });
    const deadline = Date.now() + 3000;
    while (JSON.stringify(seen.at(-1)) !== JSON.stringify({ n: 'after-fuzz' }) && Date.now() < deadline) await sleep(10);
    assert.deepEqual(seen.at(-1), { n: 'after-fuzz' });
    after.disconnect();
  });
});
