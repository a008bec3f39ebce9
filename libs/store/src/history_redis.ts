// HistoryStore in Redis (cluster mode), in Centrifugo's Redis layout (server.md §3.3) so that the
// data is what a Centrifugo node with the same prefix reads and writes:
//   P.stream.<ch>        STREAM, entry id `<offset>-0`, field `d` = protobuf Publication (data, info,
//                        tags, time; no offset), XADD MAXLEN <size> (exact), expiring history_ttl
//                        after the latest append
//   P.stream.meta.<ch>   HASH e = epoch, s = top offset, v / ve = last version and its epoch,
//                        expiring history_meta_ttl after the latest append or read
//   P.result.<ch>.<key>  HASH e, s = the first result of an idempotency key (e = '' without history)
// Every operation is one Lua script (src/lua/history_*.lua), so appends are atomic per channel.
// TTLs are set with PEXPIRE in milliseconds: whole-second TTLs (all Centrifugo allows) behave
// exactly as Centrifugo's EXPIRE, and sub-second ones work too.
//
// Differences from Centrifugo, on purpose: Gyre broadcasts over NATS, so the scripts do not PUBLISH
// to `P.client.<ch>`; Redis Cluster hash tags, sharding and LIST mode (`history_use_lists`) are not
// implemented; the delta flag of a stored publication is not persisted (Centrifugo does not persist
// it either).
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { protocol } from '@gyre/protocol';
import { generateEpoch } from './epoch.js';
import { StoreClosedError, StoreError } from './errors.js';
import {
  DEFAULT_HISTORY_META_TTL_MS,
  DEFAULT_IDEMPOTENT_RESULT_TTL_MS,
  UnrecoverablePositionError,
  validateHistoryFilter,
  type AddPublicationOptions,
  type AddPublicationResult,
  type HistoryFilter,
  type HistoryOptions,
  type HistoryResult,
  type HistoryStore,
  type StoredPublication,
} from './history.js';
import type { PingableStore } from './ping.js';
import { LuaScript, RedisConnection, type RedisConnectionOptions } from './redis_connection.js';
import { publicationFromProto, publicationToProto } from './state_protocol.js';

export interface RedisHistoryStoreOptions {
  /** A shared connection (not closed by close()), or `address` for a connection of its own. */
  connection?: RedisConnection;
  address?: string;
  connectionOptions?: Omit<RedisConnectionOptions, 'address'>;
  /** Key prefix (Centrifugo `engine.redis.prefix`, default `centrifugo`). */
  prefix?: string;
  /** Meta TTL used when a call passes 0 (default 720h, Centrifugo's `channel.history_meta_ttl`). */
  defaultMetaTtlMs?: number;
  /** Idempotency key TTL used when a call passes none (default 5 min). */
  defaultIdempotentResultTtlMs?: number;
}

const ADD = LuaScript.file('history_add');
const READ = LuaScript.file('history_read');
const PUBLISH_IDEMPOTENT = LuaScript.file('publish_idempotent');

const NO_POSITION = Object.freeze({ offset: 0n, epoch: '' });

function ms(value: number): string {
  return String(Math.max(1, Math.ceil(value)));
}

function text(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  if (value === null || value === undefined) return '';
  throw new StoreError(`unexpected redis reply element ${typeof value}`);
}

/** `<offset>-<seq>` → offset. */
function offsetOfId(id: unknown): bigint {
  const s = text(id);
  const dash = s.indexOf('-');
  return BigInt(dash < 0 ? s : s.slice(0, dash));
}

function decodeStored(payload: Buffer, offset: bigint): StoredPublication {
  const pub = publicationFromProto(fromBinary(protocol.PublicationSchema, payload));
  pub.offset = offset;
  // Centrifugo never stores the flag; a stray one must not reach clients as "this is a delta".
  delete pub.delta;
  return Object.freeze(pub);
}

/** A stream entry as XRANGE returns it: [id, [field, value, ...]]. */
function decodeEntry(entry: unknown): StoredPublication {
  if (!Array.isArray(entry) || entry.length !== 2 || !Array.isArray(entry[1])) throw new StoreError('malformed stream entry');
  const fields = entry[1] as unknown[];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (text(fields[i]) === 'd') return decodeStored(fields[i + 1] as Buffer, offsetOfId(entry[0]));
  }
  throw new StoreError('stream entry without a `d` field');
}

export class RedisHistoryStore implements HistoryStore, PingableStore {
  readonly connection: RedisConnection;
  private readonly ownsConnection: boolean;
  private readonly prefix: string;
  private readonly defaultMetaTtlMs: number;
  private readonly defaultResultTtlMs: number;
  private closed = false;

