/**
 * The edge side of subscribe_stream (Centrifugo's EXPERIMENTAL GRPC stream proxy; seed 003,
 * server.md §2.5 `subscribe_stream_proxy_*`). The dispatcher holds the GRPC stream
 * (services/proxy-dispatcher/src/stream.ts); the edge:
 *
 * 1. picks a stream id and listens on `<prefix>.proxy.stream.<id>.down` before asking;
 * 2. sends the bus request `<prefix>.proxy.subscribe_stream` (ProxyRequest with stream_id and
 *    bidirectional); the reply is the backend's first SubscribeResponse (mapped like the
 *    subscribe proxy's: disconnect, error, result) or a transport error (→ 100);
 * 3. once the subscription is committed, attaches it: publications from `.down` go to this one
 *    subscriber only (no offset, as Centrifugo writes them); what arrived before the commit is
 *    held and delivered then;
 * 4. bidirectional: the client's publishes to the channel go up the stream (`.up`) instead of
 *    being published;
 * 5. the client unsubscribing or disconnecting (or the subscribe failing after the stream opened)
 *    publishes `.close`, which cancels the GRPC call;
 * 6. the backend ending the stream unsubscribes the client: 2000 on a clean end (EOF), 2500
 *    (insufficient state, the client resubscribes) on a failure, as Centrifugo's handler does.
 */
import { randomUUID } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { callProxy, proxyStreamSubject, selectProxyHeaders, type BusSubscription } from '@gyre/bus';
import { Unsubscribe, bus as busPb, messages, proxy as pp } from '@gyre/protocol';
import type { Client } from './client.js';
import { DEFAULT_PROXY_NAME, metaField, requestBase } from './proxy.js';
import type { ClientSub } from './subscription.js';

const DEFAULT_TIMEOUT_MS = 1000;

export class ProxyStream {
  private readonly down: BusSubscription;
  private held: Uint8Array[] = [];
  private target: ClientSub | null = null;
  private closed = false;

  constructor(
    private readonly client: Client,
    readonly id: string,
    readonly bidirectional: boolean,
  ) {
    const ctx = client.ctx;
    this.down = ctx.bus.subscribe(proxyStreamSubject(ctx.prefix, id, 'down'), (m) => {
      if (this.closed) return;
      if (this.target) this.deliver(this.target, m.data);
      else this.held.push(m.data);
    });
  }

  /** The subscription is committed: deliver what was held, then everything as it comes. */
  attach(sub: ClientSub): void {
    if (this.closed) return;
    if (sub.removed) {
      this.close();
      return;
    }
    this.target = sub;
    sub.proxyStream = this;
    const held = this.held;
    this.held = [];
    for (const d of held) {
      if (this.closed) return;
      this.deliver(sub, d);
    }
  }

  private deliver(sub: ClientSub, data: Uint8Array): void {
    let m: busPb.ProxyStreamDown;
    try {
      m = fromBinary(busPb.ProxyStreamDownSchema, data);
    } catch (err) {
      this.client.ctx.logger.warn({ err, stream: this.id }, 'malformed subscribe stream message');
      return;
    }
    if (m.end) {
      this.stopListening();
      if (!m.eof) this.client.ctx.logger.warn({ client: this.client.id, channel: sub.channel, error: m.error }, 'subscribe stream ended with an error');
      sub.serverUnsubscribe(m.eof ? Unsubscribe.ServerUnsubscribe : Unsubscribe.InsufficientState);
      return;
    }
    if (m.publication.byteLength === 0 || sub.removed) return;
    let p: pp.Publication;
    try {
      p = fromBinary(pp.PublicationSchema, m.publication);
    } catch (err) {
      this.client.ctx.logger.warn({ err, stream: this.id }, 'malformed subscribe stream publication');
      return;
    }
    const pub = messages.newPublication();
    pub.data = p.data;
    pub.tags = { ...p.tags };
    const push = messages.newPush();
    push.channel = sub.channel;
    push.pub = pub;
    this.client.sendPush(push);
  }

  /** A client publication into a bidirectional stream. */
  publish(data: Uint8Array): boolean {
    if (this.closed || !this.bidirectional) return false;
    const ctx = this.client.ctx;
    const req = create(pp.StreamSubscribeRequestSchema, { publication: create(pp.PublicationSchema, { data }) });
    ctx.bus.publish(proxyStreamSubject(ctx.prefix, this.id, 'up'), toBinary(pp.StreamSubscribeRequestSchema, req));
    return true;
  }

  private stopListening(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = [];
    try {
      this.down.unsubscribe();
    } catch {
      // bus closed
    }
  }

  /** Ends the stream from this side (unsubscribe, disconnect, failed subscribe). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.stopListening();
    const ctx = this.client.ctx;
    try {
      ctx.bus.publish(proxyStreamSubject(ctx.prefix, this.id, 'close'), new Uint8Array(0));
    } catch {
      // bus closed: the dispatcher cancels its streams when it stops
    }
  }
}

export type OpenedStream = { readonly transportError: string } | { readonly response: pp.SubscribeResponse; readonly stream: ProxyStream };

/** Opens the namespace's subscribe stream for a client subscribe. Never rejects. */
export async function openProxyStream(client: Client, channel: string, name: string, bidirectional: boolean, data: Uint8Array): Promise<OpenedStream> {
  const ctx = client.ctx;
  const proxyName = name || DEFAULT_PROXY_NAME;
  const p = proxyName === DEFAULT_PROXY_NAME ? ctx.config.channel.proxy.subscribe_stream : ctx.config.proxies.find((x) => x.name === proxyName);
  const headers = p
    ? selectProxyHeaders(p, client.transport.name === 'uni_grpc' ? { grpcMetadata: client.headers, emulated: client.emulatedHeaders } : { http: client.headers, emulated: client.emulatedHeaders })
    : {};
  const timeoutMs = p && p.timeout > 0 ? p.timeout : DEFAULT_TIMEOUT_MS;
  const request = toBinary(
    pp.SubscribeRequestSchema,
    create(pp.SubscribeRequestSchema, { ...requestBase(client), user: client.user, channel, data, ...metaField(client) }),
  );
  const id = randomUUID().replaceAll('-', '');
  const stream = new ProxyStream(client, id, bidirectional);
  const outcome = await callProxy(ctx.bus, ctx.prefix, 'subscribe_stream', { proxy: proxyName, request, headers, timeoutMs, streamId: id, bidirectional });
  if ('transportError' in outcome) {
    stream.close();
    ctx.logger.warn({ client: client.id, event: 'subscribe_stream', proxy: proxyName, error: outcome.transportError.message }, 'error proxying subscribe_stream');
    return { transportError: outcome.transportError.message };
  }
  let response: pp.SubscribeResponse;
  try {
    response = fromBinary(pp.SubscribeResponseSchema, outcome.response);
  } catch (err) {
    stream.close();
    return { transportError: `malformed SubscribeResponse: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (response.error || response.disconnect) stream.close();
  return { response, stream };
}
