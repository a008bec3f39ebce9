// Allocation-only constructors for the client protocol messages, used by the frame decoders
// instead of protobuf-es `create(Schema)` (which walks the descriptor for every message).
//
// What must hold: each factory returns exactly what `create(XSchema)` returns, i.e. every scalar,
// repeated and map field at its zero value, message fields absent, `$typeName` set. A test in
// test/messages.test.ts compares all of them against `create()` so that a schema change that is
// not mirrored here fails loudly.
import type {
  ClientInfo,
  Command,
  Connect,
  ConnectRequest,
  ConnectResult,
  Dictionary,
  Disconnect,
  EmulationRequest,
  Error as ProtoError,
  FilterNode,
  HistoryRequest,
  HistoryResult,
  Join,
  KeyedItem,
  Leave,
  Message as ProtoMessage,
  PingRequest,
  PingResult,
  PresenceRequest,
  PresenceResult,
  PresenceStatsRequest,
  PresenceStatsResult,
  Publication,
  PublishRequest,
  PublishResult,
  Push,
  Refresh,
  RefreshRequest,
  RefreshResult,
  Reply,
  RPCRequest,
  RPCResult,
  SendRequest,
  StreamPosition,
  SubRefreshRequest,
  SubRefreshResult,
  Subscribe,
  SubscribeRequest,
  SubscribeResult,
  TrackBatch,
  Unsubscribe,
  UnsubscribeRequest,
  UnsubscribeResult,
} from './gen/centrifugal/centrifuge/protocol/client_pb.js';

const P = 'centrifugal.centrifuge.protocol.';

