import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatsServer, freePort, waitFor, type ServerHandle } from '@gyre/testing';
import { BusError, connectNatsBus, createBus, type Bus, type BusStatusEvent } from '../src/index.js';
import { runBusContract } from './bus_contract.js';

let server: ServerHandle;
before(async () => {
  server = await startNatsServer();
});
after(async () => {
  await server?.stop();
});

runBusContract('bus-nats', () => connectNatsBus({ servers: server.url, name: 'contract' }));

test('bus-nats - after nats-server is killed with -9 and restarted on its port, the bus reconnects and delivery resumes', async () => {
  const crashing = await startNatsServer();
  const opts = { servers: crashing.url, reconnectTimeWaitMs: 50, reconnectJitterMs: 10, flushTimeoutMs: 300 };
  const a = await connectNatsBus({ ...opts, name: 'crash-a' });
  const b = await connectNatsBus({ ...opts, name: 'crash-b' });
  try {
    const events: BusStatusEvent[] = [];
    a.onStatus((e) => events.push(e));
    const got: string[] = [];
    a.subscribe('crash.test', (m) => got.push(new TextDecoder().decode(m.data)));
    b.queueSubscribe('crash.svc', 'svc', (m) => m.respond(m.data));
    await a.flush();
    await b.flush();
    b.publish('crash.test', new TextEncoder().encode('before'));
    await waitFor(() => got.length === 1, 5000, 10, 'delivery before the crash');

    await crashing.kill();
    await waitFor(() => events.some((e) => e.type === 'disconnected'), 5000, 10, 'disconnected status');
    assert.equal(a.isConnected, false);
    await assert.rejects(a.flush(), BusError, 'flush (the readiness probe) fails while disconnected');

    await crashing.restart();
    await waitFor(() => events.some((e) => e.type === 'reconnected'), 10_000, 10, 'reconnected status');
    await waitFor(() => a.isConnected && b.isConnected, 10_000, 10, 'both connected');
    const types = events.map((e) => e.type);
    assert.ok(types.indexOf('disconnected') < types.lastIndexOf('reconnected'));
    await a.flush();
    await b.flush();
    b.publish('crash.test', new TextEncoder().encode('after'));
    await waitFor(() => got.length === 2, 5000, 10, 'delivery after the restart');
    assert.deepEqual(got, ['before', 'after']);
    const echoed = await a.request('crash.svc', new TextEncoder().encode('ping'), { timeoutMs: 2000 });
    assert.equal(new TextDecoder().decode(echoed), 'ping', 'queue subscriptions are re-established too');
  } finally {
    await Promise.all([a.close(), b.close()]);
    await crashing.stop();
  }
});

test('bus-nats - connecting to a port with no server fails instead of hanging', async () => {
  const port = await freePort();
  await assert.rejects(connectNatsBus({ servers: `nats://127.0.0.1:${port}`, connectTimeoutMs: 2000 }));
});

test('bus-nats - createBus builds a NATS bus from options', async () => {
  const bus: Bus = await createBus({ type: 'nats', servers: server.url, name: 'factory' });
  try {
    assert.equal(bus.isConnected, true);
    await bus.flush();
  } finally {
    await bus.close();
  }
});
