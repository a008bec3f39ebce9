/**
 * No sticky sessions (ARCHITECTURE.md, `gyre.emu.<node>`): two edges on different ports sharing
 * one bus behind a round-robin HTTP proxy written here, which sends every /emulation post to the
 * edge that does NOT hold the session. Everything the SDK does over HTTP streaming and SSE must
 * still work: the edge that gets the post forwards the frame over the bus to the node named in
 * it. Node A runs every service, node B only an edge; both join one in-process bus hub, as two
 * pods join one NATS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryBusHub } from '@gyre/bus';
import type { InProcessGyre } from '@gyre/gyre';
import { decodeEmulationRequestJson, decodeEmulationRequestProtobuf } from '@gyre/protocol';
import { waitForEvent } from '@gyre/testing';
import type { Centrifuge, SubscribedContext } from 'centrifuge';
import { EMULATED, closeFetchPool, api, decoded, emulate, label, liveSessions, payload, rawHttpStream, sdkClient, sleep, startNode, token, until, type Variant } from './helpers.js';

after(closeFetchPool);

interface Backend {
  id: string;
  port: number;
}

/**
 * Round-robin for connections; every /emulation post to the edge other than the one named in
 * its `node` (so each one has to be forwarded over the bus).
 */
class RoundRobinProxy {
  readonly server: Server;
  private next = 0;
  /** Emulation posts sent to the other edge, by the node they were meant for. */
  readonly crossed = new Map<string, number>();
  readonly connections = new Map<string, number>();

