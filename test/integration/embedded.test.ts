/**
 * The embedded node started in-process, as the integration tiers do: every service up, readiness
 * through the bus, clean shutdown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { freePort } from '@gyre/testing';
import { startGyreInProcess } from '@gyre/gyre';

test('embedded - in-process node is ready through the bus and shuts down cleanly', async () => {
  const port = await freePort();
  const node = await startGyreInProcess({ http_server: { port }, health: { enabled: true }, prometheus: { enabled: true } });
  try {
    assert.deepEqual([...node.services].sort(), ['api', 'edge', 'presence-history', 'proxy-dispatcher']);
    const ready = await fetch(`${node.internalUrl}/ready`, { headers: { connection: 'close' } });
    assert.equal(ready.status, 200);
    const report = await node.health.readiness();
    assert.equal(report.ready, true);
  } finally {
    await node.shutdown();
  }
  assert.equal((await node.health.readiness()).ready, false, 'not ready after shutdown');
  // A new connection is refused: the listen socket is closed.
  await assert.rejects(new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(undefined); });
    socket.once('error', reject);
  }), /ECONNREFUSED/);
});
