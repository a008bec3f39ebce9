/**
 * What the service needs from a backend protocol (HTTP in http_backend.ts, GRPC in
 * grpc_backend.ts): one call in, one outcome out, never a throw.
 */
import type { Message } from '@bufbuild/protobuf';
import type { ProxyEventSpec } from './events.js';

/** Why a call produced no protocol answer; becomes gyre.v1.ProxyTransportError. */
export interface TransportFailure {
  message: string;
  /** Non-200 HTTP status not covered by http.status_to_code_transforms. */
  httpStatus?: number;
  /** GRPC status code of a failed GRPC call. */
  grpcCode?: number;
  /** The call ran out of time (proxy timeout or the edge's deadline). */
  timeout?: boolean;
}

export type CallOutcome = { readonly ok: true; readonly response: Message } | { readonly ok: false; readonly failure: TransportFailure };

export interface CallParams {
  readonly spec: ProxyEventSpec;
  /** The decoded, prepared <Event>Request. */
  readonly request: Message;
  /** Client headers already filtered by the proxy's allow-lists (lower-case keys). */
  readonly headers: Readonly<Record<string, string>>;
  /** Absolute Date.now() time by which the call must be over. */
  readonly deadline: number;
  /** Aborted when the service stops past its drain deadline. */
  readonly signal: AbortSignal;
}

export interface Backend {
  readonly protocol: 'http' | 'grpc';
  /** Resolves with the outcome; must not reject. */
  call(params: CallParams): Promise<CallOutcome>;
}

export const fail = (failure: TransportFailure): CallOutcome => ({ ok: false, failure });
export const ok = (response: Message): CallOutcome => ({ ok: true, response });

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: unknown }).cause;
    const causeMsg = cause instanceof Error ? `: ${cause.message}` : '';
    return `${typeof code === 'string' ? `${code}: ` : ''}${err.message}${causeMsg}`;
  }
  return String(err);
}
