/**
 * The cluster shape of docker-compose.yml and the Helm chart, on this machine: one real
 * nats-server, one real redis-server and one `gyre serve --services <name>` child process per
 * service, every process reading the same config file. Only the port differs per process (`-p`),
 * as each container or pod would have its own address and listen on 8000.
 *
 * Children run in their own process groups and the @gyre/testing harness kills them when the test
 * process ends however it ends, so a failing test never leaves a process behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateConnectToken } from '@gyre/auth';
import { createCentrifuge, freePort, spawnGyre, startNatsServer, startRedisServer, waitFor, waitForEvent, type CentrifugeProtocol, type GyreProcess, type ServerHandle } from '@gyre/testing';
import type { Centrifuge, Options } from 'centrifuge';
import WebSocket from 'ws';

export const SECRET = 'cluster-tier-hmac-secret';
export const API_KEY = 'cluster-tier-api-key';

export type ServiceName = 'presence-history' | 'proxy-dispatcher' | 'api' | 'edge';
export type Json = Record<string, unknown>;

/** Channel options every test channel shares: history with recovery, presence, client reads. */
const CHANNEL_OPTIONS = {
  history_size: 100,
  history_ttl: '300s',
  force_recovery: true,
  presence: true,
  join_leave: true,
  allow_subscribe_for_client: true,
  allow_history_for_subscriber: true,
  allow_presence_for_subscriber: true,
};

/**
 * The one config every process reads: Centrifugo v6 keys plus `gyre.bus` / `gyre.store`, with
 * short intervals so the tier stays fast (pings, presence refresh, drain window).
 */
export function clusterConfig(natsUrl: string, redisUrl: string): Json {
  return {
    log: { level: 'warn' },
    client: {
      token: { hmac_secret_key: SECRET },
      ping_interval: '2s',
      pong_timeout: '1s',
      presence_update_interval: '1s',
    },
    http_api: { key: API_KEY },
    health: { enabled: true },
    shutdown: { timeout: '5s' },
    channel: { without_namespace: CHANNEL_OPTIONS },
    engine: { redis: { io_timeout: '1s', connect_timeout: '1s' } },
    gyre: {
      bus: { type: 'nats', nats: { url: natsUrl } },
      store: { type: 'redis', redis: { address: redisUrl } },
    },
  };
}

/** HS256 connection token for `user` without expiry. */
export function token(user: string): string {
  return generateConnectToken({ hmacSecretKey: SECRET, user, ttlSeconds: 0 });
}

/** Publication data as each SDK build hands it over, decoded to a JS value. */
export function decoded(data: unknown): unknown {
  if (data instanceof Uint8Array) return JSON.parse(new TextDecoder().decode(data));
  return data;
}

/**
 * The edges as a client would reach them behind a round-robin balancer: each new WebSocket goes to
 * the next edge in turn. A client whose edge went away reconnects to the other one; `visited`
 * records where each socket went, so a test can say which edge a client is on.
 */
export class EdgeBalancer {
  readonly visited: string[] = [];
  private next: number;

  constructor(
    readonly urls: readonly string[],
    start = 0,
  ) {
    this.next = start;
  }

  pick(): string {
    const url = this.urls[this.next % this.urls.length]!;
    this.next++;
    this.visited.push(url);
    return url;
  }

  /** The edge the latest socket went to. */
  get current(): string {
    return this.visited.at(-1) ?? '';
  }

  /** A `websocket` option for the SDK: the SDK's endpoint is ignored, the balancer picks. */
  websocket(): Options['websocket'] {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- captured by the class below
    const balancer = this;
    return class BalancedWebSocket extends WebSocket {
      constructor(_endpoint: string, protocols?: string | string[]) {
        super(balancer.pick(), protocols);
      }
    };
  }
}

/** Process labels of the compose shape and the service each runs. */
export const ALL: ReadonlyArray<readonly [string, ServiceName]> = [
  ['presence-history', 'presence-history'],
  ['proxy-dispatcher', 'proxy-dispatcher'],
  ['api', 'api'],
  ['edge1', 'edge'],
  ['edge2', 'edge'],
];

export interface ApiReply {
  status: number;
  body: { result?: Json; error?: { code: number; message: string } } & Json;
}

export interface ProcessEntry {
  label: string;
  service: ServiceName;
  proc: GyreProcess;
  /** Set when the process exited: its code, or the signal that ended it. */
  exit?: string;
}

export class Cluster {
  readonly procs = new Map<string, ProcessEntry>();
  private readonly clients: Centrifuge[] = [];
  private readonly ids = new WeakMap<Centrifuge, string>();

  private constructor(
    readonly nats: ServerHandle,
    readonly redis: ServerHandle,
    readonly dir: string,
    readonly configPath: string,
  ) {}

