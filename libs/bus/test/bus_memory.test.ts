import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus, MemoryBusHub, createBus, subjectMatches } from '../src/index.js';
import { runBusContract } from './bus_contract.js';

const hub = new MemoryBusHub();
runBusContract('bus-memory', () => hub.connect());

test('bus-memory - buses on different hubs do not see each other', async () => {
  const a = new MemoryBus();
  const b = new MemoryBus();
  let got = 0;
  a.subscribe('iso.x', () => got++);
  b.publish('iso.x', new Uint8Array([1]));
  await a.flush();
  await b.flush();
  assert.equal(got, 0);
  const c = a.hub.connect();
  c.publish('iso.x', new Uint8Array([1]));
  await c.flush();
  await a.flush();
  assert.equal(got, 1, 'a connection made from the same hub does');
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('bus-memory - createBus builds a memory bus that can share a hub', async () => {
  const shared = new MemoryBusHub();
  const a = await createBus({ type: 'memory', hub: shared });
  const b = await createBus({ type: 'memory', hub: shared });
  const got = new Promise<Uint8Array>((resolve) => a.subscribe('shared.x', (m) => resolve(m.data)));
  b.publish('shared.x', new Uint8Array([42]));
  assert.deepEqual([...(await got)], [42]);
  await Promise.all([a.close(), b.close()]);
});

test('bus-memory - a reply to a requester that already timed out is dropped harmlessly', async () => {
  const bus = new MemoryBus();
  let late: (() => boolean) | undefined;
  bus.subscribe('slow.svc', (m) => {
    late = () => m.respond(new Uint8Array([1]));
  });
  await assert.rejects(bus.request('slow.svc', new Uint8Array(), { timeoutMs: 20 }), /timed out/);
  assert.equal(late!(), true, 'respond() reports that a reply subject existed');
  await bus.flush();
  await bus.close();
});

test('bus-memory - subscriptions churned on many subjects leave nothing behind', async () => {
  const h = new MemoryBusHub();
  const bus = h.connect();
  for (let i = 0; i < 1000; i++) bus.subscribe(`churn.ch.${i}.x`, () => {}).unsubscribe();
  const star = bus.subscribe('churn.*.>', () => {});
  star.unsubscribe();
  // The routing trie is pruned: a publish to a churned subject finds no route and no responders.
  await assert.rejects(bus.request('churn.ch.1.x', new Uint8Array(), { timeoutMs: 100 }), /no responders/);
  const trie = (h as unknown as { trie: { root: { children: Map<string, unknown>; star?: unknown } } }).trie;
  assert.equal(trie.root.children.size, 0);
  assert.equal(trie.root.star, undefined);
  await bus.close();
});

test('subject - subjectMatches follows NATS wildcard rules', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a.b', 'a.b', true],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['*.b', 'a.b', true],
    ['>', 'a', true],
    ['a.b*', 'a.bc', false],
    ['a.b*', 'a.b*', true],
  ];
  for (const [pattern, subject, expected] of cases) assert.equal(subjectMatches(pattern, subject), expected, `${pattern} vs ${subject}`);
});