  constructor(private readonly backends: [Backend, Backend]) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url?.startsWith('/emulation')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const protobuf = req.headers['content-type'] === 'application/octet-stream';
        const target = (protobuf ? decodeEmulationRequestProtobuf(body) : decodeEmulationRequestJson(body)).node;
        const other = this.backends[0].id === target ? this.backends[1] : this.backends[0];
        this.crossed.set(target, (this.crossed.get(target) ?? 0) + 1);
        this.forward(req, res, other, body);
      });
      return;
    }
    const backend = this.backends[this.next++ % 2]!;
    this.connections.set(backend.id, (this.connections.get(backend.id) ?? 0) + 1);
    this.forward(req, res, backend, null);
  }

  private forward(req: IncomingMessage, res: ServerResponse, to: Backend, body: Buffer | null): void {
    const up = request({ host: '127.0.0.1', port: to.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      res.flushHeaders();
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    if (body !== null) up.end(body);
    else req.pipe(up);
  }
}

describe('emulation across two edges', { timeout: 60_000 }, () => {
  let a: InProcessGyre;
  let b: InProcessGyre;
  let proxy: RoundRobinProxy;
  const all: Centrifuge[] = [];
  let url = '';

  const connected = async (v: Variant, user: string): Promise<Centrifuge> => {
    const c = sdkClient(url, v, { token: token(user) });
    all.push(c);
    const ok = waitForEvent(c, 'connected');
    c.connect();
    await ok;
    return c;
  };

  let hub: MemoryBusHub;

  before(async () => {
    hub = new MemoryBusHub();
    a = await startNode({}, { busHub: hub });
    b = await startNode({ gyre: { services: ['edge'] } }, { busHub: hub });
    proxy = new RoundRobinProxy([
      { id: a.id, port: a.port },
      { id: b.id, port: b.port },
    ]);
    await proxy.listen();
    url = `http://127.0.0.1:${proxy.port}`;
  });
  after(async () => {
    for (const c of all) c.disconnect();
    await proxy.close();
    await b.shutdown();
    await a.shutdown();
  });

  for (const v of EMULATED) {
    test(`cluster - ${label(v)}: two clients on different edges subscribe, publish, see presence, history and rpc with every /emulation post forwarded`, async () => {
      const channel = `cluster-${v.transport}-${v.protocol}`;
      const before = { a: proxy.crossed.get(a.id) ?? 0, b: proxy.crossed.get(b.id) ?? 0 };
      const c1 = await connected(v, 'c1');
      const c2 = await connected(v, 'c2');
      // Round robin put one connection on each edge.
      assert.equal(liveSessions(a), 1);
      assert.equal(liveSessions(b), 1);
      const seen1: unknown[] = [];
      const seen2: unknown[] = [];
      const s1 = c1.newSubscription(channel);
      const s2 = c2.newSubscription(channel);
      s1.on('publication', (p) => seen1.push(decoded(p.data)));
      s2.on('publication', (p) => seen2.push(decoded(p.data)));
      const ok1 = waitForEvent(s1, 'subscribed');
      const ok2 = waitForEvent(s2, 'subscribed');
      s1.subscribe();
      s2.subscribe();
      await Promise.all([ok1, ok2]);
      await c1.publish(channel, payload(v.protocol, { from: 1 }));
      await c2.publish(channel, payload(v.protocol, { from: 2 }));
      await until(() => seen1.length === 2 && seen2.length === 2, 3000, 'both publications on both edges');
      assert.deepEqual(seen1, [{ from: 1 }, { from: 2 }]);
      assert.deepEqual(seen2, [{ from: 1 }, { from: 2 }]);
      const presence = await c1.presence(channel);
      assert.deepEqual(Object.values(presence.clients).map((e) => e.user).sort(), ['c1', 'c2']);
      const history = await c2.history(channel, { limit: -1 });
      assert.equal(history.publications.length, 2);
      await c1.rpc('ping', payload(v.protocol, {}));
      // Every command after connect went to the other edge and was forwarded over the bus.
      assert.ok((proxy.crossed.get(a.id) ?? 0) > before.a, 'posts for node A crossed to B');
      assert.ok((proxy.crossed.get(b.id) ?? 0) > before.b, 'posts for node B crossed to A');
      c1.disconnect();
      c2.disconnect();
      await until(() => liveSessions(a) === 0 && liveSessions(b) === 0, 3000, 'sessions released on both edges');
    });
  }

  test('cluster - recovery after a reconnect that lands on the other edge', async () => {
    const v: Variant = { transport: 'http_stream', protocol: 'json' };
    const channel = 'cluster-recovery';
    const c = await connected(v, 'r1');
    const first = liveSessions(a) === 1 ? 'a' : 'b';
    const sub = c.newSubscription(channel, { recoverable: true });
    const seen: unknown[] = [];
    sub.on('publication', (p) => seen.push(decoded(p.data)));
    const s = waitForEvent(sub, 'subscribed');
    sub.subscribe();
    await s;
    await api(a, 'publish', { channel, data: { i: 1 } });
    await until(() => seen.length === 1);
    c.disconnect();
    for (let i = 2; i <= 4; i++) await api(a, 'publish', { channel, data: { i } });
    const again = waitForEvent<SubscribedContext>(sub, 'subscribed');
    c.connect();
    const ctx = await again;
    const second = liveSessions(a) === 1 ? 'a' : 'b';
    assert.notEqual(second, first, 'the reconnect went to the other edge');
    assert.deepEqual({ was: ctx.wasRecovering, recovered: ctx.recovered }, { was: true, recovered: true });
    await until(() => seen.length === 4);
    assert.deepEqual(seen, [1, 2, 3, 4].map((i) => ({ i })));
    c.disconnect();
  });

  test('cluster - /emulation for an unknown node is 404; for an unknown session on a known node 204 and nothing happens', async () => {
    assert.equal(await emulate(a.httpUrl, { node: 'no-such-node', session: 'x', data: '{}' }), 404);
    // An edge without HTTP streaming and SSE holds no emulated session: unknown as well.
    const plain = await startNode({ gyre: { services: ['edge'] }, http_stream: { enabled: false }, sse: { enabled: false }, uni_grpc: { enabled: false } }, { busHub: hub });
    try {
      assert.equal(await emulate(a.httpUrl, { node: plain.id, session: 'x', data: '{}' }), 404);
    } finally {
      await plain.shutdown();
    }
    assert.equal(await emulate(a.httpUrl, { node: 'bad.node.*', session: 'x', data: '{}' }), 404);
    assert.equal(await emulate(a.httpUrl, { node: b.id, session: 'not-a-session', data: '{}' }), 204);
    assert.equal(await emulate(b.httpUrl, { node: b.id, session: 'not-a-session', data: '{}' }), 204);
  });

  test('cluster - a raw stream on B gets its replies when the commands are posted to A', async () => {
    const { reader, session, node } = await rawHttpStream(b.httpUrl, { token: token('raw') });
    assert.equal(node, b.id);
    assert.equal(await emulate(a.httpUrl, { node, session, data: JSON.stringify({ subscribe: { channel: 'raw-cross' }, id: 2 }) }), 204);
    assert.deepEqual(await reader.untilJson((m) => m['id'] === 2), { id: 2, subscribe: {} });
    await api(a, 'publish', { channel: 'raw-cross', data: { ok: true } });
    assert.deepEqual(await reader.untilJson((m) => m['push'] !== undefined), { push: { channel: 'raw-cross', pub: { data: { ok: true }, offset: 1 } } });
    reader.abort();
    await until(() => liveSessions(b) === 0, 3000, 'session released after the client went away');
    await sleep(10);
  });
});
