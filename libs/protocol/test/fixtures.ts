// Sample messages covering every command, result and push type of the client protocol, with
// every field set to a non-zero value somewhere. Built with protobuf-es `create()` (reflection),
// i.e. independently of the hand-written constructors the codecs use.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import * as pb from '../src/gen/centrifugal/centrifuge/protocol/client_pb.js';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

const info = (user: string, client: string, withInfo = true) =>
  create(pb.ClientInfoSchema, {
    user,
    client,
    connInfo: withInfo ? utf8('{"name":"Alice"}') : new Uint8Array(0),
    chanInfo: withInfo ? utf8('["chan",1]') : new Uint8Array(0),
  });

export const fullPublication = (offset = 42n) =>
  create(pb.PublicationSchema, {
    data: utf8('{"input":"hello","n":12345678901234567890}'),
    info: info('u1', 'c1'),
    offset,
    tags: { a: 'b', 'ключ': 'значение' },
    delta: true,
    time: 1_700_000_000_123n,
    channel: 'news:1',
    key: 'k1',
    removed: true,
    score: -17n,
    epoch: 'ep',
    prevData: utf8('{"prev":true}'),
    version: 9n,
  });

const filter = create(pb.FilterNodeSchema, {
  op: 'and',
  nodes: [
    create(pb.FilterNodeSchema, { key: 'ticker', cmp: 'in', vals: ['BTC', 'ETH'] }),
    create(pb.FilterNodeSchema, {
      op: 'not',
      nodes: [create(pb.FilterNodeSchema, { key: 'price', cmp: 'gt', val: '100' })],
    }),
  ],
});

const fullSubscribeRequest = create(pb.SubscribeRequestSchema, {
  channel: 'news',
  token: 'sub-token',
  recover: true,
  epoch: 'ep1',
  offset: 18_446_744_073_709_551_615n,
  data: utf8('{"s":1}'),
  positioned: true,
  recoverable: true,
  joinLeave: true,
  delta: 'fossil',
  tf: filter,
  flag: 3n,
  type: 1,
  phase: 2,
  cursor: 'cur',
  limit: -1,
  asc: true,
});

/** One Command per request type, all fields populated. */
export function allCommands(): pb.Command[] {
  return [
    create(pb.CommandSchema, {
      id: 1,
      connect: create(pb.ConnectRequestSchema, {
        token: 'TOKEN1',
        data: utf8('{"a":1}'),
        subs: {
          news: create(pb.SubscribeRequestSchema, { recover: true, offset: 5n, epoch: 'ep1' }),
          '#user': create(pb.SubscribeRequestSchema, {}),
        },
        name: 'probe',
        version: '9.9',
        headers: { authorization: 'Bearer x', 'x-empty': '' },
        flag: 1n,
        dict: 'dict-id',
        profile: 'chat',
      }),
    }),
    create(pb.CommandSchema, { id: 2, subscribe: fullSubscribeRequest }),
    create(pb.CommandSchema, { id: 3, unsubscribe: create(pb.UnsubscribeRequestSchema, { channel: 'news' }) }),
    create(pb.CommandSchema, {
      id: 4,
      publish: create(pb.PublishRequestSchema, {
        channel: 'news',
        data: utf8('{"x":1}'),
        type: 1,
        key: 'item',
        removed: true,
      }),
    }),
    create(pb.CommandSchema, { id: 5, presence: create(pb.PresenceRequestSchema, { channel: 'p' }) }),
    create(pb.CommandSchema, { id: 6, presenceStats: create(pb.PresenceStatsRequestSchema, { channel: 'ps' }) }),
    create(pb.CommandSchema, {
      id: 7,
      history: create(pb.HistoryRequestSchema, {
        channel: 'h',
        limit: 10,
        since: create(pb.StreamPositionSchema, { offset: 2n, epoch: 'ep1' }),
        reverse: true,
      }),
    }),
    create(pb.CommandSchema, { id: 8, ping: create(pb.PingRequestSchema, {}) }),
    create(pb.CommandSchema, { send: create(pb.SendRequestSchema, { data: utf8('{"z":3}') }) }),
    create(pb.CommandSchema, { id: 9, rpc: create(pb.RPCRequestSchema, { method: 'm', data: utf8('{"y":2}') }) }),
    create(pb.CommandSchema, { id: 10, refresh: create(pb.RefreshRequestSchema, { token: 'TOKEN2' }) }),
    create(pb.CommandSchema, {
      id: 11,
      subRefresh: create(pb.SubRefreshRequestSchema, {
        channel: 'sp',
        token: 'st',
        type: 1,
        track: [
          create(pb.TrackBatchSchema, {
            signature: 'sig',
            items: [create(pb.KeyedItemSchema, { key: 'a', version: 3n }), create(pb.KeyedItemSchema, { key: 'b' })],
          }),
        ],
        untrack: ['c', 'd'],
      }),
    }),
    // Pong: the empty Command.
    create(pb.CommandSchema, {}),
  ];
}

