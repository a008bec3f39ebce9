// Clients built with the real `centrifuge` SDK (the npm package apps use), for Node: the JSON build
// or the protobuf build, with `ws` as the WebSocket implementation (Node 20 has no global WebSocket).
import { Centrifuge, type Options } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';

export type CentrifugeProtocol = 'json' | 'protobuf';

export interface CreateCentrifugeOptions extends Partial<Options> {
  /** Which SDK build to use (default 'json'). */
  protocol?: CentrifugeProtocol;
}

/**
 * A Centrifuge client for `url` (e.g. `ws://127.0.0.1:8000/connection/websocket`; an http(s) URL
 * without a path gets that path and the ws scheme). Not connected yet: call connect().
 * Every SDK option passes through (token, getToken, data, name, timeout, minReconnectDelay, ...).
 */
export function createCentrifuge(url: string, opts: CreateCentrifugeOptions = {}): Centrifuge {
  const { protocol = 'json', ...options } = opts;
  const endpoint = toWebsocketEndpoint(url);
  const sdkOptions: Partial<Options> = { websocket: WebSocket, ...options };
  if (protocol === 'protobuf') {
    // The protobuf build is the same class compiled separately; its instances behave identically.
    return new ProtobufCentrifuge(endpoint, sdkOptions as never) as unknown as Centrifuge;
  }
  return new Centrifuge(endpoint, sdkOptions);
}

/** `http://h:p` → `ws://h:p/connection/websocket`; ws(s) URLs and URLs with a path pass unchanged. */
export function toWebsocketEndpoint(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/connection/websocket';
  }
  return u.toString();
}
