import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { PublicationContext } from 'centrifuge';
import { WaitTimeoutError, collect, createCentrifuge, freePort, toWebsocketEndpoint, waitFor, waitForEvent } from '../src/index.js';

/** A loopback WebSocket server that records the first connection's frames and request URL. */
async function fakeServer() {
  const port = await freePort();
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise((resolve) => wss.once('listening', resolve));
  const frames: Array<{ binary: boolean; data: Buffer }> = [];
  let socket: WebSocket | undefined;
  let subprotocol = '';
  wss.on('connection', (ws) => {
    socket = ws;
    subprotocol = ws.protocol;
    ws.on('message', (data: RawData, binary: boolean) => frames.push({ binary, data: data as Buffer }));
  });
  return {
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    frames,
    subprotocol: () => subprotocol,
    send: (text: string) => socket!.send(text),
    close: () => new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}

test('centrifuge - a JSON client connects, subscribes and receives publications through ws', async () => {
  const server = await fakeServer();
  const client = createCentrifuge(server.url, { protocol: 'json', token: 'tok-1' });
  try {
    const sub = client.newSubscription('news');
    sub.subscribe();
    client.connect();
    await waitFor(() => server.frames.length > 0, 5000, 10, 'first frame');
    const first = server.frames[0]!;
    assert.equal(first.binary, false, 'JSON protocol sends text frames');
    const commands = first.data.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(commands[0], { id: 1, connect: { token: 'tok-1', name: 'js' } });
    assert.deepEqual(commands[1], { id: 2, subscribe: { channel: 'news', flag: 1 } });
    assert.equal(server.subprotocol(), '', 'JSON is the default, no subprotocol');
    const connected = waitForEvent<{ client: string }>(client, 'connected');
    const subscribed = waitForEvent(sub, 'subscribed');
    server.send('{"id":1,"connect":{"client":"c1","version":"0.0.0","ping":25,"pong":true}}\n{"id":2,"subscribe":{}}');
    assert.equal((await connected).client, 'c1');
    await subscribed;
    const pubs = collect<PublicationContext>(sub, 'publication', 3);
    server.send([1, 2, 3].map((n) => JSON.stringify({ push: { channel: 'news', pub: { data: { n }, offset: n } } })).join('\n'));
    assert.deepEqual((await pubs).map((p) => p.data), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  } finally {
    client.disconnect();
    await server.close();
  }
});

test('centrifuge - a protobuf client sends binary frames over the centrifuge-protobuf subprotocol', async () => {
  const server = await fakeServer();
  const client = createCentrifuge(server.url, { protocol: 'protobuf', getToken: async () => 'tok-2' });
  try {
    client.connect();
    await waitFor(() => server.frames.length > 0, 5000, 10, 'first frame');
    assert.equal(server.frames[0]!.binary, true, 'protobuf protocol sends binary frames');
    assert.ok(server.frames[0]!.data.includes(Buffer.from('tok-2')), 'token from getToken is in the connect command');
    assert.equal(server.subprotocol(), 'centrifuge-protobuf');
  } finally {
    client.disconnect();
    await server.close();
  }
});

test('centrifuge - an http URL without a path becomes the websocket endpoint', () => {
  assert.equal(toWebsocketEndpoint('http://127.0.0.1:8000'), 'ws://127.0.0.1:8000/connection/websocket');
  assert.equal(toWebsocketEndpoint('https://example.com'), 'wss://example.com/connection/websocket');
  assert.equal(toWebsocketEndpoint('ws://h:1/connection/websocket?x=1'), 'ws://h:1/connection/websocket?x=1');
});

test('wait - waitForEvent resolves with the first argument and times out with a clear error', async () => {
  const emitter = new EventEmitter();
  const got = waitForEvent<number>(emitter, 'tick', 1000);
  emitter.emit('tick', 7, 'ignored');
  assert.equal(await got, 7);
  await assert.rejects(waitForEvent(emitter, 'never', 30), (error: unknown) => {
    assert.ok(error instanceof WaitTimeoutError);
    assert.match(error.message, /30 ms.*"never"/);
    return true;
  });
  assert.equal(emitter.listenerCount('never'), 0, 'the listener is removed after a timeout');
});

test('wait - collect gathers n events in order and reports how many came before a timeout', async () => {
  const emitter = new EventEmitter();
  const got = collect<number>(emitter, 'n', 3, 1000);
  for (let i = 0; i < 5; i++) emitter.emit('n', i);
  assert.deepEqual(await got, [0, 1, 2]);
  assert.equal(emitter.listenerCount('n'), 0);
  const partial = collect(emitter, 'n', 2, 30);
  emitter.emit('n', 1);
  await assert.rejects(partial, /2 "n" events \(got 1\)/);
});
