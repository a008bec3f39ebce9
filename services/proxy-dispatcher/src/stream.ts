/**
 * subscribe_stream (Centrifugo's EXPERIMENTAL GRPC stream proxy, internal/proxy/subscribe_stream.go)
 * over the bus. The edge picked a stream id and already listens on
 * `<prefix>.proxy.stream.<id>.down`; then:
 *
 * 1. The dispatcher opens SubscribeUnidirectional (or SubscribeBidirectional, first message
 *    StreamSubscribeRequest{subscribe_request}) and waits for the first StreamSubscribeResponse at
 *    most until the request deadline (Centrifugo: the proxy timeout; a late first message is
 *    refused). The bus request is answered with its encoded SubscribeResponse, or a transport
 *    error (GRPC status, timeout, stream over, no subscribe_response in the first message).
 * 2. A first answer with an error or disconnect ends the stream (the edge does not subscribe).
 * 3. Every later StreamSubscribeResponse carrying a publication goes out as
 *    ProxyStreamDown{publication} on `.down`, for the one subscriber.
 * 4. Bidirectional: encoded StreamSubscribeRequest messages arriving on `.up` (client
 *    publications) are written into the stream.
 * 5. Any message on `.close` (client unsubscribed / disconnected) cancels the GRPC call silently.
 * 6. The backend ending the stream sends ProxyStreamDown{end, eof}; a failure (GRPC status, the
 *    dispatcher stopping) ProxyStreamDown{end, error}. The edge unsubscribes the client with 2000
 *    (EOF) or 2500 (anything else), as Centrifugo's handler does.
 *
 * Not covered: an edge that dies without publishing `.close` leaves its streams open until the
 * backend ends them or the dispatcher stops.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { proxyStreamSubject, type Bus, type BusSubscription } from '@gyre/bus';
import type { Logger } from '@gyre/observability';
import { bus as busPb, proxy as pp } from '@gyre/protocol';
import { type TransportFailure, errorMessage } from './backend.js';
import { normalizeResponse } from './encoding.js';
import type { GrpcBackend } from './grpc_backend.js';

export interface SubscribeStreamParams {
  readonly bus: Bus;
  readonly prefix: string;
  readonly logger: Logger;
  readonly backend: GrpcBackend;
  readonly streamId: string;
  readonly bidirectional: boolean;
  /** Encoded, prepared SubscribeRequest. */
  readonly request: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** Absolute time by which the first message must have arrived. */
  readonly deadline: number;
  /** The dispatcher stops: cancel the stream. */
  readonly signal: AbortSignal;
}

export type FirstOutcome = { readonly ok: true; readonly response: Uint8Array } | { readonly ok: false; readonly failure: TransportFailure };

/**
 * Opens one stream. Resolves with the first answer; the stream then lives on by itself until
 * the backend, the edge or `signal` ends it. `done` resolves when it is over.
 */