const fullSubscribeResult = () =>
  create(pb.SubscribeResultSchema, {
    expires: true,
    ttl: 60,
    recoverable: true,
    epoch: 'ep1',
    publications: [fullPublication(6n), create(pb.PublicationSchema, { data: utf8('{"v":2}'), offset: 7n })],
    recovered: true,
    offset: 5n,
    positioned: true,
    data: utf8('"sub-data"'),
    wasRecovering: true,
    delta: true,
    id: 77n,
    type: 1,
    phase: 2,
    cursor: 'next',
    state: [create(pb.PublicationSchema, { key: 'k', data: utf8('1') })],
    publishDebounce: 250,
  });

const push = (init: MessageInitShape<typeof pb.PushSchema>) =>
  create(pb.ReplySchema, { push: create(pb.PushSchema, init) });

/** One Reply per result type and per push type, all fields populated. */
export function allReplies(): pb.Reply[] {
  return [
    create(pb.ReplySchema, {
      id: 1,
      error: create(pb.ErrorSchema, { code: 100, message: 'internal server error', temporary: true }),
    }),
    create(pb.ReplySchema, {
      id: 2,
      connect: create(pb.ConnectResultSchema, {
        client: 'cid-1',
        version: '0.0.1',
        expires: true,
        ttl: 3,
        data: utf8('{"welcome":true}'),
        subs: { '#42': fullSubscribeResult(), empty: create(pb.SubscribeResultSchema, {}) },
        ping: 25,
        pong: true,
        session: 'sess',
        node: 'node',
        time: 1_700_000_000_000n,
        flag: 1n,
        dict: create(pb.DictionarySchema, { id: 'abc', data: utf8('{}'), dataB64: 'e30=' }),
      }),
    }),
    create(pb.ReplySchema, { id: 3, subscribe: fullSubscribeResult() }),
    create(pb.ReplySchema, { id: 4, unsubscribe: create(pb.UnsubscribeResultSchema, {}) }),
    create(pb.ReplySchema, { id: 5, publish: create(pb.PublishResultSchema, {}) }),
    create(pb.ReplySchema, {
      id: 6,
      presence: create(pb.PresenceResultSchema, {
        presence: { c1: info('u1', 'c1'), c2: info('', 'c2', false) },
      }),
    }),
    create(pb.ReplySchema, { id: 7, presence: create(pb.PresenceResultSchema, {}) }),
    create(pb.ReplySchema, { id: 8, presenceStats: create(pb.PresenceStatsResultSchema, { numClients: 3, numUsers: 2 }) }),
    create(pb.ReplySchema, { id: 9, presenceStats: create(pb.PresenceStatsResultSchema, {}) }),
    create(pb.ReplySchema, {
      id: 10,
      history: create(pb.HistoryResultSchema, { publications: [fullPublication(1n)], epoch: 'ep', offset: 1n }),
    }),
    create(pb.ReplySchema, { id: 11, history: create(pb.HistoryResultSchema, {}) }),
    create(pb.ReplySchema, { id: 12, ping: create(pb.PingResultSchema, {}) }),
    create(pb.ReplySchema, { id: 13, rpc: create(pb.RPCResultSchema, { data: utf8('[1,2,3]') }) }),
    create(pb.ReplySchema, {
      id: 14,
      refresh: create(pb.RefreshResultSchema, { client: 'c', version: 'v', expires: true, ttl: 10 }),
    }),
    create(pb.ReplySchema, {
      id: 15,
      subRefresh: create(pb.SubRefreshResultSchema, { expires: true, ttl: 20, items: [fullPublication(3n)] }),
    }),
    push({ channel: 'news', pub: fullPublication() }),
    push({ id: 12n, pub: create(pb.PublicationSchema, { data: utf8('{"compact":1}') }) }),
    push({ channel: 'news', join: create(pb.JoinSchema, { info: info('u2', 'c2') }) }),
    push({ channel: 'news', leave: create(pb.LeaveSchema, { info: info('u2', 'c2', false) }) }),
    push({ channel: 'news', unsubscribe: create(pb.UnsubscribeSchema, { code: 2500, reason: 'insufficient state' }) }),
    push({ message: create(pb.MessageSchema, { data: utf8('"hi"') }) }),
    push({
      channel: 'srv',
      subscribe: create(pb.SubscribeSchema, {
        recoverable: true,
        epoch: 'e',
        offset: 4n,
        positioned: true,
        data: utf8('{"d":1}'),
      }),
    }),
    push({
      connect: create(pb.ConnectSchema, {
        client: 'c',
        version: '6.x',
        data: utf8('null'),
        subs: { '#2694': create(pb.SubscribeResultSchema, {}) },
        expires: true,
        ttl: 5,
        ping: 25,
        pong: true,
        session: 's',
        node: 'n',
        time: 5n,
      }),
    }),
    push({ disconnect: create(pb.DisconnectSchema, { code: 3503, reason: 'force disconnect', reconnect: true }) }),
    push({ refresh: create(pb.RefreshSchema, { expires: true, ttl: 30 }) }),
    // Ping: the empty Reply.
    create(pb.ReplySchema, {}),
  ];
}
