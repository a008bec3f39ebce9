/**
 * Node limits and slow consumers: connection_limit and connection_rate_limit (503 at upgrade),
 * backpressure bounded by client.queue_max_size (3008 for a client that stops reading, while the
 * others get everything without waiting), graceful shutdown (3001).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { BusHistoryStore } from '@gyre/store';
import { waitForEvent } from '@gyre/testing';
import type { Socket } from 'node:net';
import { Clients, RawClient, rawConnected, sleep, startNode, token } from './helpers.js';

async function disconnects(node: InProcessGyre, code: number): Promise<number> {
  const metric = await node.metrics.clientNumServerDisconnects.get();
  return metric.values.find((v) => v.labels['code'] === String(code))?.value ?? 0;
}

describe('limits', { timeout: 60_000 }, () => {
  test('limits - connection_limit answers 503 at upgrade once the node holds that many connections', async () => {
    const node = await startNode({ client: { connection_limit: 2 } });
    try {
      const a = await RawClient.open(node.wsUrl);
      const b = await RawClient.open(node.wsUrl);
      await assert.rejects(RawClient.open(node.wsUrl), /HTTP 503/);
      a.close();
      await a.closed;
      await sleep(20);
      const c = await RawClient.open(node.wsUrl);
      c.close();
      b.close();
      const limited = await node.metrics.nodeClientConnectionLimit.get();
      assert.equal(limited.values[0]?.value, 1);
    } finally {
      await node.shutdown();
    }
  });

  test('limits - connection_rate_limit admits that many new connections per second, then 503', async () => {
    const node = await startNode({ client: { connection_rate_limit: 3 } });
    try {
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => RawClient.open(node.wsUrl)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.equal(ok.length, 3);
      assert.ok(results.every((r) => r.status === 'fulfilled' || /503/.test(String(r.reason))));
      for (const r of ok) (r as PromiseFulfilledResult<RawClient>).value.close();
      await sleep(400);
      const again = await RawClient.open(node.wsUrl);
      again.close();
    } finally {
      await node.shutdown();
    }
  });

  test('backpressure - a client that stops reading is closed with 3008 (slow); the others receive everything', async () => {
    const node = await startNode({
      client: { queue_max_size: 65536, ping_interval: '-1' },
      channel: { without_namespace: { allow_subscribe_for_client: true } },
    });
    const clients = new Clients(() => node.wsUrl);
    const store = new BusHistoryStore({ bus: node.bus });
    try {
      const { raw: slow } = await rawConnected(node.wsUrl, { token: token('slow') });
      slow.sendJson({ subscribe: { channel: 'firehose' }, id: 2 });
      assert.equal(await slow.nextLine(), '{"id":2,"subscribe":{}}');
      (slow.ws as unknown as { _socket: Socket })._socket.pause();

      const fast = await clients.connected({ token: token('fast') });
      const sub = fast.newSubscription('firehose');
      let received = 0;
      let inOrder = true;
      sub.on('publication', (p) => {
        if ((p.data as { n: number }).n !== received) inOrder = false;
        received++;
      });
      const ok = waitForEvent(sub, 'subscribed');
      sub.subscribe();
      await ok;

      const before = await disconnects(node, 3008);
      const chunk = 'x'.repeat(32 * 1024);
      const total = 400;
      for (let n = 0; n < total; n++) {
        await store.publish('firehose', { data: new TextEncoder().encode(JSON.stringify({ n, chunk })) }, { historySize: 0, historyTtlMs: 0, historyMetaTtlMs: 0 });
        // The publisher goes as fast as the fast client reads (a few messages ahead), so only the
        // client that stopped reading falls behind.
        const wait = Date.now() + 2000;
        while (received < n - 4 && Date.now() < wait) await sleep(1);
      }
      const deadline = Date.now() + 10_000;
      while ((received < total || (await disconnects(node, 3008)) === before) && Date.now() < deadline) await sleep(20);
      assert.equal(received, total, 'the fast client got every publication');
      assert.ok(inOrder, 'in order');
      assert.equal(await disconnects(node, 3008), before + 1, 'the slow client was disconnected with 3008');
      // Reading again, the slow client finds the close frame after what was buffered for it.
      (slow.ws as unknown as { _socket: Socket })._socket.resume();
      const closed = await slow.closed;
      assert.equal(closed.code, 3008);
    } finally {
      clients.closeAll();
      await store.close();
      await node.shutdown();
    }
  });

  test('shutdown - stopping the node closes every connection with 3001 and the SDK reconnects', async () => {
    const node = await startNode({ client: { allow_anonymous_connect_without_token: true } });
    const clients = new Clients(() => node.wsUrl);
    const a = await clients.connected({ protocol: 'protobuf' });
    const b = await clients.connected();
    const ca = waitForEvent<{ code: number; reason: string }>(a, 'connecting');
    const cb = waitForEvent<{ code: number; reason: string }>(b, 'connecting');
    await node.shutdown();
    assert.deepEqual(await ca, { code: 3001, reason: 'shutdown' });
    assert.deepEqual(await cb, { code: 3001, reason: 'shutdown' });
    clients.closeAll();
  });

  test('shutdown - many connections get their 3001 spread over part of the drain window, all before the deadline', async () => {
    const node = await startNode({ client: { allow_anonymous_connect_without_token: true }, shutdown: { timeout: '1s' } });
    const raws = await Promise.all(Array.from({ length: 1001 }, () => RawClient.open(node.wsUrl)));
    const closedAt: number[] = [];
    const codes = new Set<number>();
    const all = Promise.all(
      raws.map((r) =>
        r.closed.then((c) => {
          closedAt.push(Date.now());
          codes.add(c.code);
        }),
      ),
    );
    const started = Date.now();
    await node.shutdown();
    await all;
    assert.deepEqual([...codes], [3001]);
    const spread = Math.max(...closedAt) - Math.min(...closedAt);
    assert.ok(spread >= 150, `spread ${spread} ms`);
    assert.ok(Date.now() - started < 1500, 'within the drain window');
  });
});
