/**
 * The legacy single endpoint `POST /api` (server.md §1.6; Centrifugo keeps it until v7, cent.js
 * `pipeline` uses it): the body is a stream of JSON objects `{"id"?, "method", "params"}`
 * (concatenated or newline-separated), executed in order; the answer is one JSON object per
 * command, newline-separated: `{"id"?, "error"?, "result"?}`.
 *
 * Centrifugo's quirks are kept on purpose:
 * - `method` is a name matched case-insensitively (`"publish"`, `"PRESENCE_STATS"`) or a number
 *   (0 publish … 12 refresh, 14-32 PRO, 33-39 map / shared poll); a missing method is 0, publish;
 *   a string that is no known name is a decode error (400 for the whole request);
 * - params that do not decode (or are missing, except for info) answer that command 107; unknown
 *   and PRO methods answer 104;
 * - an empty body, or a malformed command anywhere in the stream, answers 400 `Bad Request`;
 *   commands before the malformed one have run by then.
 */
import { create } from '@bufbuild/protobuf';
import type { Logger } from '@gyre/observability';
import { api } from '@gyre/protocol';
import { decodeJson, encodeJson, goFoldKey } from './codec.js';
import { ApiErrors, type ApiError } from './errors.js';
import { METHODS, type Executor, type Outcome } from './executor.js';
import { Responder, STATUS } from './http_io.js';
import { JsonEncodeError, JsonOut, JsonScanner, JsonSyntaxError, JsonTypeError, goQuote } from './json.js';

/** Centrifugo's Command_MethodType enum of the legacy API. */
export const LEGACY_METHOD_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['PUBLISH', 0], ['BROADCAST', 1], ['UNSUBSCRIBE', 2], ['DISCONNECT', 3], ['PRESENCE', 4], ['PRESENCE_STATS', 5],
  ['HISTORY', 6], ['HISTORY_REMOVE', 7], ['CHANNELS', 8], ['INFO', 9], ['RPC', 10], ['SUBSCRIBE', 11], ['REFRESH', 12],
  ['CONNECTIONS', 14], ['UPDATE_USER_STATUS', 15], ['GET_USER_STATUS', 16], ['DELETE_USER_STATUS', 17], ['BLOCK_USER', 18],
  ['UNBLOCK_USER', 19], ['REVOKE_TOKEN', 20], ['INVALIDATE_USER_TOKENS', 21], ['DEVICE_REGISTER', 22], ['DEVICE_UPDATE', 23],
  ['DEVICE_REMOVE', 24], ['DEVICE_LIST', 25], ['DEVICE_TOPIC_LIST', 26], ['DEVICE_TOPIC_UPDATE', 27], ['USER_TOPIC_LIST', 28],
  ['USER_TOPIC_UPDATE', 29], ['SEND_PUSH_NOTIFICATION', 30], ['UPDATE_PUSH_STATUS', 31], ['CANCEL_PUSH', 32],
  ['MAP_PUBLISH', 33], ['MAP_REMOVE', 34], ['MAP_READ_STATE', 35], ['MAP_READ_STREAM', 36], ['MAP_STATS', 37], ['MAP_CLEAR', 38],
  ['SHARED_POLL_PUBLISH', 39],
]);

/** Method number → OSS method name (PRO numbers are absent: 104). */
const LEGACY_OSS: ReadonlyMap<number, string> = new Map(
  [...LEGACY_METHOD_NUMBERS].filter(([name]) => METHODS.has(name.toLowerCase())).map(([name, n]) => [n, name.toLowerCase()]),
);

const ATOI = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Centrifugo's CommandMethodType.UnmarshalJSON on the raw token: a quoted known name, else
 * strconv.Atoi of the raw text, truncated to int32 like the Go conversion.
 */
export function parseLegacyMethod(raw: string): number {
  if (raw.length > 2) {
    const named = LEGACY_METHOD_NUMBERS.get(raw.slice(1, -1).toUpperCase());
    if (named !== undefined) return named;
  }
  if (!ATOI.test(raw)) throw new JsonTypeError(`invalid method ${raw}`);
  const v = BigInt(raw);
  if (v < INT64_MIN || v > INT64_MAX) throw new JsonTypeError(`method ${raw} out of range`);
  return Number(BigInt.asIntN(32, v));
}

