/**
 * Subscribe stream proxy (seed 003 "subscribe_stream", server.md §2.5 / §5.3; Centrifugo's
 * EXPERIMENTAL GRPC stream proxy) end to end: a grpc-js backend implementing
 * SubscribeUnidirectional / SubscribeBidirectional, an in-process node (edge + dispatcher over
 * the bus), the `centrifuge` SDK and raw WebSockets.
 *
 * Namespaces: `uni` (unidirectional stream), `bidi` (bidirectional). The backend answers the
 * first message by channel: `uni:denied` with an error, `uni:kick` with a disconnect, anything
 * else with a result carrying `{"welcome": <channel>}`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { sleep, waitFor, waitForEvent } from '@gyre/testing';
import type { Centrifuge, Subscription } from 'centrifuge';
import { startStreamBackend, type BackendStream, type StreamBackend } from '../../services/proxy-dispatcher/test/stream_backend.js';
import { Clients, RawWs, startNode, token } from './helpers.js';

describe('subscribe_stream proxy over GRPC', { timeout: 60_000 }, () => {
  let node: InProcessGyre;
  let backend: StreamBackend;
  const clients = new Clients(() => node.wsUrl);

  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
  const streamsOf = (channel: string): BackendStream[] => backend.streams.filter((s) => s.request['channel'] === channel);

  before(async () => {
    backend = await startStreamBackend((s) => {
      const ch = s.request['channel'] as string;
      if (ch === 'uni:denied') s.write({ subscribe_response: { error: { code: 1403, message: 'stream denied' } } });
      else if (ch === 'uni:kick') s.write({ subscribe_response: { disconnect: { code: 4005, reason: 'go' } } });
      else s.write({ subscribe_response: { result: { data: json({ welcome: ch }) } } });
    });
    node = await startNode({
      channel: {
        proxy: { subscribe_stream: { endpoint: backend.endpoint, timeout: '1s' } },
        namespaces: [
          { name: 'uni', subscribe_stream_proxy_enabled: true },
          { name: 'bidi', subscribe_stream_proxy_enabled: true, subscribe_stream_proxy_bidirectional: true },
        ],
      },
    });
  });
  after(async () => {
    clients.closeAll();
    await node?.shutdown();
    await backend?.close();
  });

  async function connected(user: string): Promise<Centrifuge> {
    const c = clients.make({ token: token(user) });
    const done = waitForEvent(c, 'connected');
    c.connect();
    await done;
    return c;
  }

  async function subscribed(c: Centrifuge, channel: string): Promise<{ sub: Subscription; data: unknown }> {
    const sub = c.newSubscription(channel);
    const ev = waitForEvent<{ data?: unknown }>(sub, 'subscribed');
    sub.subscribe();
    return { sub, data: (await ev).data };
  }

  test('subscribe gets the first message result; stream publications reach only that subscriber', async () => {
    const a = await connected('alice');
    const b = await connected('bob');
    const sa = await subscribed(a, 'uni:news');
    assert.deepEqual(sa.data, { welcome: 'uni:news' });
    const sb = await subscribed(b, 'uni:news');
    const streams = streamsOf('uni:news');
    assert.equal(streams.length, 2);
    const alices = streams.find((s) => s.request['user'] === 'alice')!;
    assert.equal(alices.method, 'SubscribeUnidirectional');
    assert.equal(alices.request['transport'], 'websocket');

    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    sa.sub.on('publication', (ctx) => gotA.push(ctx.data));
    sb.sub.on('publication', (ctx) => gotB.push(ctx.data));
    alices.write({ publication: { data: json({ n: 1 }), tags: { k: 'v' } } });
    alices.write({ publication: { data: json({ n: 2 }) } });
    await waitFor(() => gotA.length === 2, 3000, 20, 'two stream publications');
    assert.deepEqual(gotA, [{ n: 1 }, { n: 2 }]);
    await sleep(100);
    assert.deepEqual(gotB, [], 'the other subscriber gets none');
  });

  test('unsubscribe and disconnect cancel the GRPC stream', async () => {
    const c = await connected('carol');
    const { sub } = await subscribed(c, 'uni:cancel');
    const s1 = streamsOf('uni:cancel')[0]!;
    assert.equal(s1.cancelled, false);
    sub.unsubscribe();
    await waitFor(() => s1.cancelled, 3000, 20, 'stream cancelled on unsubscribe');

    await subscribed(c, 'uni:cancel2');
    const s2 = streamsOf('uni:cancel2')[0]!;
    c.disconnect();
    await waitFor(() => s2.cancelled, 3000, 20, 'stream cancelled on disconnect');
  });

  test('the backend ending the stream unsubscribes the client: 2000 on a clean end; 2500 on a failure and the SDK subscribes again', async () => {
    const c = await connected('dave');
    const { sub } = await subscribed(c, 'uni:ends');
    const unsub = waitForEvent<{ code: number }>(sub, 'unsubscribed');
    streamsOf('uni:ends')[0]!.end();
    assert.equal((await unsub).code, 2000);

    const again = await subscribed(c, 'uni:fails');
    const resubscribing = waitForEvent<{ code: number }>(again.sub, 'subscribing');
    const resubscribed = waitForEvent(again.sub, 'subscribed');
    streamsOf('uni:fails')[0]!.fail(13, 'backend broke');
    assert.equal((await resubscribing).code, 2500);
    await resubscribed;
    assert.equal(streamsOf('uni:fails').length, 2, 'a new stream for the resubscription');
  });

  test('bidirectional: client publishes go into the stream, not to the channel', async () => {
    const a = await connected('erin');
    const b = await connected('frank');
    const sa = await subscribed(a, 'bidi:room');
    const sb = await subscribed(b, 'bidi:room');
    const erins = streamsOf('bidi:room').find((s) => s.request['user'] === 'erin')!;
    assert.equal(erins.method, 'SubscribeBidirectional');
    const gotB: unknown[] = [];
    sb.sub.on('publication', (ctx) => gotB.push(ctx.data));
    await sa.sub.publish({ hello: 'backend' });
    await waitFor(() => erins.received.length === 1, 3000, 20, 'publication in the stream');
    assert.deepEqual(JSON.parse(Buffer.from(erins.received[0]!['data'] as Buffer).toString()), { hello: 'backend' });
    // The backend answers into the stream of its choice.
    erins.write({ publication: { data: json({ echo: 'for erin' }) } });
    const gotA = waitForEvent<{ data: unknown }>(sa.sub, 'publication');
    assert.deepEqual((await gotA).data, { echo: 'for erin' });
    await sleep(100);
    assert.deepEqual(gotB, [], 'nothing was published to the channel');
  });

  test('publish into a unidirectional stream channel → 108; first message error → subscribe error; disconnect → disconnect', async () => {
    const raw = await RawWs.open(node.wsUrl);
    raw.sendJson({ connect: { token: token('gina') }, id: 1 });
    assert.ok((await raw.next())['connect']);
    raw.sendJson({ subscribe: { channel: 'uni:x' }, id: 2 });
    assert.deepEqual(await raw.next(), { id: 2, subscribe: { data: { welcome: 'uni:x' } } });
    raw.sendJson({ publish: { channel: 'uni:x', data: { a: 1 } }, id: 3 });
    assert.deepEqual(await raw.next(), { id: 3, error: { code: 108, message: 'not available' } });
    raw.sendJson({ subscribe: { channel: 'uni:denied' }, id: 4 });
    assert.deepEqual(await raw.next(), { id: 4, error: { code: 1403, message: 'stream denied' } });
    await waitFor(() => streamsOf('uni:denied')[0]?.cancelled, 3000, 20, 'refused stream cancelled');
    raw.sendJson({ subscribe: { channel: 'uni:kick' }, id: 5 });
    const closed = await raw.closed;
    assert.equal(closed.code, 4005);
  });
});
