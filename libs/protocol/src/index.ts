// @gyre/protocol: generated protobuf types (from proto/), the client frame codecs and the
// protocol codes. Everything a service needs to speak Centrifugo's wire formats and Gyre's bus.

// Generated namespaces (types and `XSchema` descriptors; use with create / toBinary / fromBinary).
/** Centrifugal client protocol, package centrifugal.centrifuge.protocol. */
export * as protocol from './gen/centrifugal/centrifuge/protocol/client_pb.js';
/** Centrifugo server API, package centrifugal.centrifugo.api (HTTP JSON and GRPC). */
export * as api from './gen/centrifugal/centrifugo/api/api_pb.js';
/** Centrifugo proxy protocol, package centrifugal.centrifugo.proxy. */
export * as proxy from './gen/centrifugal/centrifugo/proxy/proxy_pb.js';
/** Unidirectional GRPC transport, package centrifugal.centrifugo.unistream. */
export * as unistream from './gen/centrifugal/centrifugo/unistream/unistream_pb.js';
/** Gyre's internal bus messages, package gyre.v1. */
export * as bus from './gen/gyre/v1/bus_pb.js';

// The client protocol types every service touches, at top level for convenience.
export type {
  ClientInfo,
  Command,
  Publication,
  Push,
  Reply,
  StreamPosition,
} from './gen/centrifugal/centrifuge/protocol/client_pb.js';
export {
  ClientInfoSchema,
  CommandSchema,
  PublicationSchema,
  PushSchema,
  ReplySchema,
  StreamPositionSchema,
} from './gen/centrifugal/centrifuge/protocol/client_pb.js';
export { clone, create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';

/** Allocation-only constructors for client protocol messages (newReply(), newPublication(), ...). */
export * as messages from './messages.js';

export { ProtocolDecodeError, ProtocolEncodeError } from './errors.js';

export {
  type JsonEncodeOptions,
  decodeCommandsJson,
  decodeConnectRequestJson,
  decodeEmulationRequestJson,
  decodePushJson,
  decodeRepliesJson,
  encodeCommandJson,
  encodeCommandsJson,
  encodeConnectRequestJson,
  encodePublicationPushJson,
  encodePublicationUniPushJson,
  encodePushJson,
  encodeRepliesJson,
  encodeReplyJson,
} from './codec_json.js';

export {
  decodeCommandsProtobuf,
  decodeConnectRequestProtobuf,
  decodeEmulationRequestProtobuf,
  decodeRepliesProtobuf,
  encodeCommandsProtobuf,
  encodePublicationPushProtobuf,
  encodePublicationUniPushProtobuf,
  encodePushProtobuf,
  encodeRepliesProtobuf,
  encodeReplyProtobuf,
} from './codec_protobuf.js';

export {
  APP_DISCONNECT_RECONNECT,
  APP_DISCONNECT_TERMINAL,
  APP_ERROR_CODE_MAX,
  APP_ERROR_CODE_MIN,
  APP_UNSUBSCRIBE_RESUBSCRIBE,
  APP_UNSUBSCRIBE_TERMINAL,
  Disconnect,
  DisconnectCode,
  type DisconnectReason,
  ErrorCode,
  type ProtocolError,
  Unsubscribe,
  UnsubscribeCode,
  type UnsubscribeReason,
  WsCloseCode,
  apiErrors,
  disconnectReconnects,
  errors,
  isRetryableError,
  uniDisconnectForConnectError,
  unsubscribeResubscribes,
} from './codes.js';
