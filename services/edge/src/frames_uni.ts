/**
 * The encodings of the unidirectional transports (client-protocol.md §8): the connection code
 * produces Replies as on any transport, and these encode each one as the bare Push it carries.
 *
 * - A Reply with a push → that Push; the connect Reply → a `connect` Push with the same fields
 *   (client, version, data, subs, expires, ttl, ping, session, ...); the empty Reply (a server
 *   ping) → the empty Push, `{}` in JSON and zero bytes in protobuf.
 * - Error Replies never reach here: a unidirectional connect error becomes a disconnect
 *   (client.ts replyError, uni.ts).
 * - Nothing is decoded: a unidirectional client sends one ConnectRequest, read by its transport.
 *
 * JSON (uni_websocket, uni_sse, uni_http_stream) is slot 2, protobuf (uni_grpc) slot 3 of the
 * hub's encodings, each with its own topics, so fan-out encodes a bare Push once per publication.
 */
import {
  ProtocolDecodeError,
  create,
  encodePublicationUniPushJson,
  encodePublicationUniPushProtobuf,
  encodePushJson,
  encodePushProtobuf,
  messages,
  protocol,
  type Push,
  type Reply,
} from '@gyre/protocol';
import type { Encoding, Frame } from './frames.js';

/** The Push a Reply stands for on a unidirectional transport. */
export function uniPush(reply: Reply): Push {
  if (reply.push) return reply.push;
  const push = messages.newPush();
  const r = reply.connect;
  if (r) {
    push.connect = create(protocol.ConnectSchema, {
      client: r.client,
      version: r.version,
      data: r.data,
      subs: r.subs,
      expires: r.expires,
      ttl: r.ttl,
      ping: r.ping,
      pong: r.pong,
      session: r.session,
      node: r.node,
      time: r.time,
    });
    return push;
  }
  if (reply.error) throw new Error('unidirectional transports never send error replies');
  return push;
}

function notDecodable(): never {
  throw new ProtocolDecodeError('unidirectional transports take no commands');
}

export const uniJsonEncoding: Encoding = {
  name: 'json',
  binary: false,
  slot: 2,
  topicLetter: 'u',
  pingFrame: '{}',
  decode: notDecodable,
  encodeReply: (reply) => encodePushJson(uniPush(reply)),
  join: (parts) => (parts.length === 1 ? parts[0]! : (parts as string[]).join('\n')),
  encodePublication: (channel, pub) => encodePublicationUniPushJson(channel, pub),
  size: (part) => (part as string).length,
};

const EMPTY = new Uint8Array(0);

export const uniProtobufEncoding: Encoding = {
  name: 'protobuf',
  binary: true,
  slot: 3,
  topicLetter: 'g',
  pingFrame: EMPTY,
  decode: notDecodable,
  encodeReply: (reply) => encodePushProtobuf(uniPush(reply)),
  join: (parts) => (parts.length === 1 ? parts[0]! : Buffer.concat(parts as Uint8Array[])),
  encodePublication: (channel, pub) => encodePublicationUniPushProtobuf(channel, pub),
  size: (part: Frame) => (part as Uint8Array).byteLength,
};
