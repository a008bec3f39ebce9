// The Bus contract (see src/bus.ts) as tests. Every implementation runs it:
//   runBusContract('bus-memory', () => hub.connect());
//   runBusContract('bus-nats', () => connectNatsBus({ servers: server.url }));
// makeBus() must return a new connection to the same network each time (so one test can publish on
// one connection and subscribe on another).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  BusClosedError,
  BusInvalidSubjectError,
  BusNoRespondersError,
  BusTimeoutError,
  allChannelsSubject,
  channelFromSubject,
  channelSubject,
  type Bus,
  type BusMessage,
  type BusStatusEvent,
} from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function runBusContract(name: string, makeBus: () => Promise<Bus> | Bus): void {
  /** Opens `n` connections, runs `body`, closes them whatever happens. */
  async function withBuses(n: number, body: (...buses: Bus[]) => Promise<void>): Promise<void> {
    const buses: Bus[] = [];
    try {
      for (let i = 0; i < n; i++) buses.push(await makeBus());
      await body(...buses);
    } finally {
      await Promise.all(buses.map((b) => b.close()));
    }
  }

  test(`${name} - publish reaches subscribers on the same and on another connection, asynchronously`, () =>
    withBuses(2, async (a, b) => {
      const onA: BusMessage[] = [];
      const onB: BusMessage[] = [];
      a.subscribe('contract.hello', (m) => onA.push(m));
      b.subscribe('contract.hello', (m) => onB.push(m));
      await a.flush();
      await b.flush();
      a.publish('contract.hello', enc.encode('hi'));
      assert.equal(onA.length, 0, 'no handler runs inside publish()');
      await until(() => onA.length === 1 && onB.length === 1, 'both subscribers');
      for (const m of [onA[0]!, onB[0]!]) {
        assert.equal(m.subject, 'contract.hello');
        assert.equal(dec.decode(m.data), 'hi');
        assert.equal(m.respond(enc.encode('x')), false, 'a plain publish has no reply subject');
      }
      assert.ok(a.isConnected && b.isConnected);
    }));

  test(`${name} - the publisher's buffer may be reused right after publish`, () =>
    withBuses(1, async (a) => {
      const got: string[] = [];
      a.subscribe('contract.copy', (m) => got.push(dec.decode(m.data)));
      await a.flush();
      const buf = enc.encode('first');
      a.publish('contract.copy', buf);
      buf.set(enc.encode('XXXXX'));
      await until(() => got.length === 1, 'message');
      assert.deepEqual(got, ['first']);
    }));

  test(`${name} - wildcards: * matches exactly one token, > matches one or more`, () =>
    withBuses(2, async (a, b) => {
      const star: string[] = [];
      const rest: string[] = [];
      const mid: string[] = [];
      const all: string[] = [];
      a.subscribe('wild.*', (m) => star.push(m.subject));
      a.subscribe('wild.>', (m) => rest.push(m.subject));
      a.subscribe('wild.*.end', (m) => mid.push(m.subject));
      a.subscribe('wild.x', (m) => all.push(m.subject));
      await a.flush();
      for (const s of ['wild', 'wild.x', 'wild.y', 'wild.x.end', 'wild.x.y.z', 'other.x', 'wildx.y']) b.publish(s, enc.encode(s));
      await b.flush();
      await until(() => rest.length === 4, '> deliveries');
      await sleep(50);
      assert.deepEqual(star.sort(), ['wild.x', 'wild.y']);
      assert.deepEqual(rest.sort(), ['wild.x', 'wild.x.end', 'wild.x.y.z', 'wild.y']);
      assert.deepEqual(mid, ['wild.x.end']);
      assert.deepEqual(all, ['wild.x']);
    }));

  test(`${name} - a queue group gets each message exactly once, spread over its members; plain subscribers get all`, () =>
    withBuses(3, async (a, b, publisher) => {
      const perMember = [0, 0, 0];
      const seen = new Map<string, number>();
      let plain = 0;
      const member = (i: number) => (m: BusMessage) => {
        perMember[i]!++;
        const key = dec.decode(m.data);
        seen.set(key, (seen.get(key) ?? 0) + 1);
      };
      a.queueSubscribe('work.*', 'workers', member(0));
      a.queueSubscribe('work.*', 'workers', member(1));
      b.queueSubscribe('work.>', 'workers', member(2));
      b.subscribe('work.*', () => plain++);
      await a.flush();
      await b.flush();
      const total = 300;
      for (let i = 0; i < total; i++) publisher.publish(`work.job${i % 7}`, enc.encode(String(i)));
      await publisher.flush();
      await until(() => seen.size === total && plain === total, 'all messages');
      await sleep(50);
      assert.equal(perMember.reduce((x, y) => x + y, 0), total, 'no message delivered twice within the group');
      assert.ok([...seen.values()].every((n) => n === 1));
      assert.ok(perMember.every((n) => n > 0), `every member got work: ${perMember.join(',')}`);
      assert.equal(plain, total);
    }));

  test(`${name} - request/reply: the first reply resolves the request, concurrent requests stay apart`, () =>
    withBuses(2, async (requester, responder) => {
      responder.queueSubscribe('svc.upper', 'svc', (m) => {
        assert.equal(m.respond(enc.encode(dec.decode(m.data).toUpperCase())), true);
      });
      await responder.flush();
      assert.equal(dec.decode(await requester.request('svc.upper', enc.encode('abc'), { timeoutMs: 2000 })), 'ABC');
      const words = Array.from({ length: 20 }, (_, i) => `word${i}`);
      const replies = await Promise.all(words.map((w) => requester.request('svc.upper', enc.encode(w), { timeoutMs: 2000 })));
      assert.deepEqual(replies.map((r) => dec.decode(r)), words.map((w) => w.toUpperCase()));
    }));

  test(`${name} - a request nobody answers rejects with BusTimeoutError after its timeout`, () =>
    withBuses(2, async (requester, silent) => {
      silent.subscribe('svc.silent', () => {});
      await silent.flush();
      const started = Date.now();
      await assert.rejects(requester.request('svc.silent', enc.encode('?'), { timeoutMs: 150 }), (error: unknown) => {
        assert.ok(error instanceof BusTimeoutError, String(error));
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 140 && elapsed < 2000, `timed out after ${elapsed} ms`);
    }));

  test(`${name} - a request to a subject without subscribers rejects with BusNoRespondersError at once`, () =>
    withBuses(1, async (requester) => {
      const started = Date.now();
      await assert.rejects(requester.request('svc.nobody.home', enc.encode('?'), { timeoutMs: 5000 }), (error: unknown) => {
        assert.ok(error instanceof BusNoRespondersError, String(error));
        return true;
      });
      assert.ok(Date.now() - started < 2000, 'not after the timeout');
    }));

  test(`${name} - 10k messages from one publisher arrive in publish order`, () =>
    withBuses(2, async (publisher, subscriber) => {
      const n = 10_000;
      const got: number[] = [];
      subscriber.subscribe('order.test', (m) => got.push(new DataView(m.data.buffer, m.data.byteOffset, 4).getUint32(0)));
      await subscriber.flush();
      for (let i = 0; i < n; i++) {
        const buf = new Uint8Array(4);
        new DataView(buf.buffer).setUint32(0, i);
        publisher.publish('order.test', buf);
      }
      await publisher.flush();
      await until(() => got.length === n, `${n} messages (got ${got.length})`, 20_000);
      for (let i = 0; i < n; i++) if (got[i] !== i) assert.fail(`message ${i} arrived as ${got[i]}`);
    }));

  test(`${name} - unsubscribe stops delivery at once, including messages already on their way`, () =>
    withBuses(2, async (a, b) => {
      let count = 0;
      const sub = a.subscribe('unsub.test', () => {
        count++;
        sub.unsubscribe();
      });
      let other = 0;
      a.subscribe('unsub.test', () => other++);
      await a.flush();
      for (let i = 0; i < 100; i++) b.publish('unsub.test', enc.encode(String(i)));
      await b.flush();
      await until(() => other === 100, 'the other subscription');
      await sleep(30);
      assert.equal(count, 1, 'nothing after unsubscribe()');
      sub.unsubscribe(); // idempotent
      b.publish('unsub.test', enc.encode('late'));
      await until(() => other === 101, 'late message');
      assert.equal(count, 1);
    }));

  test(`${name} - a 1 MiB payload arrives intact`, () =>
    withBuses(2, async (a, b) => {
      const payload = new Uint8Array(randomBytes(1024 * 1024));
      const got = new Promise<Uint8Array>((resolve) => a.subscribe('big.payload', (m) => resolve(m.data)));
      await a.flush();
      b.publish('big.payload', payload);
      const data = await got;
      assert.equal(data.byteLength, payload.byteLength);
      assert.ok(Buffer.from(data).equals(Buffer.from(payload)));
    }));

  test(`${name} - a handler that throws is reported and does not stop its subscription`, () =>
    withBuses(1, async (a) => {
      const events: BusStatusEvent[] = [];
      a.onStatus((e) => events.push(e));
      const got: string[] = [];
      a.subscribe('throwing.handler', (m) => {
        const s = dec.decode(m.data);
        if (s === 'bad') throw new Error('handler failure');
        got.push(s);
      });
      await a.flush();
      for (const s of ['one', 'bad', 'two']) a.publish('throwing.handler', enc.encode(s));
      await until(() => got.length === 2, 'messages after the throw');
      assert.deepEqual(got, ['one', 'two']);
      const reported = events.find((e) => e.type === 'handler_error');
      assert.ok(reported, 'handler_error status event');
      assert.match(String((reported.error as Error).message), /handler failure/);
    }));

  test(`${name} - malformed subjects are rejected synchronously`, () =>
    withBuses(1, async (a) => {
      for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a\tb', 'a.*', 'a.>', '>']) {
        assert.throws(() => a.publish(bad, new Uint8Array()), BusInvalidSubjectError, `publish ${JSON.stringify(bad)}`);
      }
      for (const bad of ['', 'a..b', 'a.>.b', 'a b']) {
        assert.throws(() => a.subscribe(bad, () => {}), BusInvalidSubjectError, `subscribe ${JSON.stringify(bad)}`);
      }
      assert.throws(() => a.queueSubscribe('a.b', 'bad queue', () => {}), BusInvalidSubjectError);
      await assert.rejects(a.request('a.*', new Uint8Array(), { timeoutMs: 100 }), BusInvalidSubjectError);
    }));

  test(`${name} - channel subjects carry any channel name from publisher to subscriber`, () =>
    withBuses(2, async (a, b) => {
      const channels = ['news', 'chat:room.1', 'a*b>c', 'with space', '$sys#1,2', 'юникод 🚀', 'x.>', '%41'];
      const got: string[] = [];
      a.subscribe(allChannelsSubject(), (m) => got.push(channelFromSubject(m.subject) ?? '<undecodable>'));
      await a.flush();
      for (const ch of channels) b.publish(channelSubject(ch), enc.encode(ch));
      await until(() => got.length === channels.length, 'all channels');
      assert.deepEqual(got, channels);
    }));

  test(`${name} - close ends subscriptions, rejects pending and later calls, and is idempotent`, async () => {
    const a = await makeBus();
    const b = await makeBus();
    try {
      const events: BusStatusEvent[] = [];
      a.onStatus((e) => events.push(e));
      let received = 0;
      a.subscribe('close.test', () => received++);
      b.subscribe('close.pending', () => {}); // makes the request below wait rather than fail fast
      await a.flush();
      await b.flush();
      const pending = a.request('close.pending', new Uint8Array(), { timeoutMs: 5000 });
      await sleep(20);
      assert.equal(a.isConnected, true);
      await a.close();
      await assert.rejects(pending, BusClosedError);
      assert.equal(a.isConnected, false);
      await until(() => events.some((e) => e.type === 'closed'), 'closed status event');
      assert.throws(() => a.publish('close.test', new Uint8Array()), BusClosedError);
      assert.throws(() => a.subscribe('close.test', () => {}), BusClosedError);
      await assert.rejects(a.request('close.test', new Uint8Array(), { timeoutMs: 100 }), BusClosedError);
      await assert.rejects(a.flush(), BusClosedError);
      b.publish('close.test', new Uint8Array());
      await b.flush();
      await sleep(30);
      assert.equal(received, 0, 'a closed connection receives nothing');
      await a.close(); // idempotent
    } finally {
      await a.close();
      await b.close();
    }
  });

  test(`${name} - flush resolves while connected`, () =>
    withBuses(1, async (a) => {
      await a.flush();
      assert.equal(a.isConnected, true);
    }));
}
