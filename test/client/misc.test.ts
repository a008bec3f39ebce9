/**
 * The rest of the client surface: rpc (the built-in rpc.ping, 104 for other methods), the server
 * time in the connect result, and the metrics the edge exports under Centrifugo's names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { Clients, PROTOCOLS, RawClient, payload, rawConnected, startNode, token } from './helpers.js';

describe('rpc, server time and metrics', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  const clients = new Clients(() => node.wsUrl);

  before(async () => {
    node = await startNode({
      client: { connect_include_server_time: true },
      rpc: { ping: { enabled: true, method: 'ping' } },
      channel: { without_namespace: { allow_subscribe_for_client: true } },
    });
  });
  after(async () => {
    clients.closeAll();
    await node.shutdown();
  });

  for (const protocol of PROTOCOLS) {
    test(`rpc - the built-in rpc.ping answers an empty result; another method answers 104 (${protocol})`, async () => {
      const c = await clients.connected({ protocol, token: token('rpc') });
      const res = await c.rpc('ping', payload(protocol, {}));
      assert.ok(res.data === undefined || (res.data as Uint8Array).length === 0 || res.data === null, JSON.stringify(res));
      await assert.rejects(c.rpc('other', payload(protocol, {})), (e: { code: number; message: string }) => e.code === 104 && e.message === 'method not found');
      c.disconnect();
    });
  }

  test('connect - connect_include_server_time adds time in Unix ms', async () => {
    const before = Date.now();
    const raw2 = await RawClient.open(node.wsUrl);
    raw2.sendJson({ connect: { token: token('time') }, id: 1 });
    const reply = JSON.parse(await raw2.nextLine()) as { connect: { time: number } };
    assert.ok(reply.connect.time >= before && reply.connect.time <= Date.now(), String(reply.connect.time));
    raw2.close();
  });

  test('metrics - node counts, command durations, reply errors and server disconnects under Centrifugo names', async () => {
    const a = await clients.connected({ token: token('m1') });
    const b = await clients.connected({ token: token('m2') });
    const sub = a.newSubscription('metric-ch');
    await new Promise<void>((resolve) => {
      sub.once('subscribed', () => resolve());
      sub.subscribe();
    });
    await assert.rejects(b.rpc('nope', {}));
    const { raw } = await rawConnected(node.wsUrl, { token: token('m3') });
    raw.send('{"id":9}');
    await raw.closed;
    const text = await node.metrics.registry.metrics();
    const value = (re: RegExp): number => Number(text.match(re)?.[1] ?? NaN);
    assert.equal(value(/^centrifugo_node_num_clients (\d+)$/m), 2);
    assert.equal(value(/^centrifugo_node_num_users (\d+)$/m), 2);
    assert.equal(value(/^centrifugo_node_num_subscriptions (\d+)$/m), 1);
    assert.equal(value(/^centrifugo_node_num_channels (\d+)$/m), 1);
    assert.ok(value(/^centrifugo_client_command_duration_seconds_histogram_count\{method="subscribe"\} (\d+)$/m) >= 1);
    assert.ok(value(/^centrifugo_client_command_duration_seconds_histogram_count\{method="connect"\} (\d+)$/m) >= 3);
    assert.equal(value(/^centrifugo_client_num_reply_errors\{method="rpc",code="104"\} (\d+)$/m), 3, 'one per failed rpc in this file');
    assert.ok(value(/^centrifugo_client_num_server_disconnects\{code="3501"\} (\d+)$/m) >= 1);
    assert.ok(value(/^centrifugo_client_connections_accepted\{transport="websocket"[^}]*\} (\d+)$/m) >= 3);
    a.disconnect();
    b.disconnect();
  });
});
