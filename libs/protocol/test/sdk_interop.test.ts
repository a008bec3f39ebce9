// End to end with the real JS SDK (centrifuge@5.8, JSON and protobuf builds) over a loopback
// WebSocket: a tiny server built only from this package's codecs must carry the SDK through
// connect, optimistic subscribe, a publication, rpc, publish, presence stats, ping/pong and a
// terminal disconnect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { create } from '@bufbuild/protobuf';
import * as pb from '../src/gen/centrifugal/centrifuge/protocol/client_pb.js';
import {
  Disconnect,
  decodeCommandsJson,
  decodeCommandsProtobuf,
  encodePublicationPushJson,
  encodePublicationPushProtobuf,
  encodeRepliesJson,
  encodeRepliesProtobuf,
  type Command,
  type Reply,
} from '../src/index.js';

const require = createRequire(import.meta.url);
const WebSocket = require('ws') as unknown;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Sdk {
  on(event: string, fn: (ctx: Record<string, unknown>) => void): unknown;
  connect(): void;
  disconnect(): void;
  newSubscription(channel: string, opts?: object): SdkSub;
  rpc(method: string, data: unknown): Promise<{ data: unknown }>;
  publish(channel: string, data: unknown): Promise<unknown>;
}
interface SdkSub {
  on(event: string, fn: (ctx: Record<string, unknown>) => void): unknown;
  subscribe(): void;
  presenceStats(): Promise<{ numClients: number; numUsers: number }>;
}
type SdkCtor = new (url: string, opts: object) => Sdk;

/** A server speaking just enough protocol, with nothing but our codecs on the wire. */
function startServer(): Promise<{ url: string; frames: Command[][]; close: () => Promise<void> }> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('centrifuge-protobuf') ? 'centrifuge-protobuf' : false),
  });
  const frames: Command[][] = [];
  wss.on('connection', (ws: WsSocket) => {
    const binary = ws.protocol === 'centrifuge-protobuf';
    const send = (replies: Reply[]): void => {
      ws.send(binary ? encodeRepliesProtobuf(replies) : encodeRepliesJson(replies), { binary });
    };
    let pingSent = false;
    ws.on('message', (data: Buffer) => {
      const cmds = binary ? decodeCommandsProtobuf(data) : decodeCommandsJson(data);
      frames.push(cmds);
      for (const c of cmds) {
        if (c.id === 0 && c.send === undefined) {
          // Pong for our ping: end the session the way the server API `disconnect` does.
          assert.ok(pingSent, 'pong only after a ping');
          ws.close(Disconnect.ForceNoReconnect.code, Disconnect.ForceNoReconnect.reason);
          return;
        }
        if (c.connect) {
          send([create(pb.ReplySchema, { id: c.id, connect: { client: 'cid-1', version: '0.0.1', ping: 25, pong: true } })]);
        } else if (c.subscribe) {
          send([
            create(pb.ReplySchema, {
              id: c.id,
              subscribe: { recoverable: true, positioned: true, epoch: 'ep1', offset: 5n },
            }),
          ]);
          const pub = create(pb.PublicationSchema, { data: utf8('{"hello":1}'), offset: 6n, tags: { t: '1' } });
          ws.send(binary ? encodePublicationPushProtobuf(c.subscribe.channel, pub) : encodePublicationPushJson(c.subscribe.channel, pub), {
            binary,
          });
        } else if (c.rpc) {
          send([create(pb.ReplySchema, { id: c.id, rpc: { data: c.rpc.data } })]);
        } else if (c.publish) {
          send([create(pb.ReplySchema, { id: c.id, publish: {} })]);
        } else if (c.presenceStats) {
          send([create(pb.ReplySchema, { id: c.id, presenceStats: { numClients: 3, numUsers: 2 } })]);
          // Everything answered: ping (the empty reply), expect the SDK's pong.
          pingSent = true;
          send([create(pb.ReplySchema, {})]);
        }
      }
    });
  });
  return new Promise((resolve) =>
    wss.on('listening', () => {
      const { port } = wss.address() as AddressInfo;
      resolve({
        url: `ws://127.0.0.1:${port}/connection/websocket`,
        frames,
        close: () =>
          new Promise<void>((res) => {
            for (const c of wss.clients) c.terminate();
            wss.close(() => res());
          }),
      });
    }),
  );
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]);
}

