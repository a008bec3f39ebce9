/**
 * The HTTP transport on its own uWS app, with an executor over in-process stores: what the
 * transport decides by itself (routes, draining, request size metric) independent of a whole node.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import uWS from 'uWebSockets.js';
import { parseConfigText } from '@gyre/config';
import { createMetrics, silentLogger } from '@gyre/observability';
import { MemoryHistoryStore, MemoryPresenceStore } from '@gyre/store';
import { Executor } from '../src/executor.js';
import { mountHttpApi } from '../src/http_transport.js';
import { apiMetrics } from '../src/metrics.js';

let listen: uWS.us_listen_socket | null = null;
let base = '';
let draining = false;
const metrics = createMetrics({ version: 't', defaultMetrics: false });

before(async () => {
  const { config } = parseConfigText(JSON.stringify({ http_api: { insecure: true }, channel: { without_namespace: { history_size: 5, history_ttl: '60s' } } }), 'c.json', { overrides: {} });
  const history = new MemoryHistoryStore();
  const executor = new Executor({
    config,
    publisher: {
      async publish(channel, pub, opts) {
        const r = await history.addPublication(channel, pub, opts);
        return { position: r.position, suppressed: r.suppressed };
      },
    },
    history,
    presence: new MemoryPresenceStore(),
    control: { send() {} },
    nodes: { list: () => [] },
    channels: { survey: async () => new Map() },
    logger: silentLogger(),
    metrics: apiMetrics(metrics),
  });
  const app = uWS.App();
  mountHttpApi({ app, config, executor, metrics: apiMetrics(metrics), logger: silentLogger(), draining: () => draining });
  await new Promise<void>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) return reject(new Error('listen failed'));
      listen = socket;
      base = `http://127.0.0.1:${uWS.us_socket_local_port(socket as unknown as uWS.us_socket)}`;
      resolve();
    });
  });
});

after(() => {
  if (listen) uWS.us_listen_socket_close(listen);
});

const post = async (path: string, body: string): Promise<{ status: number; text: string }> => {
  const r = await fetch(base + path, { method: 'POST', body, headers: { connection: 'close' } });
  return { status: r.status, text: await r.text() };
};

test('http transport - the legacy endpoint answers 503 while the node drains; per-method routes keep serving', async () => {
  assert.equal((await post('/api', '{"method":"info"}')).status, 200);
  draining = true;
  try {
    const r = await post('/api', '{"method":"info"}');
    assert.equal(r.status, 503);
    assert.equal(r.text, '');
    assert.equal((await post('/api/publish', '{"channel":"a","data":1}')).status, 200);
  } finally {
    draining = false;
  }
});

test('http transport - publish and history through the transport, request sizes recorded', async () => {
  const body = '{"channel":"t","data":{"k":"v"}}';
  assert.match((await post('/api/publish', body)).text, /^\{"result":\{"offset":1,"epoch":"[A-Za-z]{8}"\}\}$/);
  const h = await post('/api/history', '{"channel":"t","limit":-1}');
  assert.match(h.text, /"publications":\[\{"data":\{"k":"v"\},"offset":1\}\]/);
  const sizes = await metrics.registry.getSingleMetric('gyre_api_request_size_bytes')!.get();
  const values = sizes.values as { metricName?: string; labels: Record<string, unknown>; value: number }[];
  const sum = values.find((v) => v.metricName === 'gyre_api_request_size_bytes_sum' && v.labels['method'] === 'publish');
  assert.ok(sum && sum.value >= body.length);
});

test('http transport - a legacy body of only whitespace answers 200 with an empty body', async () => {
  const r = await post('/api', '  \n ');
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
});
