/**
 * Proxies for bidirectional emulation (HTTP-streaming + /emulation): the headers of the request
 * that opened the stream are the connection's headers for every proxy call, also for commands
 * that arrive later through /emulation; headers emulation works the same as over WebSocket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { waitForEvent } from '@gyre/testing';
import { Centrifuge } from 'centrifuge';
import { closeFetchPool, ok, proxyOf, startHttpBackend, startNode, type Backend, type Json } from './helpers.js';

after(closeFetchPool);

/** JSON lines of a streamed response. */
class Lines {
  private buf = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly dec = new TextDecoder();

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  async next(): Promise<Json> {
    for (;;) {
      const i = this.buf.indexOf('\n');
      if (i >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line !== '' && line !== '{}') return JSON.parse(line) as Json;
        continue;
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error('stream ended');
      this.buf += this.dec.decode(value, { stream: true });
    }
  }
}

describe('proxies over HTTP-streaming emulation', { timeout: 30_000 }, () => {
  let node: InProcessGyre;
  let backend: Backend;

  before(async () => {
    backend = await startHttpBackend();
    backend.handlers['connect'] = (call) => ok({ user: call.headers['cookie'] === 'sid=stream' || call.headers['authorization'] === 'Bearer sdk' ? 'streamer' : 'stranger' });
    backend.handlers['rpc'] = (call) => ok({ data: { cookie: call.headers['cookie'] ?? null, authorization: call.headers['authorization'] ?? null } });
    const headers = { http_headers: ['Cookie', 'Authorization'] };
    node = await startNode({
      http_stream: { enabled: true },
      client: { proxy: { connect: proxyOf(backend, 'connect', { enabled: true, ...headers }) } },
      rpc: { proxy: proxyOf(backend, 'rpc', headers), without_namespace: { proxy_enabled: true } },
    });
  });
  after(async () => {
    await node?.shutdown();
    await backend?.close();
  });

  test('emulation - the Cookie of the streaming request reaches the connect proxy and the rpc proxy of a command posted to /emulation', async () => {
    const ac = new AbortController();
    const res = await fetch(`${node.httpUrl}/connection/http_stream`, {
      method: 'POST',
      headers: { Cookie: 'sid=stream', 'Content-Type': 'application/json' },
      body: JSON.stringify({ connect: {}, id: 1 }),
      signal: ac.signal,
    });
    const lines = new Lines(res);
    const connect = (await lines.next())['connect'] as Json;
    const connectCall = backend.callsOf('connect').find((x) => x.body['client'] === connect['client'])!;
    assert.equal(connectCall.body['transport'], 'http_stream');
    assert.equal(connectCall.headers['cookie'], 'sid=stream');
    // A later command through /emulation (a request without the cookie) keeps the stream's headers.
    const posted = await fetch(`${node.httpUrl}/emulation`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ node: connect['node'], session: connect['session'], data: JSON.stringify({ rpc: { method: 'who', data: {} }, id: 2 }) }),
    });
    await posted.arrayBuffer();
    assert.equal(posted.status, 204);
    assert.deepEqual(await lines.next(), { id: 2, rpc: { data: { cookie: 'sid=stream', authorization: null } } });
    ac.abort();
  });

  test('emulation - headers emulation from the SDK over http_stream reaches the connect and rpc proxies', async () => {
    const c = new Centrifuge([{ transport: 'http_stream', endpoint: `${node.httpUrl}/connection/http_stream` }], {
      emulationEndpoint: `${node.httpUrl}/emulation`,
      headers: { Authorization: 'Bearer sdk' },
      minReconnectDelay: 50,
      maxReconnectDelay: 200,
    });
    const connected = waitForEvent<{ client: string; transport: string }>(c, 'connected');
    c.connect();
    const ctx = await connected;
    assert.equal(ctx.transport, 'http_stream');
    try {
      const res = await c.rpc('who', {});
      assert.deepEqual(res.data, { cookie: null, authorization: 'Bearer sdk' });
      const call = backend.callsOf('connect').find((x) => x.body['client'] === ctx.client)!;
      assert.equal(call.headers['authorization'], 'Bearer sdk');
    } finally {
      c.disconnect();
    }
  });
});