async function session(Centrifuge: SdkCtor, binary: boolean): Promise<void> {
  const server = await startServer();
  const enc = (v: object): unknown => (binary ? utf8(JSON.stringify(v)) : v);
  const dec = (v: unknown): unknown => (binary ? JSON.parse(new TextDecoder().decode(v as Uint8Array)) : v);
  const client = new Centrifuge(server.url, { websocket: WebSocket, token: 'T', data: enc({ a: 1 }), name: 'probe' });
  try {
    const connected = new Promise<Record<string, unknown>>((res) => client.on('connected', res));
    const disconnected = new Promise<Record<string, unknown>>((res) => client.on('disconnected', res));
    const sub = client.newSubscription('news', { positioned: true, recoverable: true });
    const subscribed = new Promise<Record<string, unknown>>((res) => sub.on('subscribed', res));
    const publication = new Promise<Record<string, unknown>>((res) => sub.on('publication', res));
    sub.subscribe();
    client.connect();

    const c = await withTimeout(connected, 3000, 'connected');
    assert.equal(c['client'], 'cid-1');
    const s = await withTimeout(subscribed, 3000, 'subscribed');
    assert.equal(s['recoverable'], true);
    assert.equal(s['positioned'], true);
    assert.deepEqual(s['streamPosition'], { offset: 5, epoch: 'ep1' });
    const p = await withTimeout(publication, 3000, 'publication');
    assert.deepEqual(dec(p['data']), { hello: 1 });
    assert.equal(Number(p['offset']), 6);
    assert.deepEqual({ ...(p['tags'] as object) }, { t: '1' });

    const rpc = await withTimeout(client.rpc('m', enc({ y: 2 })), 3000, 'rpc');
    assert.deepEqual(dec(rpc.data), { y: 2 });
    await withTimeout(client.publish('news', enc({ x: 1 })), 3000, 'publish');
    const stats = await withTimeout(sub.presenceStats(), 3000, 'presence stats');
    assert.deepEqual({ numClients: stats.numClients, numUsers: stats.numUsers }, { numClients: 3, numUsers: 2 });

    const d = await withTimeout(disconnected, 3000, 'disconnected');
    assert.equal(d['code'], 3503);
    assert.equal(d['reason'], 'force disconnect');

    // The SDK's first frame carried connect and the optimistic subscribe together.
    const first = server.frames[0]!;
    assert.equal(first.length, 2);
    assert.equal(first[0]?.connect?.token, 'T');
    assert.equal(first[0]?.connect?.name, 'probe');
    assert.deepEqual(JSON.parse(new TextDecoder().decode(first[0]?.connect?.data)), { a: 1 });
    assert.equal(first[1]?.subscribe?.channel, 'news');
    assert.equal(first[1]?.subscribe?.positioned, true);
    assert.equal(first[1]?.subscribe?.recoverable, true);
    assert.equal(first[1]?.subscribe?.flag, 1n);
    // And the last one was the pong: an empty command.
    const last = server.frames[server.frames.length - 1]!;
    assert.deepEqual(last, [create(pb.CommandSchema, {})]);
  } finally {
    client.disconnect();
    await server.close();
  }
}

test('sdk interop - the JSON SDK completes a session against our JSON codec', async () => {
  const { Centrifuge } = require('centrifuge') as { Centrifuge: SdkCtor };
  await session(Centrifuge, false);
});

test('sdk interop - the protobuf SDK completes a session against our protobuf codec', async () => {
  const { Centrifuge } = require('centrifuge/build/protobuf') as { Centrifuge: SdkCtor };
  await session(Centrifuge, true);
});