/** Shared zero-length byte array; zero-length typed arrays cannot be mutated, so sharing is safe. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

export const newError = (): ProtoError => ({ $typeName: `${P}Error`, code: 0, message: '', temporary: false });
export const newEmulationRequest = (): EmulationRequest => ({
  $typeName: `${P}EmulationRequest`,
  node: '',
  session: '',
  data: EMPTY_BYTES,
});
export const newCommand = (): Command => ({ $typeName: `${P}Command`, id: 0 });
export const newReply = (): Reply => ({ $typeName: `${P}Reply`, id: 0 });
export const newPush = (): Push => ({ $typeName: `${P}Push`, id: 0n, channel: '' });
export const newDictionary = (): Dictionary => ({ $typeName: `${P}Dictionary`, id: '', data: EMPTY_BYTES, dataB64: '' });
export const newClientInfo = (): ClientInfo => ({
  $typeName: `${P}ClientInfo`,
  user: '',
  client: '',
  connInfo: EMPTY_BYTES,
  chanInfo: EMPTY_BYTES,
});
export const newPublication = (): Publication => ({
  $typeName: `${P}Publication`,
  data: EMPTY_BYTES,
  offset: 0n,
  tags: {},
  delta: false,
  time: 0n,
  channel: '',
  key: '',
  removed: false,
  score: 0n,
  epoch: '',
  prevData: EMPTY_BYTES,
  version: 0n,
});
export const newJoin = (): Join => ({ $typeName: `${P}Join` });
export const newLeave = (): Leave => ({ $typeName: `${P}Leave` });
export const newUnsubscribe = (): Unsubscribe => ({ $typeName: `${P}Unsubscribe`, code: 0, reason: '' });
export const newSubscribe = (): Subscribe => ({
  $typeName: `${P}Subscribe`,
  recoverable: false,
  epoch: '',
  offset: 0n,
  positioned: false,
  data: EMPTY_BYTES,
});
export const newMessage = (): ProtoMessage => ({ $typeName: `${P}Message`, data: EMPTY_BYTES });
export const newConnect = (): Connect => ({
  $typeName: `${P}Connect`,
  client: '',
  version: '',
  data: EMPTY_BYTES,
  subs: {},
  expires: false,
  ttl: 0,
  ping: 0,
  pong: false,
  session: '',
  node: '',
  time: 0n,
});
export const newDisconnect = (): Disconnect => ({ $typeName: `${P}Disconnect`, code: 0, reason: '', reconnect: false });
export const newRefresh = (): Refresh => ({ $typeName: `${P}Refresh`, expires: false, ttl: 0 });
export const newStreamPosition = (): StreamPosition => ({ $typeName: `${P}StreamPosition`, offset: 0n, epoch: '' });
export const newFilterNode = (): FilterNode => ({
  $typeName: `${P}FilterNode`,
  op: '',
  key: '',
  cmp: '',
  val: '',
  vals: [],
  nodes: [],
});
export const newConnectRequest = (): ConnectRequest => ({
  $typeName: `${P}ConnectRequest`,
  token: '',
  data: EMPTY_BYTES,
  subs: {},
  name: '',
  version: '',
  headers: {},
  flag: 0n,
  dict: '',
  profile: '',
});
export const newConnectResult = (): ConnectResult => ({
  $typeName: `${P}ConnectResult`,
  client: '',
  version: '',
  expires: false,
  ttl: 0,
  data: EMPTY_BYTES,
  subs: {},
  ping: 0,
  pong: false,
  session: '',
  node: '',
  time: 0n,
  flag: 0n,
});
export const newRefreshRequest = (): RefreshRequest => ({ $typeName: `${P}RefreshRequest`, token: '' });
export const newRefreshResult = (): RefreshResult => ({
  $typeName: `${P}RefreshResult`,
  client: '',
  version: '',
  expires: false,
  ttl: 0,
});
export const newSubscribeRequest = (): SubscribeRequest => ({
  $typeName: `${P}SubscribeRequest`,
  channel: '',
  token: '',
  recover: false,
  epoch: '',
  offset: 0n,
  data: EMPTY_BYTES,
  positioned: false,
  recoverable: false,
  joinLeave: false,
  delta: '',
  flag: 0n,
  type: 0,
  phase: 0,
  cursor: '',
  limit: 0,
  asc: false,
});
export const newSubscribeResult = (): SubscribeResult => ({
  $typeName: `${P}SubscribeResult`,
  expires: false,
  ttl: 0,
  recoverable: false,
  epoch: '',
  publications: [],
  recovered: false,
  offset: 0n,
  positioned: false,
  data: EMPTY_BYTES,
  wasRecovering: false,
  delta: false,
  id: 0n,
  type: 0,
  phase: 0,
  cursor: '',
  state: [],
  publishDebounce: 0,
});
export const newKeyedItem = (): KeyedItem => ({ $typeName: `${P}KeyedItem`, key: '', version: 0n });
export const newTrackBatch = (): TrackBatch => ({ $typeName: `${P}TrackBatch`, signature: '', items: [] });
export const newSubRefreshRequest = (): SubRefreshRequest => ({
  $typeName: `${P}SubRefreshRequest`,
  channel: '',
  token: '',
  type: 0,
  track: [],
  untrack: [],
});
export const newSubRefreshResult = (): SubRefreshResult => ({
  $typeName: `${P}SubRefreshResult`,
  expires: false,
  ttl: 0,
  items: [],
});
export const newUnsubscribeRequest = (): UnsubscribeRequest => ({ $typeName: `${P}UnsubscribeRequest`, channel: '' });
export const newUnsubscribeResult = (): UnsubscribeResult => ({ $typeName: `${P}UnsubscribeResult` });
export const newPublishRequest = (): PublishRequest => ({
  $typeName: `${P}PublishRequest`,
  channel: '',
  data: EMPTY_BYTES,
  type: 0,
  key: '',
  removed: false,
});
export const newPublishResult = (): PublishResult => ({ $typeName: `${P}PublishResult` });
export const newPresenceRequest = (): PresenceRequest => ({ $typeName: `${P}PresenceRequest`, channel: '' });
export const newPresenceResult = (): PresenceResult => ({ $typeName: `${P}PresenceResult`, presence: {} });
export const newPresenceStatsRequest = (): PresenceStatsRequest => ({
  $typeName: `${P}PresenceStatsRequest`,
  channel: '',
});
export const newPresenceStatsResult = (): PresenceStatsResult => ({
  $typeName: `${P}PresenceStatsResult`,
  numClients: 0,
  numUsers: 0,
});
export const newHistoryRequest = (): HistoryRequest => ({
  $typeName: `${P}HistoryRequest`,
  channel: '',
  limit: 0,
  reverse: false,
});
export const newHistoryResult = (): HistoryResult => ({
  $typeName: `${P}HistoryResult`,
  publications: [],
  epoch: '',
  offset: 0n,
});
export const newPingRequest = (): PingRequest => ({ $typeName: `${P}PingRequest` });
export const newPingResult = (): PingResult => ({ $typeName: `${P}PingResult` });
export const newRPCRequest = (): RPCRequest => ({ $typeName: `${P}RPCRequest`, data: EMPTY_BYTES, method: '' });
export const newRPCResult = (): RPCResult => ({ $typeName: `${P}RPCResult`, data: EMPTY_BYTES });
export const newSendRequest = (): SendRequest => ({ $typeName: `${P}SendRequest`, data: EMPTY_BYTES });
