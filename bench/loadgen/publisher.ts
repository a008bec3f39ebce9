/**
 * Publisher child process: calls the HTTP server API at a fixed rate over keep-alive connections
 * (undici Pool) and reports what the server accepted. Each publication's data is a JSON object of
 * exactly `payloadBytes` bytes carrying `"ts":<monotonic µs>`, which samplers turn into latency.
 *
 * Fixed rate means open loop: calls are scheduled by the clock, not by replies. When more than
 * `maxInFlight` calls are outstanding a scheduled call is skipped and counted, so a slow server shows
 * up as skipped calls rather than as a silently lower offered load.
 */
import { Pool } from 'undici';
import { monoUs } from './ws_conn.js';

export interface PublisherStart {
  type: 'start';
  origin: string;
  apiKey: string;
  /** `publish`: one channel per call, round robin; `broadcast`: `channelsPerCall` channels per call. */
  method: 'publish' | 'broadcast';
  channelPrefix: string;
  channelCount: number;
  channelsPerCall: number;
  /** API calls per second. */
  rate: number;
  durationMs: number;
  payloadBytes: number;
  connections: number;
  maxInFlight: number;
  lifetimeMs: number;
}

export interface PublisherResult {
  type: 'done';
  startUs: number;
  endUs: number;
  scheduled: number;
  ok: number;
  failed: number;
  skipped: number;
  /** Channel publications the server accepted (calls × channels per call). */
  channelPublications: number;
  errors: Record<string, number>;
  /** API call round trips, µs (sampled). */
  callUs: number[];
}

export type FromPublisher = { type: 'started'; startUs: number } | PublisherResult | { type: 'fatal'; message: string };

const send = (m: FromPublisher): void => {
  if (process.connected) process.send!(m);
};

process.on('disconnect', () => process.exit(0));

/** The data object: `{"ts":<µs>,"p":"xxx…"}`, exactly `bytes` long when bytes allows it. */
export function payload(tsUs: number, bytes: number): string {
  const head = '{"ts":' + String(Math.round(tsUs)) + ',"p":"';
  const pad = Math.max(0, bytes - head.length - 2);
  return head + 'x'.repeat(pad) + '"}';
}

process.on('message', (m: PublisherStart) => {
  if (m.type === 'start') run(m).catch((err: unknown) => send({ type: 'fatal', message: String(err) }));
});

async function run(o: PublisherStart): Promise<void> {
  setTimeout(() => {
    send({ type: 'fatal', message: `publisher lifetime of ${o.lifetimeMs} ms reached` });
    process.exit(2);
  }, o.lifetimeMs).unref();
  const pool = new Pool(o.origin, { connections: o.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', 'x-api-key': o.apiKey };
  const path = o.method === 'publish' ? '/api/publish' : '/api/broadcast';
  const res: PublisherResult = {
    type: 'done', startUs: 0, endUs: 0, scheduled: 0, ok: 0, failed: 0, skipped: 0, channelPublications: 0, errors: {}, callUs: [],
  };
  const perCall = o.method === 'publish' ? 1 : Math.min(o.channelsPerCall, o.channelCount);
  let nextChannel = 0;
  let inFlight = 0;
  const fail = (why: string): void => {
    res.failed++;
    const key = Object.keys(res.errors).length < 10 || res.errors[why] !== undefined ? why : 'other';
    res.errors[key] = (res.errors[key] ?? 0) + 1;
  };

  const call = (): void => {
    let body: string;
    const data = payload(monoUs(), o.payloadBytes);
    if (o.method === 'publish') {
      body = '{"channel":"' + o.channelPrefix + String(nextChannel) + '","data":' + data + '}';
      nextChannel = (nextChannel + 1) % o.channelCount;
    } else {
      const names: string[] = [];
      for (let k = 0; k < perCall; k++) {
        names.push('"' + o.channelPrefix + String(nextChannel) + '"');
        nextChannel = (nextChannel + 1) % o.channelCount;
      }
      body = '{"channels":[' + names.join(',') + '],"data":' + data + '}';
    }
    inFlight++;
    const t0 = monoUs();
    pool
      .request({ path, method: 'POST', headers, body })
      .then(async (r) => {
        const text = await r.body.text();
        if (r.statusCode !== 200) fail(`HTTP ${r.statusCode}: ${text.slice(0, 80)}`);
        else if (text.includes('"error"')) fail(`API error: ${text.slice(0, 120)}`);
        else {
          res.ok++;
          res.channelPublications += perCall;
        }
      })
      .catch((err: Error & { code?: string }) => fail(err.code ?? err.message))
      .finally(() => {
        inFlight--;
        if (res.callUs.length < 50_000) res.callUs.push(monoUs() - t0);
      });
  };

  // Warm the keep-alive connections before the clock starts.
  await Promise.allSettled(
    Array.from({ length: o.connections }, () => pool.request({ path: '/api/info', method: 'POST', headers, body: '{}' }).then((r) => r.body.dump())),
  );

  res.startUs = monoUs();
  send({ type: 'started', startUs: res.startUs });
  const endUs = res.startUs + o.durationMs * 1000;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = monoUs();
      const due = Math.floor(((Math.min(now, endUs) - res.startUs) / 1e6) * o.rate);
      while (res.scheduled < due) {
        res.scheduled++;
        if (inFlight >= o.maxInFlight) res.skipped++;
        else call();
      }
      if (now >= endUs) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  res.endUs = monoUs();
  const drainBy = Date.now() + 10_000;
  while (inFlight > 0 && Date.now() < drainBy) await new Promise((r) => setTimeout(r, 10));
  await pool.close().catch(() => {});
  // process.send is asynchronous: exiting right after it can drop a large message. The coordinator
  // ends this process once it has the result (or the lifetime timer does).
  process.send!(res, () => {});
}
