/**
 * Raw frames against client-protocol.md §2 and the traces of §10: JSON text frames with
 * newline-joined batches and the exact reply shapes, protobuf binary frames with varint length
 * prefixes, encoding selection, ping/pong, stale, message size limit, allowed origins.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { BusHistoryStore } from '@gyre/store';
import { RawClient, rawConnected, sleep, startNode, token } from './helpers.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const EPOCH = '[A-Za-z]{8}';
const te = new TextEncoder();

describe('framing', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  let store: BusHistoryStore;

  before(async () => {
    node = await startNode({
      client: {
        ping_interval: '1s',
        pong_timeout: '500ms',
        stale_close_delay: '400ms',
        allow_anonymous_connect_without_token: true,
        allowed_origins: ['https://*.example.com'],
      },
      websocket: { message_size_limit: 1024 },
      channel: {
        without_namespace: {
          history_size: 10,
          history_ttl: '60s',
          allow_subscribe_for_client: true,
          allow_subscribe_for_anonymous: true,
          allow_publish_for_client: true,
          allow_publish_for_anonymous: true,
          allow_history_for_client: true,
          allow_history_for_anonymous: true,
          allow_presence_for_client: true,
          allow_presence_for_anonymous: true,
          presence: true,
          join_leave: true,
          allow_recovery: true,
          allow_positioning: true,
        },
      },
    });
    store = new BusHistoryStore({ bus: node.bus });
  });
  after(async () => {
    await store.close();
    await node.shutdown();
  });

  const publish = (channel: string, data: unknown) =>
    store.publish(channel, { data: te.encode(JSON.stringify(data)) }, { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 0 });

  test('framing - JSON connect reply has the §10 shape (client, version, ping, pong, expires, ttl)', async () => {
    const raw = await RawClient.open(node.wsUrl);
    raw.sendJson({ connect: { token: token('u1', {}, 30), data: { a: 1 }, name: 'probe', version: '9.9' }, id: 1 });
    const line = await raw.nextLine();
    assert.match(line, new RegExp(`^\\{"id":1,"connect":\\{"client":"${UUID}","version":"[^"]+","ping":1,"pong":true,"expires":true,"ttl":(29|30)\\}\\}$`));
    raw.close();
  });

  test('framing - connect with a pipelined subscribe in the same frame: connect reply first, then subscribe, then publications', async () => {
    const raw = await RawClient.open(node.wsUrl);
    raw.send(
      `{"connect":{"token":"${token('u2')}","name":"probe"},"id":1}\n` +
        '{"subscribe":{"channel":"trace-news","data":{"s":1},"positioned":true,"recoverable":true,"join_leave":true,"flag":1},"id":2}',
    );
    assert.match(await raw.nextLine(), /^\{"id":1,"connect":\{"client":/);
    const sub = await raw.nextLine();
    assert.match(sub, new RegExp(`^\\{"id":2,"subscribe":\\{"recoverable":true,"positioned":true,"epoch":"${EPOCH}"\\}\\}$`));
    // Its own join (join_leave asked and allowed), then a publication with its offset.
    assert.match(await raw.nextLine(), new RegExp(`^\\{"push":\\{"channel":"trace-news","join":\\{"info":\\{"user":"u2","client":"${UUID}"\\}\\}\\}\\}$`));
    await publish('trace-news', { hello: 1 });
    assert.equal(await raw.nextLine(), '{"push":{"channel":"trace-news","pub":{"data":{"hello":1},"offset":1}}}');
    raw.close();
  });

  test('framing - replies to several commands of one frame come back in one frame, in order', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('u3') });
    raw.sendJson(
      { presence_stats: { channel: 'batch' }, id: 2 },
      { unsubscribe: { channel: 'batch' }, id: 3 },
      { history: { channel: 'batch', limit: 0 }, id: 4 },
    );
    // presence_stats and history wait for the state service; unsubscribe does not, but replies
    // still come in command order because commands of a connection run one after another.
    const lines: string[] = [];
    while (lines.length < 3) lines.push(await raw.nextLine());
    assert.equal(lines[0], '{"id":2,"presence_stats":{"num_clients":0,"num_users":0}}');
    assert.equal(lines[1], '{"id":3,"unsubscribe":{}}');
    assert.match(lines[2]!, new RegExp(`^\\{"id":4,"history":\\{"publications":\\[\\],"epoch":"${EPOCH}","offset":0\\}\\}$`));
    raw.close();
  });

  test('framing - publish reply is {} and errors carry code and message, temporary only when true', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('u4') });
    raw.sendJson({ publish: { channel: 'p', data: { x: 1 } }, id: 5 });
    assert.equal(await raw.nextLine(), '{"id":5,"publish":{}}');
    raw.sendJson({ subscribe: { channel: 'unknown:ns' }, id: 6 });
    assert.equal(await raw.nextLine(), '{"id":6,"error":{"code":102,"message":"unknown channel"}}');
    raw.sendJson({ rpc: { method: 'nothing' }, id: 7 });
    assert.equal(await raw.nextLine(), '{"id":7,"error":{"code":108,"message":"not available"}}');
    raw.close();
  });

  test('framing - server pings {} and a pong {} keeps the connection open', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('u5') });
    for (let i = 0; i < 2; i++) {
      assert.equal(await raw.nextLine({ pings: true, timeoutMs: 2500 }), '{}');
      raw.send('{}');
    }
    assert.equal(raw.isClosed, false);
    raw.close();
  });

  test('framing - no pong within pong_timeout closes with 3012 no pong', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('u6') });
    assert.equal(await raw.nextLine({ pings: true, timeoutMs: 2500 }), '{}');
    assert.deepEqual(await raw.closed, { code: 3012, reason: 'no pong' });
  });

  test('framing - no connect within stale_close_delay closes with 3502 stale', async () => {
    const raw = await RawClient.open(node.wsUrl);
    assert.deepEqual(await raw.closed, { code: 3502, reason: 'stale' });
  });

  test('framing - a frame over websocket.message_size_limit closes with 1009', async () => {
    const { raw } = await rawConnected(node.wsUrl, { token: token('u7') });
    raw.sendJson({ publish: { channel: 'big', data: { x: 'y'.repeat(2000) } }, id: 2 });
    assert.equal((await raw.closed).code, 1009);
  });

  test('framing - protobuf by subprotocol: binary varint-delimited replies, ping 0x00, pong 0x00', async () => {
    const raw = await RawClient.open(node.wsUrl, { protocols: ['centrifuge-protobuf'] });
    assert.equal(raw.ws.protocol, 'centrifuge-protobuf');
    raw.sendProtobuf({ id: 1, connect: { token: token('p1'), name: 'js' } }, { id: 2, subscribe: { channel: 'pb-news', flag: 1n } });
    const frame = await raw.next();
    assert.ok(frame instanceof Uint8Array, 'binary frame');
    const replies = await import('@gyre/protocol').then((p) => p.decodeRepliesProtobuf(frame));
    const all = [...replies];
    while (all.length < 2) all.push(await raw.nextReply());
    assert.equal(all[0]!.id, 1);
    assert.ok(all[0]!.connect?.client);
    assert.equal(all[0]!.connect?.ping, 1);
    assert.equal(all[0]!.connect?.pong, true);
    assert.equal(all[1]!.id, 2);
    assert.ok(all[1]!.subscribe);
    // A single message is length-prefixed too: the ping is exactly [0x00].
    let ping: string | Uint8Array;
    do ping = await raw.next(2500);
    while (!(ping instanceof Uint8Array && ping.length === 1));
    assert.deepEqual([...ping], [0]);
    raw.send(new Uint8Array([0]));
    await sleep(100);
    assert.equal(raw.isClosed, false);
    raw.close();
  });

  for (const query of ['format=protobuf', 'cf_protocol=protobuf']) {
    test(`framing - ?${query} selects protobuf without a subprotocol`, async () => {
      const raw = await RawClient.open(node.wsUrl, { query });
      raw.sendProtobuf({ id: 1, connect: { token: token('p2') } });
      const r = await raw.nextReply();
      assert.equal(r.id, 1);
      assert.ok(r.connect?.client);
      raw.close();
    });
  }

  test('framing - a JSON connection answers text frames even to a binary frame holding JSON', async () => {
    const raw = await RawClient.open(node.wsUrl, { protocols: ['centrifuge-json'] });
    assert.equal(raw.ws.protocol, 'centrifuge-json');
    raw.send(te.encode(JSON.stringify({ connect: { token: token('j1') }, id: 1 })));
    const f = await raw.next();
    assert.equal(typeof f, 'string');
    raw.close();
  });

  test('framing - ?cf_ws_frame_ping_pong=true: no ping/pong in the connect result, native ping frames instead of {}', async () => {
    const raw = await RawClient.open(node.wsUrl, { query: 'cf_ws_frame_ping_pong=true' });
    let pings = 0;
    raw.ws.on('ping', () => pings++);
    raw.sendJson({ connect: { token: token('native') }, id: 1 });
    assert.match(await raw.nextLine(), /^\{"id":1,"connect":\{"client":"[^"]+","version":"[^"]+"\}\}$/);
    await sleep(2300);
    assert.ok(pings >= 1, `native pings: ${pings}`);
    assert.equal(raw.pending(), 0, 'no application pings');
    assert.equal(raw.isClosed, false, 'the ws library answered with pong frames');
    raw.close();
  });

  test('framing - a client that does not answer native ping frames is closed with 3012', async () => {
    const raw = await RawClient.open(node.wsUrl, { query: 'cf_ws_frame_ping_pong=true', autoPong: false });
    raw.sendJson({ connect: { token: token('native2') }, id: 1 });
    await raw.nextLine();
    assert.deepEqual(await raw.closed, { code: 3012, reason: 'no pong' });
  });

  test('framing - allowed_origins: a matching Origin and no Origin pass, another Origin gets 403', async () => {
    const ok = await RawClient.open(node.wsUrl, { origin: 'https://app.example.com' });
    ok.close();
    const none = await RawClient.open(node.wsUrl);
    none.close();
    await assert.rejects(RawClient.open(node.wsUrl, { origin: 'https://evil.test' }), /403/);
  });
});