interface LegacyCommand {
  id: number;
  method: number;
  params: Uint8Array | undefined;
}

const FIELDS = new Map([['ID', 'id'], ['METHOD', 'method'], ['PARAMS', 'params']]);

/** Reads one command object (or `null`, which Go decodes to a zero command: publish, no params). */
export function readLegacyCommand(sc: JsonScanner): LegacyCommand {
  const cmd: LegacyCommand = { id: 0, method: 0, params: undefined };
  const kind = sc.kind();
  if (kind === 'null') {
    sc.readLiteral('null');
    return cmd;
  }
  if (kind !== 'object') throw new JsonTypeError(`cannot unmarshal ${kind} into a command`);
  sc.expect(0x7b);
  if (sc.consume(0x7d)) return cmd;
  for (;;) {
    const key = sc.readString();
    sc.expect(0x3a);
    const field = FIELDS.get(goFoldKey(key));
    if (field === 'params') {
      cmd.params = sc.readRaw(1);
    } else if (field === 'method') {
      const [start, end] = sc.skipValue(1);
      cmd.method = parseLegacyMethod(Buffer.from(sc.buf.buffer, sc.buf.byteOffset + start, end - start).toString('latin1'));
    } else if (field === 'id') {
      const k = sc.kind();
      if (k === 'null') {
        sc.readLiteral('null');
      } else {
        if (k !== 'number') throw new JsonTypeError(`cannot unmarshal ${k} into id`);
        const text = sc.readNumber();
        if (!/^(?:0|[1-9][0-9]*)$/.test(text) || BigInt(text) > 0xffffffffn) throw new JsonTypeError(`cannot unmarshal number ${text} into id`);
        cmd.id = Number(text);
      }
    } else {
      sc.skipValue(1);
    }
    if (sc.consume(0x2c)) continue;
    sc.expect(0x7d);
    return cmd;
  }
}

async function runCommand(executor: Executor, cmd: LegacyCommand): Promise<{ error?: ApiError; result?: Buffer }> {
  const name = LEGACY_OSS.get(cmd.method);
  const method = name === undefined ? undefined : METHODS.get(name);
  if (!method) return { error: ApiErrors.notFound };
  let req;
  if (method.name === 'info') {
    req = create(api.InfoRequestSchema);
  } else {
    if (cmd.params === undefined) return { error: ApiErrors.badRequest };
    try {
      req = decodeJson(method.request, cmd.params);
    } catch (err) {
      if (err instanceof JsonSyntaxError || err instanceof JsonTypeError) return { error: ApiErrors.badRequest };
      throw err;
    }
  }
  const out: Outcome = await executor.call(method, req, 'http');
  if (out.error) return { error: out.error };
  return { result: encodeJson(method.result, out.result) };
}

export async function handleLegacy(executor: Executor, body: Buffer, reply: Responder, logger: Logger): Promise<void> {
  if (body.length === 0) {
    reply.plain(STATUS.badRequest);
    return;
  }
  const sc = new JsonScanner(body);
  const out = new JsonOut();
  let count = 0;
  while (!sc.atEnd()) {
    let cmd: LegacyCommand;
    try {
      cmd = readLegacyCommand(sc);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError || err instanceof JsonTypeError)) throw err;
      logger.info({ err: err.message }, 'error decoding legacy API data');
      reply.plain(STATUS.badRequest);
      return;
    }
    let rep: { error?: ApiError; result?: Buffer };
    try {
      rep = await runCommand(executor, cmd);
    } catch (err) {
      if (!(err instanceof JsonEncodeError)) throw err;
      logger.error({ err: err.message }, 'error encoding legacy API reply');
      reply.plain(STATUS.internal);
      return;
    }
    if (count > 0) out.str('\n');
    count++;
    const parts: string[] = [];
    if (cmd.id !== 0) parts.push(`"id":${cmd.id}`);
    if (rep.error) parts.push(`"error":{"code":${rep.error.code},"message":${goQuote(rep.error.message)}}`);
    out.str('{' + parts.join(','));
    if (rep.result) out.str((parts.length > 0 ? ',' : '') + '"result":').bytes(rep.result);
    out.str('}');
  }
  reply.json(STATUS.ok, out.finish());
}
