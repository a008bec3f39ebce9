/**
 * The few client-protocol commands the load generator sends (connect, subscribe) and the reading of
 * their replies, with @gyre/protocol's codecs. Setup only: the counting path never decodes.
 */
import {
  CommandSchema,
  create,
  decodeRepliesJson,
  decodeRepliesProtobuf,
  encodeCommandsJson,
  encodeCommandsProtobuf,
  type Command,
  type Reply,
} from '@gyre/protocol';
import type { Protocol } from './ws_conn.js';

export function encodeCommands(protocol: Protocol, commands: Command[]): Uint8Array | string {
  return protocol === 'json' ? encodeCommandsJson(commands) : encodeCommandsProtobuf(commands);
}

/** `connect` with a JWT; id 1. */
export function connectCommand(protocol: Protocol, token: string): Uint8Array | string {
  return encodeCommands(protocol, [create(CommandSchema, { id: 1, connect: { token, name: 'gyre-bench' } })]);
}

/** One frame of `subscribe` commands, ids 2, 3, … in channel order. */
export function subscribeCommands(protocol: Protocol, channels: readonly string[]): Uint8Array | string {
  return encodeCommands(
    protocol,
    channels.map((channel, i) => create(CommandSchema, { id: 2 + i, subscribe: { channel } })),
  );
}

export function decodeReplies(protocol: Protocol, msg: Buffer): Reply[] {
  if (protocol === 'json') {
    // A JSON frame may batch replies with `\n`; the server's ping is an empty object.
    return decodeRepliesJson(msg);
  }
  return decodeRepliesProtobuf(msg);
}

/** True for the server's app-level ping: an empty Reply (no id, no result, no push). */
export function isPing(r: Reply): boolean {
  return r.id === 0 && r.push === undefined && r.error === undefined;
}