  constructor(opts: RedisHistoryStoreOptions) {
    if (opts.connection) {
      this.connection = opts.connection;
      this.ownsConnection = false;
    } else if (opts.address) {
      this.connection = new RedisConnection({ ...opts.connectionOptions, address: opts.address });
      this.ownsConnection = true;
    } else {
      throw new TypeError('RedisHistoryStore needs a connection or an address');
    }
    this.prefix = opts.prefix ?? 'centrifugo';
    this.defaultMetaTtlMs = opts.defaultMetaTtlMs ?? DEFAULT_HISTORY_META_TTL_MS;
    this.defaultResultTtlMs = opts.defaultIdempotentResultTtlMs ?? DEFAULT_IDEMPOTENT_RESULT_TTL_MS;
    for (const script of [ADD, READ, PUBLISH_IDEMPOTENT]) this.connection.register(script);
  }

  streamKey(channel: string): string {
    return `${this.prefix}.stream.${channel}`;
  }

  metaKey(channel: string): string {
    return `${this.prefix}.stream.meta.${channel}`;
  }

  resultKey(channel: string, idempotencyKey: string): string {
    return `${this.prefix}.result.${channel}.${idempotencyKey}`;
  }

  async addPublication(channel: string, pub: Omit<StoredPublication, 'offset'>, opts: AddPublicationOptions): Promise<AddPublicationResult> {
    this.checkOpen();
    const stored: Omit<StoredPublication, 'offset'> = { ...pub, time: pub.time ?? BigInt(Date.now()) };
    const key = opts.idempotencyKey ?? '';
    const resultTtl = key !== '' ? ms(opts.idempotentResultTtlMs && opts.idempotentResultTtlMs > 0 ? opts.idempotentResultTtlMs : this.defaultResultTtlMs) : '';

    if (!(opts.historySize > 0 && opts.historyTtlMs > 0)) {
      if (key !== '') {
        const first = await this.connection.run(PUBLISH_IDEMPOTENT, [this.resultKey(channel, key)], [resultTtl]);
        if (Number(first) !== 1) return { position: { ...NO_POSITION }, suppressed: true, suppressReason: 'idempotency' };
      }
      return { position: { ...NO_POSITION }, publication: Object.freeze({ ...stored, offset: 0n }), suppressed: false };
    }

    const payload = toBinary(protocol.PublicationSchema, publicationToProto({ ...stored, delta: false }));
    const version = opts.version !== undefined && opts.version > 0n ? opts.version.toString() : '0';
    const reply = await this.connection.run(
      ADD,
      [this.streamKey(channel), this.metaKey(channel), this.resultKey(channel, key)],
      [
        Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        String(Math.trunc(opts.historySize)),
        ms(opts.historyTtlMs),
        ms(opts.historyMetaTtlMs > 0 ? opts.historyMetaTtlMs : this.defaultMetaTtlMs),
        generateEpoch(),
        resultTtl,
        opts.useDelta ? '1' : '0',
        version,
        opts.versionEpoch ?? '',
      ],
    );
    if (!Array.isArray(reply) || reply.length !== 5) throw new StoreError('malformed reply of history_add');
    const position = { offset: BigInt(text(reply[0]) || '0'), epoch: text(reply[1]) };
    const reason = text(reply[2]);
    if (reason === 'idempotency' || reason === 'version') return { position, suppressed: true, suppressReason: reason };
    const result: AddPublicationResult = { position, publication: Object.freeze({ ...stored, offset: position.offset }), suppressed: false };
    const prevOffset = BigInt(text(reply[3]) || '0');
    if (opts.useDelta && prevOffset > 0n) result.previous = decodeStored(reply[4] as Buffer, prevOffset);
    return result;
  }

  async history(channel: string, filter: HistoryFilter, opts: HistoryOptions): Promise<HistoryResult> {
    this.checkOpen();
    validateHistoryFilter(filter);
    let mode = '0';
    let from = '0';
    if (filter.limit !== 0) {
      if (!filter.reverse) {
        mode = 'f';
        from = filter.since ? (filter.since.offset + 1n).toString() : '0';
      } else if (!filter.since) {
        mode = 'r';
        from = '';
      } else if (filter.since.offset > 1n) {
        mode = 'r';
        from = (filter.since.offset - 1n).toString();
      }
    }
    const reply = await this.connection.run(
      READ,
      [this.streamKey(channel), this.metaKey(channel)],
      [mode, from, filter.limit > 0 ? String(filter.limit) : '0', ms(opts.metaTtlMs > 0 ? opts.metaTtlMs : this.defaultMetaTtlMs), generateEpoch()],
    );
    if (!Array.isArray(reply) || reply.length !== 3 || !Array.isArray(reply[2])) throw new StoreError('malformed reply of history_read');
    const position = { offset: BigInt(text(reply[0]) || '0'), epoch: text(reply[1]) };
    const since = filter.since;
    if (since && since.epoch !== '' && since.epoch !== position.epoch) throw new UnrecoverablePositionError(position);
    return { position, publications: (reply[2] as unknown[]).map(decodeEntry) };
  }

  /** Drops the stream, keeps the meta (epoch and top): clients keep their position. */
  async removeHistory(channel: string): Promise<void> {
    this.checkOpen();
    await this.connection.command('del', (c) => c.del(this.streamKey(channel)));
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
    if (this.closed) throw new StoreClosedError('history store');
  }
}
