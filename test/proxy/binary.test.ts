/**
 * Binary payloads (seed 003 "Binary encoding mode"): a protobuf SDK client sends bytes that are
 * not JSON; with `binary_encoding` the proxies send them as `b64data` with `encoding: "binary"`,
 * and `b64data` / `b64info` in results come back to the client as the raw bytes. Results may use
 * the b64 fields without binary_encoding too ("Centrifugo is smart enough to detect...").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { waitForEvent } from '@gyre/testing';
import type { Centrifuge } from 'centrifuge';
import { Clients, KINDS, ok, proxyOf, startBackend, startNode, type Backend } from './helpers.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
/** Not UTF-8, not JSON. */
const CLIENT_CONNECT = bytes(0, 1, 2, 253, 254, 255);
const CLIENT_SUB = bytes(9, 8, 7, 0xff);
const CLIENT_PUB = bytes(0xc0, 0xff, 0xee);
const CLIENT_RPC = bytes(0xde, 0xad, 0xbe, 0xef);
const FROM_BACKEND = bytes(0xfe, 0xed, 0, 0xfa, 0xce);
const INFO = bytes(1, 0, 1, 0xff);

for (const kind of KINDS) {
  describe(`binary payloads with binary_encoding over ${kind}`, { timeout: 60_000 }, () => {
    let node: InProcessGyre;
    let backend: Backend;
    let c: Centrifuge;
    let clientId = '';
    const clients = new Clients(() => node.wsUrl);

    before(async () => {
      backend = await startBackend(kind);
      backend.handlers['connect'] = () => ok({ user: 'bin', b64data: b64(FROM_BACKEND), b64info: b64(INFO) });
      backend.handlers['subscribe'] = () => ok({ b64data: b64(FROM_BACKEND), b64info: b64(INFO) });
      backend.handlers['publish'] = () => ok({ b64data: b64(FROM_BACKEND) });
      backend.handlers['rpc'] = (call) => ok({ b64data: call.body['method'] === 'plain:x' ? b64(INFO) : b64(FROM_BACKEND) });
      const binary = { binary_encoding: true };
      node = await startNode({
        client: { proxy: { connect: proxyOf(backend, 'connect', { enabled: true, ...binary }) } },
        channel: {
          proxy: { subscribe: proxyOf(backend, 'subscribe', binary), publish: proxyOf(backend, 'publish', binary) },
          without_namespace: { subscribe_proxy_enabled: true, publish_proxy_enabled: true, presence: true, allow_presence_for_subscriber: true, publication_data_format: 'binary' },
        },
        proxies: [{ name: 'plain-rpc', endpoint: backend.endpoint('rpc'), timeout: '1s' }],
        rpc: {
          proxy: proxyOf(backend, 'rpc', binary),
          without_namespace: { proxy_enabled: true },
          namespaces: [{ name: 'plain', proxy_enabled: true, proxy_name: 'plain-rpc' }],
        },
      });
      c = clients.make({ protocol: 'protobuf', data: CLIENT_CONNECT });
      const connected = waitForEvent<{ client: string; data?: Uint8Array }>(c, 'connected');
      c.connect();
      const ctx = await connected;
      clientId = ctx.client;
      assert.deepEqual(ctx.data, FROM_BACKEND, 'ConnectResult b64data arrives as bytes');
    });
    after(async () => {
      clients.closeAll();
      await node?.shutdown();
      await backend?.close();
    });

    test(`binary_encoding - connect: client bytes go as b64data with encoding binary; b64data and b64info come back as bytes (${kind})`, async () => {
      const call = backend.callsOf('connect').find((x) => x.body['client'] === clientId)!;
      assert.equal(call.body['encoding'], 'binary');
      assert.equal(call.body['b64data'], b64(CLIENT_CONNECT));
      assert.equal(call.body['data'], undefined, 'no raw data next to b64data');
    });

    test(`binary_encoding - subscribe: b64data both ways, b64info is the channel info; the connect b64info is the connection info (${kind})`, async () => {
      const sub = c.newSubscription('bin', { data: CLIENT_SUB });
      const subscribed = waitForEvent<{ data?: Uint8Array }>(sub, 'subscribed');
      sub.subscribe();
      assert.deepEqual((await subscribed).data, FROM_BACKEND);
      const call = backend.callsOf('subscribe').find((x) => x.body['channel'] === 'bin')!;
      assert.equal(call.body['encoding'], 'binary');
      assert.equal(call.body['b64data'], b64(CLIENT_SUB));
      const presence = await c.presence('bin');
      const me = presence.clients[clientId] as { connInfo?: Uint8Array; chanInfo?: Uint8Array };
      assert.deepEqual(me.connInfo, INFO);
      assert.deepEqual(me.chanInfo, INFO);
    });

    test(`binary_encoding - publish: the client's bytes go as b64data, the result's b64data is what subscribers get (${kind})`, async () => {
      const sub = c.getSubscription('bin') ?? c.newSubscription('bin');
      const got = waitForEvent<{ data: Uint8Array }>(sub, 'publication');
      await c.publish('bin', CLIENT_PUB);
      assert.deepEqual((await got).data, FROM_BACKEND);
      const call = backend.callsOf('publish').find((x) => x.body['channel'] === 'bin')!;
      assert.equal(call.body['b64data'], b64(CLIENT_PUB));
    });

    test(`binary_encoding - rpc: b64data both ways; a result b64data is decoded without binary_encoding too (${kind})`, async () => {
      const res = await c.rpc('anything', CLIENT_RPC);
      assert.deepEqual(res.data, FROM_BACKEND);
      const call = backend.callsOf('rpc').find((x) => x.body['method'] === 'anything')!;
      assert.equal(call.body['encoding'], 'binary');
      assert.equal(call.body['b64data'], b64(CLIENT_RPC));
      const plain = await c.rpc('plain:x', new TextEncoder().encode('{"json":true}'));
      assert.deepEqual(plain.data, INFO);
      const plainCall = backend.callsOf('rpc').find((x) => x.body['method'] === 'plain:x')!;
      assert.equal(plainCall.body['encoding'], 'json');
      assert.deepEqual(plainCall.body['data'], { json: true });
    });
  });
}