  /** Starts nats-server and redis-server (no persistence, like the compose file) and writes the shared config. */
  static async start(): Promise<Cluster> {
    const [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
    const dir = mkdtempSync(join(tmpdir(), 'gyre-cluster-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(clusterConfig(nats.url, redis.url), null, 2));
    return new Cluster(nats, redis, dir, configPath);
  }

  /**
   * `gyre serve -c <shared config> -p <port> --services <service>` as a child process; resolves once
   * /health answers (the process lives), not once it is ready.
   */
  async spawn(label: string, service: ServiceName, port?: number): Promise<GyreProcess> {
    const p = port ?? (await freePort());
    // spawnGyre writes its own copy of `config` and passes it with -c; the second -c (the shared
    // file) wins, so every process reads the very same file. The config given here only tells the
    // harness which port to probe.
    const proc = await spawnGyre({
      config: { http_server: { port: p } },
      args: ['-c', this.configPath, '-p', String(p), '--services', service],
      readyTimeoutMs: 30_000,
    });
    const entry: ProcessEntry = { label, service, proc };
    void proc.exited.then((code) => {
      entry.exit = code === null ? 'signal' : `code ${code}`;
    });
    this.procs.set(label, entry);
    return proc;
  }

  /** The compose shape: presence-history, proxy-dispatcher, api and two edges, started together and ready. */
  async spawnAll(): Promise<void> {
    await Promise.all(ALL.map(([label, service]) => this.spawn(label, service)));
    await this.waitReady(ALL.map(([label]) => label));
  }

  /** Labels of the running processes. */
  get labels(): string[] {
    return [...this.procs.keys()];
  }

  /** URLs of the two edges, for an EdgeBalancer. */
  edgeUrls(): string[] {
    return [this.wsUrl('edge1'), this.wsUrl('edge2')];
  }

  get(label: string): GyreProcess {
    const e = this.procs.get(label);
    if (!e) throw new Error(`no process ${label}`);
    return e.proc;
  }

  /** ws URL of an edge process. */
  wsUrl(label: string): string {
    return `ws://127.0.0.1:${this.get(label).port}/connection/websocket`;
  }

  /** Status of GET /ready (0 when the process does not answer). */
  async readyStatus(label: string): Promise<number> {
    try {
      const res = await fetch(`${this.get(label).url}/ready`, { signal: AbortSignal.timeout(3000), headers: { connection: 'close' } });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** Waits until every listed process answers /ready with `status`. */
  async waitReady(labels: readonly string[], status = 200, timeoutMs = 15_000): Promise<void> {
    await Promise.all(labels.map((l) => waitFor(async () => (await this.readyStatus(l)) === status, timeoutMs, 100, `${l} /ready ${status}`)));
  }

  /** POST /api/<method> on the api process. */
  async api(method: string, params: Json, label = 'api'): Promise<ApiReply> {
    const res = await fetch(`${this.get(label).url}/api/${method}`, {
      method: 'POST',
      body: JSON.stringify(params),
      headers: { 'X-API-Key': API_KEY, 'content-type': 'application/json', connection: 'close' },
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as ApiReply['body'] };
  }

  /** `result` of a successful API call; throws on anything else. */
  async apiResult<T = Json>(method: string, params: Json): Promise<T> {
    const r = await this.api(method, params);
    if (r.status !== 200 || r.body.error) throw new Error(`${method}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.result as T;
  }

  /** Processes that exited although nobody stopped them (`label: how`); empty while all run. */
  exited(): string[] {
    return [...this.procs.values()].filter((e) => e.exit !== undefined).map((e) => `${e.label}: ${e.exit}\n${e.proc.stderr}`);
  }

  /** Stops one process (SIGTERM, or `signal`) and forgets it; resolves with its exit code. */
  async stopProcess(label: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const proc = this.get(label);
    this.procs.delete(label);
    return proc.stop(signal, 10_000);
  }

  /**
   * An SDK client (JSON or protobuf build) behind `balancer`, with short reconnect delays; closed
   * by stop(). Not connected yet.
   */
  client(balancer: EdgeBalancer, protocol: CentrifugeProtocol, user: string, opts: Partial<Options> = {}): Centrifuge {
    const c = createCentrifuge(balancer.urls[0]!, {
      protocol,
      token: token(user),
      websocket: balancer.websocket(),
      minReconnectDelay: 100,
      maxReconnectDelay: 500,
      ...opts,
    });
    this.clients.push(c);
    return c;
  }

  /** client() connected. */
  async connectedClient(balancer: EdgeBalancer, protocol: CentrifugeProtocol, user: string, opts: Partial<Options> = {}): Promise<Centrifuge> {
    const c = this.client(balancer, protocol, user, opts);
    const connected = waitForEvent<{ client: string }>(c, 'connected', 10_000);
    c.connect();
    this.ids.set(c, (await connected).client);
    return c;
  }

  /** The client id the server gave `client` on its first connect by connectedClient(). */
  clientId(client: Centrifuge): string {
    const id = this.ids.get(client);
    if (!id) throw new Error('not connected through connectedClient()');
    return id;
  }

  /** Disconnects every client made so far. */
  disconnectClients(): void {
    for (const c of this.clients.splice(0)) c.disconnect();
  }

  /** Disconnects every client, stops every process (SIGTERM), then the servers; removes the config. */
  async stop(): Promise<void> {
    this.disconnectClients();
    await Promise.all([...this.procs.values()].map((e) => e.proc.stop('SIGTERM', 5000).catch(() => null)));
    this.procs.clear();
    await Promise.all([this.nats.stop(), this.redis.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Output of every process, for failure messages. */
  output(): string {
    return [...this.procs.values()].map((e) => `--- ${e.label}\n${e.proc.stdout}${e.proc.stderr}`).join('\n');
  }
}
