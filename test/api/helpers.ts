/**
 * Shared pieces of the server API tier: a node with the namespaces the tests use, raw HTTP calls
 * that keep the body as text (so 64-bit numbers can be checked digit by digit), and bus-level
 * stand-ins for an edge where a test needs one without the real edge service.
 */
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import type { Bus } from '@gyre/bus';
import { startGyreInProcess, type InProcessGyre } from '@gyre/gyre';
import { bus as busPb } from '@gyre/protocol';
import { freePort } from '@gyre/testing';

export const API_KEY = 'test-api-key';

/** Namespaces: default (history + presence), nohist, json, obj, bin (binary + history), delta. */
export const CHANNELS = {
  without_namespace: { presence: true, join_leave: true, history_size: 100, history_ttl: '300s', allow_subscribe_for_client: true, allow_presence_for_subscriber: true, allow_history_for_subscriber: true },
  namespaces: [
    { name: 'nohist', allow_subscribe_for_client: true },
    { name: 'json', publication_data_format: 'json' },
    { name: 'obj', publication_data_format: 'json_object' },
    { name: 'bin', publication_data_format: 'binary', history_size: 10, history_ttl: '300s' },
    { name: 'delta', delta_publish: true, history_size: 10, history_ttl: '300s' },
  ],
};

export function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
      ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

export async function startNode(extra: Record<string, unknown> = {}): Promise<InProcessGyre> {
  const port = await freePort();
  return startGyreInProcess(deepMerge({ http_server: { port }, http_api: { key: API_KEY }, channel: CHANNELS }, extra));
}

export interface RawResponse {
  status: number;
  text: string;
  headers: Headers;
  /** JSON.parse of the body (only for bodies without 64-bit numbers that matter). */
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = { 'X-API-Key': API_KEY }, method = 'POST'): Promise<RawResponse> {
  // connection: close, so no idle keep-alive socket holds the test process open after shutdown.
  const res = await fetch(url, { method, body: method === 'GET' || method === 'HEAD' ? null : body, headers: { connection: 'close', ...headers } });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) };
}

/** POST <internal>/api/<method> with the key; returns the raw response. */
export function apiCall(node: InProcessGyre, method: string, params: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return post(`${node.internalUrl}/api/${method}`, typeof params === 'string' ? params : JSON.stringify(params), { 'X-API-Key': API_KEY, ...headers });
}

/** `result` of a successful call; fails the test on anything else. */
export async function apiResult<T = any>(node: InProcessGyre, method: string, params: unknown): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await apiCall(node, method, params);
  if (r.status !== 200) throw new Error(`${method}: HTTP ${r.status} ${r.text}`);
  const body = r.json();
  if (body.error) throw new Error(`${method}: API error ${JSON.stringify(body.error)}`);
  return body.result as T;
}

/** Control messages the edges receive on `<prefix>.ctl`, recorded from the node's bus. */
export function recordControls(bus: Bus, prefix = 'gyre'): busPb.Control[] {
  const seen: busPb.Control[] = [];
  bus.subscribe(`${prefix}.ctl`, (m) => seen.push(fromBinary(busPb.ControlSchema, m.data)));
  return seen;
}

/**
 * A stand-in edge on the bus: announces itself with NodeInfo heartbeats and answers channel
 * surveys with fixed local channels. Returns a stop function.
 */
export function fakeEdge(bus: Bus, uid: string, channels: Record<string, number>, stats: MessageInitShape<typeof busPb.NodeInfoSchema> = {}, prefix = 'gyre'): () => void {
  const beat = (): void => {
    const info = create(busPb.NodeInfoSchema, { uid, name: `edge-${uid}`, version: '0.0.0', services: ['edge'], sentAtMs: BigInt(Date.now()), ...stats });
    bus.publish(`${prefix}.node`, toBinary(busPb.NodeInfoSchema, info));
  };
  beat();
  const timer = setInterval(beat, 1000);
  const sub = bus.subscribe(`${prefix}.node.channels`, (msg) => {
    const survey = fromBinary(busPb.ChannelsSurveySchema, msg.data);
    bus.publish(survey.replySubject, toBinary(busPb.ChannelsSurveyReplySchema, create(busPb.ChannelsSurveyReplySchema, { nodeUid: uid, channels })));
  });
  return () => {
    clearInterval(timer);
    sub.unsubscribe();
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