export function openSubscribeStream(p: SubscribeStreamParams): { first: Promise<FirstOutcome>; done: Promise<void> } {
  let resolveFirst!: (o: FirstOutcome) => void;
  const first = new Promise<FirstOutcome>((r) => (resolveFirst = r));
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const down = proxyStreamSubject(p.prefix, p.streamId, 'down');
  let gotFirst = false;
  let over = false;
  let cancelledHere = false;
  const subs: BusSubscription[] = [];
  let timer: NodeJS.Timeout | undefined = undefined;

  const sendDown = (init: { publication?: Uint8Array; end?: boolean; eof?: boolean; error?: string }): void => {
    try {
      p.bus.publish(down, toBinary(busPb.ProxyStreamDownSchema, create(busPb.ProxyStreamDownSchema, init)));
    } catch (err) {
      p.logger.warn({ err: errorMessage(err), stream: p.streamId }, 'subscribe stream message could not be sent');
    }
  };

  const finish = (): void => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    p.signal.removeEventListener('abort', onAbort);
    for (const s of subs) {
      try {
        s.unsubscribe();
      } catch {
        // bus closed
      }
    }
    resolveDone();
  };
  const failFirst = (f: TransportFailure): void => {
    if (gotFirst) return;
    gotFirst = true;
    resolveFirst({ ok: false, failure: f });
  };

  let stream: ReturnType<GrpcBackend['openStream']>;
  try {
    stream = p.backend.openStream(p.bidirectional, p.request, p.headers);
  } catch (err) {
    failFirst({ message: `GRPC stream error: ${errorMessage(err)}` });
    finish();
    return { first, done };
  }
  const call = stream.call;
  const cancel = (): void => {
    cancelledHere = true;
    call.cancel();
  };
  function onAbort(): void {
    if (gotFirst) sendDown({ end: true, error: 'proxy-dispatcher is stopping' });
    failFirst({ message: 'proxy-dispatcher is stopping' });
    cancel();
    finish();
  }
  p.signal.addEventListener('abort', onAbort, { once: true });

  timer = setTimeout(
    () => {
      failFirst({ message: 'no first subscribe stream message in time', timeout: true, grpcCode: grpc.status.DEADLINE_EXCEEDED });
      cancel();
      finish();
    },
    Math.max(0, p.deadline - Date.now()),
  );

  call.on('data', (buf: Buffer) => {
    if (over) return;
    let msg: pp.StreamSubscribeResponse;
    try {
      msg = fromBinary(pp.StreamSubscribeResponseSchema, buf);
    } catch (err) {
      if (!gotFirst) failFirst({ message: `decoding StreamSubscribeResponse: ${errorMessage(err)}` });
      else sendDown({ end: true, error: `decoding StreamSubscribeResponse: ${errorMessage(err)}` });
      cancel();
      finish();
      return;
    }
    if (!gotFirst) {
      clearTimeout(timer);
      const sr = msg.subscribeResponse;
      if (!sr) {
        failFirst({ message: 'no subscribe response in first message from stream proxy' });
        cancel();
        finish();
        return;
      }
      let encoded: Uint8Array;
      try {
        normalizeResponse(pp.SubscribeResponseSchema, sr);
        encoded = toBinary(pp.SubscribeResponseSchema, sr);
      } catch (err) {
        failFirst({ message: `invalid SubscribeResponse: ${errorMessage(err)}` });
        cancel();
        finish();
        return;
      }
      gotFirst = true;
      if (sr.error || sr.disconnect) {
        resolveFirst({ ok: true, response: encoded });
        cancel();
        finish();
        return;
      }
      subs.push(
        p.bus.subscribe(proxyStreamSubject(p.prefix, p.streamId, 'close'), () => {
          cancel();
          finish();
        }),
      );
      if (p.bidirectional) {
        subs.push(
          p.bus.subscribe(proxyStreamSubject(p.prefix, p.streamId, 'up'), (m) => {
            if (over) return;
            try {
              // Validate, then pass the bytes on unchanged.
              fromBinary(pp.StreamSubscribeRequestSchema, m.data);
              stream.send(m.data);
            } catch (err) {
              p.logger.warn({ err: errorMessage(err), stream: p.streamId }, 'bad subscribe stream publication from the edge');
            }
          }),
        );
      }
      resolveFirst({ ok: true, response: encoded });
      return;
    }
    if (msg.publication) sendDown({ publication: toBinary(pp.PublicationSchema, msg.publication) });
  });
  call.on('error', (err: grpc.ServiceError) => {
    if (over) return;
    const code = err.code ?? grpc.status.UNKNOWN;
    const message = `GRPC ${grpc.status[code] ?? code}: ${err.details || err.message}`;
    if (!gotFirst) failFirst({ message, grpcCode: code, ...(code === grpc.status.DEADLINE_EXCEEDED ? { timeout: true } : {}) });
    else if (!cancelledHere) sendDown({ end: true, error: message });
    finish();
  });
  call.on('end', () => {
    if (over) return;
    if (!gotFirst) failFirst({ message: 'subscribe stream ended before its first message' });
    else sendDown({ end: true, eof: true });
    finish();
  });
  // Without a listener grpc-js would not report the end of a cancelled call; keep both sides quiet.
  call.on('status', () => {});
  return { first, done };
}
