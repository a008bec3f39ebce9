/**
 * Load-generator child process: holds `count` client connections, each authenticated with a JWT and
 * subscribed per the plan, then counts what arrives. Driven over IPC by run.ts (see ipc.ts); exits by
 * itself after `lifetimeMs`, or when the coordinator goes away.
 */
import { generateConnectToken } from '@gyre/auth';
import { connectCommand, decodeReplies, isPing, subscribeCommands } from './commands.js';
import { channelOf, type FromWorker, type SetupResult, type ToWorker, type WorkerSetup } from './ipc.js';
import { LatencyRecorder, Mode, monoUs, newTotals, WsConn } from './ws_conn.js';

const send = (m: FromWorker): void => {
  if (process.connected) process.send!(m);
};

const totals = newTotals();
const recorder = new LatencyRecorder();
const conns: WsConn[] = [];
let setup: WorkerSetup | null = null;
let tokens: string[] = [];
let ok = 0;
let failed = 0;
let dropped = 0;
const reasons: Record<string, number> = {};
const dropReasons: Record<string, number> = {};
const connectUs: number[] = [];
let firstStartUs = 0;
let lastReadyUs = 0;
let next = 0;
let inFlight = 0;
let reported = false;

function bump(map: Record<string, number>, key: string): void {
  if (map[key] === undefined && Object.keys(map).length >= 20) key = 'other';
  map[key] = (map[key] ?? 0) + 1;
}

function exit(code: number): never {
  for (const c of conns) c.close();
  process.exit(code);
}

process.on('disconnect', () => exit(0));

process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'setup':
      return prepare(m);
    case 'go':
      firstStartUs = monoUs();
      pump();
      return;
    case 'snapshot':
      return send({ type: 'snapshot', id: m.id, totals: { ...totals }, dropped, dropReasons: { ...dropReasons }, atUs: monoUs() });
    case 'latency':
      return send({ type: 'latency', id: m.id, samples: recorder.window(m.fromUs, m.toUs) });
    case 'close':
      return exit(0);
  }
});

function prepare(s: WorkerSetup): void {
  setup = s;
  setTimeout(() => {
    send({ type: 'fatal', message: `worker lifetime of ${s.lifetimeMs} ms reached` });
    exit(2);
  }, s.lifetimeMs).unref();
  const t0 = Date.now();
  tokens = new Array<string>(s.count);
  for (let i = 0; i < s.count; i++) {
    tokens[i] = generateConnectToken({ hmacSecretKey: s.hmacSecret, user: s.userPrefix + String(s.first + i), ttlSeconds: 3600 });
  }
  send({ type: 'tokens', ms: Date.now() - t0 });
}

/** Starts connections while fewer than `concurrency` are being set up. */
function pump(): void {
  const s = setup!;
  const samplerStride = s.samplers > 0 ? Math.max(1, Math.floor(s.count / s.samplers)) : 0;
  while (inFlight < s.concurrency && next < s.count) {
    const i = next++;
    inFlight++;
    const conn = new WsConn({
      host: s.host,
      port: s.port,
      path: s.path,
      protocol: s.protocol,
      localAddress: s.localAddresses[Math.min(s.localAddresses.length - 1, Math.floor(i / s.perAddress))],
      totals,
      onOpen: (c) => c.send(connectCommand(s.protocol, tokens[c.index]!)),
      onMessage,
      onClose,
    });
    conn.index = i;
    conn.startedUs = monoUs();
    if (samplerStride > 0 && i % samplerStride === 0 && i / samplerStride < s.samplers) conn.sampler = recorder;
    conns.push(conn);
    const timer = setTimeout(() => {
      if (conn.step < 2 && !conn.closed) {
        conn.close();
        settle(conn, false, 'timeout');
      }
    }, s.connectTimeoutMs);
    timer.unref();
  }
}

/** step: 0 connecting, 1 connected (subscribing), 2 ready, 3 failed. */
function settle(conn: WsConn, success: boolean, reason = ''): void {
  if (conn.step >= 2) return;
  conn.step = success ? 2 : 3;
  inFlight--;
  if (success) {
    ok++;
    lastReadyUs = monoUs();
    conn.mode = Mode.Count;
  } else {
    failed++;
    bump(reasons, reason);
  }
  if (ok + failed === setup!.count) finishSetup();
  else pump();
}

function onMessage(conn: WsConn, msg: Buffer): void {
  const s = setup!;
  let replies;
  try {
    replies = decodeReplies(s.protocol, msg);
  } catch (err) {
    conn.close();
    return settle(conn, false, `undecodable reply: ${(err as Error).message.slice(0, 80)}`);
  }
  for (const r of replies) {
    if (isPing(r)) {
      conn.appPing();
      continue;
    }
    if (r.push) continue; // nothing is published during setup; ignore stray pushes
    if (r.error) {
      conn.close();
      return settle(conn, false, `${r.id === 1 ? 'connect' : 'subscribe'} error ${r.error.code}: ${r.error.message}`);
    }
    if (r.id === 1 && conn.step === 0) {
      if (connectUs.length < 20_000) connectUs.push(monoUs() - conn.startedUs);
      conn.step = 1;
      const channels: string[] = [];
      for (let j = 0; j < s.plan.perConn; j++) channels.push(channelOf(s.plan, s.first + conn.index, j));
      if (channels.length === 0) return settle(conn, true);
      conn.pendingSubs = channels.length;
      conn.send(subscribeCommands(s.protocol, channels));
    } else if (r.id >= 2 && conn.step === 1) {
      if (--conn.pendingSubs === 0) settle(conn, true);
    }
  }
}

function onClose(conn: WsConn, reason: string): void {
  if (conn.step < 2) settle(conn, false, reason);
  else if (conn.step === 2) {
    conn.step = 4;
    dropped++;
    bump(dropReasons, reason);
  }
}

function finishSetup(): void {
  if (reported) return;
  reported = true;
  const r: SetupResult = { ok, failed, reasons, firstStartUs, lastReadyUs, connectUs };
  send({ type: 'ready', ...r });
}

setInterval(() => {
  if (setup && !reported && next > 0) send({ type: 'progress', ok, failed });
}, 1000).unref();
