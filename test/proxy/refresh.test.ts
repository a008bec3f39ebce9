/**
 * Refresh proxy (seed 003 "Refresh proxy"; Centrifugo: ClientSideRefresh = !refresh proxy, the
 * refresh handler retries a failed call a minute later). With client.proxy.refresh on, the server
 * refreshes every expiring connection itself: at `expire_at` it sends a RefreshRequest; the result
 * prolongs the connection (new expire_at, info, meta), `expired` or no result closes it with 3005,
 * a failed call keeps it and tries again after the retry delay (lowered here from 60 s).
 * Connections identify themselves to the backend by their user.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InProcessGyre } from '@gyre/gyre';
import { sleep, waitFor } from '@gyre/testing';
import { closeFetchPool, KINDS, RawWs, ok, proxyOf, setRetryDelay, startBackend, startNode, token, type Answer, type Backend, type Json, type SeenCall } from './helpers.js';

after(closeFetchPool);

const nowSec = (): number => Math.floor(Date.now() / 1000);

function connectAnswer(call: SeenCall): Answer {
  const name = call.body['name'] as string;
  return ok({ user: `${name}-user`, expire_at: nowSec() + 1, meta: { m: name } });
}

for (const kind of KINDS) {
  describe(`refresh proxy over ${kind}`, { timeout: 60_000, concurrency: false }, () => {
    // Sequential: these tests measure expiry and retry timing against 1 s proxy timeouts; run
    // side by side under a loaded CI machine they flaked (three grpc sub_refresh cases once).
    let node: InProcessGyre;
    let backend: Backend;
    const flaky = { failures: 0 };

    function refreshAnswer(call: SeenCall): Answer {
      switch (call.body['user']) {
        case 'prolong-user':
          return ok({ expire_at: nowSec() + 60, info: { v: 2 } });
        case 'expire-user':
          return ok({ expired: true });
        case 'no-result-user':
          // Custom errors / disconnects are not applied to refresh: this is "no result".
          return { body: { error: { code: 1000, message: 'no' }, disconnect: { code: 4999, reason: 'custom' } } };
        case 'past-user':
          return ok({ expire_at: nowSec() - 5 });
        case 'flaky-user':
          if (flaky.failures++ === 0) return kind === 'http' ? { status: 500 } : { grpcCode: 14 };
          return ok({ expire_at: nowSec() + 60 });
        case 'token-user':
          return ok({ expire_at: nowSec() + 60 });
        default:
          return ok({ expired: true });
      }
    }

    before(async () => {
      backend = await startBackend(kind);
      backend.handlers['connect'] = connectAnswer;
      backend.handlers['refresh'] = refreshAnswer;
      node = await startNode({
        client: {
          proxy: {
            connect: proxyOf(backend, 'connect', { enabled: true }),
            refresh: proxyOf(backend, 'refresh', { enabled: true, include_connection_meta: true }),
          },
        },
        channel: { namespaces: [{ name: 'pub', allow_subscribe_for_client: true, allow_publish_for_subscriber: true }] },
      });
      setRetryDelay(node, 300);
    });
    after(async () => {
      await node?.shutdown();
      await backend?.close();
    });

    async function connected(connect: Json): Promise<{ raw: RawWs; result: Json }> {
      const raw = await RawWs.open(node.wsUrl);
      raw.sendJson({ connect, id: 1 });
      const reply = await raw.next();
      const result = reply['connect'] as Json | undefined;
      assert.ok(result, `connected, got ${JSON.stringify(reply)}`);
      return { raw, result };
    }

    const refreshesOf = (user: string): SeenCall[] => backend.callsOf('refresh').filter((c) => c.body['user'] === user);

    test(`refresh proxy - the server refreshes a connection at expire_at: the client is not asked, RefreshRequest fields, new expire_at, info and meta applied (${kind})`, async () => {
      const { raw, result } = await connected({ name: 'prolong' });
      assert.equal(result['expires'], undefined, 'no client-side refresh');
      assert.equal(result['ttl'], undefined);
      raw.sendJson({ subscribe: { channel: 'pub:x' }, id: 2 });
      assert.deepEqual(await raw.next(), { id: 2, subscribe: {} });
      await waitFor(() => refreshesOf('prolong-user').length > 0, 4000, 20, 'a refresh call');
      const call = refreshesOf('prolong-user')[0]!;
      assert.equal(call.body['client'], result['client']);
      assert.equal(call.body['transport'], 'websocket');
      assert.equal(call.body['protocol'], 'json');
      assert.equal(call.body['encoding'], 'json');
      assert.deepEqual(call.body['meta'], { m: 'prolong' }, 'connection meta from the connect result, include_connection_meta on');
      // The new info is the publisher info of the connection's publications from now on.
      await sleep(100);
      raw.sendJson({ publish: { channel: 'pub:x', data: { hello: 1 } }, id: 3 });
      const got: Json[] = [await raw.next(), await raw.next()];
      const pub = got.find((m) => m['push'] !== undefined)!['push'] as Json;
      assert.deepEqual(((pub['pub'] as Json)['info'] as Json)['conn_info'], { v: 2 });
      // Past the old expiry (and its close delay would not matter: the server refreshes) it lives on.
      await sleep(1200);
      assert.equal(raw.isClosed, false, 'still connected after the first expiry');
      assert.equal(refreshesOf('prolong-user').length, 1, 'one refresh for one expiry');
      raw.close();
    });

    test(`refresh proxy - result expired → disconnect 3005 (${kind})`, async () => {
      const { raw } = await connected({ name: 'expire' });
      assert.deepEqual(await raw.closed, { code: 3005, reason: 'connection expired' });
      assert.equal(refreshesOf('expire-user').length, 1);
    });

    test(`refresh proxy - custom error and disconnect are not applied to refresh: without a result → 3005 (${kind})`, async () => {
      const { raw } = await connected({ name: 'no-result' });
      assert.deepEqual(await raw.closed, { code: 3005, reason: 'connection expired' });
    });

    test(`refresh proxy - an expire_at that is already past → 3005 (${kind})`, async () => {
      const { raw } = await connected({ name: 'past' });
      assert.equal((await raw.closed).code, 3005);
    });

    test(`refresh proxy - a failed refresh call keeps the connection and is retried later (${kind})`, async () => {
      const { raw } = await connected({ name: 'flaky' });
      await waitFor(() => refreshesOf('flaky-user').length >= 2, 6000, 20, 'a second refresh call after the failed one');
      await sleep(100);
      assert.equal(raw.isClosed, false, 'the failure did not drop the connection');
      raw.close();
    });

    test(`refresh proxy - a token connection with exp is refreshed by the proxy too (Centrifugo: no client-side refresh with the refresh proxy on) (${kind})`, async () => {
      const { raw, result } = await connected({ token: token('token-user', {}, 1) });
      assert.equal(result['expires'], undefined);
      await waitFor(() => refreshesOf('token-user').length > 0, 4000, 20, 'a refresh call');
      await sleep(1200);
      assert.equal(raw.isClosed, false);
      raw.close();
    });

    test(`refresh proxy - a client refresh command is refused (3501) when the server refreshes (${kind})`, async () => {
      const { raw } = await connected({ name: 'refuse' });
      raw.sendJson({ refresh: { token: token('refuse-user', {}, 60) }, id: 2 });
      assert.equal((await raw.closed).code, 3501);
    });
  });
}
