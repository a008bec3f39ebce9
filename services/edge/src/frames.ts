/**
 * The two wire encodings of the client protocol (client-protocol.md §2.2–2.4), behind one small
 * interface so that the connection code never branches on the protocol:
 *
 * - JSON: text frames, Commands / Replies joined by `\n` (no trailing newline); `bytes` fields are
 *   embedded raw JSON. A reply whose bytes are not JSON throws ProtocolEncodeError (→ 3506).
 * - Protobuf: binary frames, every message varint length-prefixed, even a single one.
 *
 * Frames leave as `string` (JSON) or `Uint8Array` (protobuf) and are handed to uWS as they are: one
 * conversion to UTF-8 in C++, never one per subscriber.
 */
import {
  decodeCommandsJson,
  decodeCommandsProtobuf,
  encodePublicationPushJson,
  encodePublicationPushProtobuf,
  encodeReplyJson,
  encodeReplyProtobuf,
  type Command,
  type Publication,
  type Reply,
} from '@gyre/protocol';

export type Frame = string | Uint8Array;

export interface Encoding {
  readonly name: 'json' | 'protobuf';
  /** WebSocket frame type: false = text (JSON), true = binary (protobuf). */
  readonly binary: boolean;
  /**
   * Index of this encoding in the hub's per-encoding arrays: 0 JSON, 1 protobuf, 2 and 3 their
   * unidirectional forms (bare Pushes, frames_uni.ts). One topic-name letter per slot, see hub.ts.
   */
  readonly slot: 0 | 1 | 2 | 3;
  readonly topicLetter: 'j' | 'p' | 'u' | 'g';
  /** The empty Reply that is a server ping: `{}` / `0x00`. */
  readonly pingFrame: Frame;
  /** Throws ProtocolDecodeError on anything malformed. */
  decode(frame: Uint8Array): Command[];
  /** One Reply as one frame part (throws ProtocolEncodeError for non-JSON bytes in JSON mode). */
  encodeReply(reply: Reply, dataAsString?: boolean): Frame;
  /** Joins encoded parts into one frame (JSON: `\n`; protobuf: concatenation). */
  join(parts: readonly Frame[]): Frame;
  /** `{"push":{"channel":…,"pub":{…}}}` for fan-out; dataAsString for JSON delta subscribers. */
  encodePublication(channel: string, pub: Publication, dataAsString?: boolean): Frame;
  /** Size in bytes of an encoded part (for queue accounting). */
  size(part: Frame): number;
}

const AS_STRING = { publicationDataAsString: true } as const;

export const jsonEncoding: Encoding = {
  name: 'json',
  binary: false,
  slot: 0,
  topicLetter: 'j',
  pingFrame: '{}',
  decode: (frame) => decodeCommandsJson(frame),
  encodeReply: (reply, dataAsString) => (dataAsString ? encodeReplyJson(reply, AS_STRING) : encodeReplyJson(reply)),
  join: (parts) => (parts.length === 1 ? parts[0]! : (parts as string[]).join('\n')),
  encodePublication: (channel, pub, dataAsString) =>
    dataAsString ? encodePublicationPushJson(channel, pub, AS_STRING) : encodePublicationPushJson(channel, pub),
  size: (part) => (part as string).length,
};

const PING_PROTOBUF = new Uint8Array([0]);

export const protobufEncoding: Encoding = {
  name: 'protobuf',
  binary: true,
  slot: 1,
  topicLetter: 'p',
  pingFrame: PING_PROTOBUF,
  decode: (frame) => decodeCommandsProtobuf(frame),
  encodeReply: (reply) => encodeReplyProtobuf(reply),
  join: (parts) => (parts.length === 1 ? parts[0]! : Buffer.concat(parts as Uint8Array[])),
  encodePublication: (channel, pub) => encodePublicationPushProtobuf(channel, pub),
  size: (part) => (part as Uint8Array).byteLength,
};

/**
 * Which encoding a WebSocket upgrade asks for (§2.1): subprotocol `centrifuge-protobuf`, or
 * `format=protobuf` / `cf_protocol=protobuf` in the query; JSON otherwise. Returns the subprotocol
 * to answer with ('' when the client offered none we speak).
 */
export function selectEncoding(offeredProtocols: string, query: string): { encoding: Encoding; subprotocol: string } {
  let subprotocol = '';
  let protobuf = false;
  if (offeredProtocols !== '') {
    for (const raw of offeredProtocols.split(',')) {
      const p = raw.trim();
      if (p === 'centrifuge-protobuf') {
        subprotocol = p;
        protobuf = true;
        break;
      }
      if (p === 'centrifuge-json' && subprotocol === '') subprotocol = p;
    }
  }
  if (!protobuf && query !== '') {
    const params = new URLSearchParams(query);
    if (params.get('format') === 'protobuf' || params.get('cf_protocol') === 'protobuf') protobuf = true;
  }
  return { encoding: protobuf ? protobufEncoding : jsonEncoding, subprotocol };
}
