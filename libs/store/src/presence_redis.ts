// PresenceStore in Redis (cluster mode), in Centrifugo's Redis layout (server.md §3.3):
//   P.presence.data.<ch>          HASH client id -> protobuf ClientInfo
//   P.presence.expire.<ch>        ZSET client id scored by its expire-at, Unix seconds
//   P.presence.user.expire.<ch>   ZSET user id scored by expire-at    } only with presence_user_mapping,
//   P.presence.user.clients.<ch>  HASH user id -> number of clients   } which makes stats O(1)
// Reads drop expired entries first (src/lua/presence_*.lua); the keys themselves expire when nobody
// refreshes them, so an abandoned channel leaves nothing behind. Expire-at scores carry milliseconds
// as a fraction (Centrifugo writes whole seconds; both read the same), TTLs are PEXPIRE.
//
// Not implemented: `presence_hash_field_ttl` (HEXPIRE, Redis >= 7.4), Redis Cluster hash tags, sharding.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { protocol } from '@gyre/protocol';
import { StoreClosedError, StoreError } from './errors.js';
import type { PingableStore } from './ping.js';
import { DEFAULT_PRESENCE_TTL_MS, type PresenceStats, type PresenceStore } from './presence.js';
import type { ClientInfoRecord } from './records.js';
import { LuaScript, RedisConnection, type RedisConnectionOptions } from './redis_connection.js';
import { clientInfoFromProto, clientInfoToProto } from './state_protocol.js';

export interface RedisPresenceStoreOptions {
  /** A shared connection (not closed by close()), or `address` for a connection of its own. */
  connection?: RedisConnection;
  address?: string;
  connectionOptions?: Omit<RedisConnectionOptions, 'address'>;
  /** Key prefix (Centrifugo `engine.redis.prefix`, default `centrifugo`). */
  prefix?: string;
  /** TTL of an entry when addPresence passes none (Centrifugo `presence_ttl`, default 60 s). */
  presenceTtlMs?: number;
  /** Maintain the per-user keys (Centrifugo `presence_user_mapping`). */
  userMapping?: boolean;
}

const ADD = LuaScript.file('presence_add');
const REMOVE = LuaScript.file('presence_remove');
const GET = LuaScript.file('presence_get');
const STATS = LuaScript.file('presence_stats');

function seconds(unixMs: number): string {
  return (unixMs / 1000).toFixed(3);
}

export class RedisPresenceStore implements PresenceStore, PingableStore {
  readonly connection: RedisConnection;
  private readonly ownsConnection: boolean;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly userMapping: boolean;
  private closed = false;

  constructor(opts: RedisPresenceStoreOptions) {
    if (opts.connection) {
      this.connection = opts.connection;
      this.ownsConnection = false;
    } else if (opts.address) {
      this.connection = new RedisConnection({ ...opts.connectionOptions, address: opts.address });
      this.ownsConnection = true;
    } else {
      throw new TypeError('RedisPresenceStore needs a connection or an address');
    }
    this.prefix = opts.prefix ?? 'centrifugo';
    this.ttlMs = opts.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
    this.userMapping = opts.userMapping ?? false;
    for (const script of [ADD, REMOVE, GET, STATS]) this.connection.register(script);
  }

  /** [expire zset, data hash, user zset, user hash] of a channel. */
  keys(channel: string): [string, string, string, string] {
    const p = this.prefix;
    return [`${p}.presence.expire.${channel}`, `${p}.presence.data.${channel}`, `${p}.presence.user.expire.${channel}`, `${p}.presence.user.clients.${channel}`];
  }

  async addPresence(channel: string, clientId: string, info: ClientInfoRecord, ttlMs?: number): Promise<void> {
    this.checkOpen();
    const ttl = ttlMs !== undefined && ttlMs > 0 ? ttlMs : this.ttlMs;
    const payload = toBinary(protocol.ClientInfoSchema, clientInfoToProto(info));
    await this.connection.run(ADD, this.keys(channel), [
      String(Math.max(1, Math.ceil(ttl))),
      seconds(Date.now() + ttl),
      clientId,
      Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      info.user,
      this.userMapping ? '1' : '0',
    ]);
  }

  async removePresence(channel: string, clientId: string, userId: string): Promise<void> {
    this.checkOpen();
    await this.connection.run(REMOVE, this.keys(channel), [clientId, userId, this.userMapping ? '1' : '0']);
  }

  async presence(channel: string): Promise<Map<string, ClientInfoRecord>> {
    this.checkOpen();
    const [zset, hash] = this.keys(channel);
    const reply = await this.connection.run(GET, [zset, hash], [seconds(Date.now())]);
    if (!Array.isArray(reply) || reply.length % 2 !== 0) throw new StoreError('malformed reply of presence_get');
    const out = new Map<string, ClientInfoRecord>();
    for (let i = 0; i < reply.length; i += 2) {
      const client = (reply[i] as Buffer).toString('utf8');
      try {
        out.set(client, clientInfoFromProto(fromBinary(protocol.ClientInfoSchema, reply[i + 1] as Buffer)));
      } catch (err) {
        throw new StoreError(`presence entry of ${JSON.stringify(client)} is not a ClientInfo`, { cause: err });
      }
    }
    return out;
  }

  async presenceStats(channel: string): Promise<PresenceStats> {
    this.checkOpen();
    if (!this.userMapping) {
      // As Centrifugo without user mapping: read the entries and count.
      const entries = await this.presence(channel);
      const users = new Set<string>();
      for (const info of entries.values()) users.add(info.user);
      return { numClients: entries.size, numUsers: users.size };
    }
    const reply = await this.connection.run(STATS, this.keys(channel), [seconds(Date.now())]);
    if (!Array.isArray(reply) || reply.length !== 2) throw new StoreError('malformed reply of presence_stats');
    return { numClients: Number(reply[0]), numUsers: Number(reply[1]) };
  }

  async ping(): Promise<void> {
    this.checkOpen();
    await this.connection.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsConnection) await this.connection.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError('presence store');
  }
}
