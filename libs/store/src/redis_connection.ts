// One Redis connection shared by the Redis stores, and the Lua scripts they run on it.
//
// What must hold:
// - A call fails fast while Redis is down (StoreUnavailableError, mapped to error 100 by callers)
//   instead of queueing: no offline queue, in-flight commands are rejected when the connection drops
//   and never re-sent after a reconnect (an append re-sent blindly could be appended twice).
// - The connection reconnects forever with a capped backoff; the stores work again once Redis is back.
// - Scripts are files (lua/*.lua), loaded with SCRIPT LOAD on every (re)connect before any command
//   can be sent on the new connection, and run with EVALSHA; a NOSCRIPT reply (SCRIPT FLUSH, a
//   failover to a replica without the script) loads the script again and retries once.
// - Commands go out on one connection in call order, so appends to a channel complete in the order
//   Redis executed them: the service's broadcasts follow stream order.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { StoreError, StoreUnavailableError } from './errors.js';

/** A Lua script from src/lua/, identified by the SHA1 Redis will know it by. */
export class LuaScript {
  readonly sha: string;

  private constructor(readonly name: string, readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  private static readonly cache = new Map<string, LuaScript>();

  /**
   * Loads `src/lua/<name>.lua`. The path is resolved from the package root, so it is the same file
   * whether this module runs from src/ (tsx) or from the emitted dist/.
   */
  static file(name: string): LuaScript {
    let script = LuaScript.cache.get(name);
    if (!script) {
      script = new LuaScript(name, readFileSync(new URL(`../src/lua/${name}.lua`, import.meta.url), 'utf8'));
      LuaScript.cache.set(name, script);
    }
    return script;
  }
}

export interface RedisConnectionOptions {
  /** `redis://[user:pass@]host:port[/db]`, `rediss://...` (TLS) or `host:port`. */
  address: string;
  /** How long one connection attempt may take (Centrifugo `connect_timeout`, default 1000 ms). */
  connectTimeoutMs?: number;
  /** How long a command may wait for its reply (Centrifugo `io_timeout`, default 4000 ms). */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME. */
  clientName?: string;
  /** Upper bound of the reconnect backoff (default 1000 ms). */
  maxReconnectDelayMs?: number;
}

/** Errors that mean "Redis cannot serve right now" rather than "this command is wrong". */
function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return /Connection is closed|Stream isn't writeable|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|LOADING|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN/i.test(err.message);
}

function normalizeAddress(address: string): string {
  return /^[a-z+]+:\/\//i.test(address) ? address : `redis://${address}`;
}

export class RedisConnection {
  readonly client: Redis;
  private readonly scripts = new Map<string, LuaScript>();
  private closed = false;

  constructor(opts: RedisConnectionOptions) {
    const maxDelay = opts.maxReconnectDelayMs ?? 1000;
    this.client = new Redis(normalizeAddress(opts.address), {
      lazyConnect: false,
      connectTimeout: opts.connectTimeoutMs ?? 1000,
      commandTimeout: opts.commandTimeoutMs ?? 4000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
      ...(opts.clientName ? { connectionName: opts.clientName } : {}),
    });
    // Errors surface through the calls; an 'error' listener keeps them from crashing the process.
    this.client.on('error', () => {});
    // 'ready' fires before the client accepts commands from callers, so these SCRIPT LOADs are the
    // first commands on every new connection.
    this.client.on('ready', () => {
      for (const script of this.scripts.values()) this.client.script('LOAD', script.source).catch(() => {});
    });
  }

  /** Makes `script` known to this connection (loaded now if connected, and after every reconnect). */
  register(script: LuaScript): LuaScript {
    if (!this.scripts.has(script.sha)) {
      this.scripts.set(script.sha, script);
      if (this.client.status === 'ready') this.client.script('LOAD', script.source).catch(() => {});
    }
    return script;
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Resolves once the connection is ready; rejects with StoreUnavailableError after timeoutMs. */
  async waitReady(timeoutMs: number): Promise<void> {
    if (this.ready) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new StoreUnavailableError(`redis not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  /** Runs a registered script with EVALSHA (binary-safe replies: bulk strings come back as Buffers). */
  async run(script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | Buffer | Uint8Array>): Promise<unknown> {
    this.checkOpen();
    this.register(script);
    const argv = [script.sha, keys.length, ...keys, ...args.map((a) => (typeof a === 'string' || Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength)))];
    try {
      return await this.client.callBuffer('evalsha', ...argv);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        try {
          await this.client.script('LOAD', script.source);
          return await this.client.callBuffer('evalsha', ...argv);
        } catch (retryErr) {
          throw this.mapError(retryErr, script.name);
        }
      }
      throw this.mapError(err, script.name);
    }
  }

  /** Any other command, with the same error mapping. */
  async command<T>(what: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await fn(this.client);
    } catch (err) {
      throw this.mapError(err, what);
    }
  }

  /** Round trip to Redis; rejects with StoreUnavailableError when it does not answer. */
  async ping(): Promise<void> {
    await this.command('ping', (c) => c.ping());
  }

  /** Closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreUnavailableError('redis connection is closed');
  }

  private mapError(err: unknown, what: string): Error {
    const message = err instanceof Error ? err.message : String(err);
    if (isUnavailable(err) || !this.ready) return new StoreUnavailableError(`redis ${what}: ${message}`, { cause: err });
    return new StoreError(`redis ${what}: ${message}`, { cause: err });
  }
}
