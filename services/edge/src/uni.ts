/**
 * What the unidirectional transports share (client-protocol.md §8): a unidirectional client
 * cannot receive a Reply, so a connect error becomes a disconnect, and connect errors or
 * disconnects may be answered with an HTTP status instead (uni_sse, uni_http_stream).
 *
 * - Error → disconnect: `client.connect_code_to_unidirectional_disconnect` (when enabled) maps
 *   error codes to `{code, reason}`; an unmapped code gets the default 109/110 → 3005,
 *   111 → 3013, 103 → 3507, anything else → 3004 (§4.2).
 * - `connect_code_to_http_response` (uni_sse / uni_http_stream, seed 003): before anything was
 *   written, a connect error code, or a disconnect code the connect ended with, that a transform
 *   names is answered with that status; the body is the transform's, else the error message /
 *   disconnect reason (Centrifugo's ConnectErrorToToHTTPResponse).
 */
import type { GyreConfig } from '@gyre/config';
import { uniDisconnectForConnectError, type DisconnectReason, type ProtocolError } from '@gyre/protocol';

export function uniConnectDisconnect(config: GyreConfig, err: ProtocolError): DisconnectReason {
  const m = config.client.connect_code_to_unidirectional_disconnect;
  if (m.enabled) {
    for (const t of m.transforms) if (t.code === err.code) return { code: t.to.code, reason: t.to.reason };
  }
  return uniDisconnectForConnectError(err.code);
}

export interface HttpConnectResponse {
  status: number;
  body: string;
}

export interface ConnectCodeToHttpResponse {
  enabled: boolean;
  transforms: ReadonlyArray<{ code: number; to: { status_code: number; body: string } }>;
}

/** The HTTP answer for a failed unidirectional connect, or null to send the disconnect push. */
export function connectHttpResponse(cfg: ConnectCodeToHttpResponse, d: DisconnectReason, connectError: ProtocolError | undefined): HttpConnectResponse | null {
  if (!cfg.enabled) return null;
  const code = connectError?.code ?? d.code;
  const text = connectError?.message ?? d.reason;
  for (const t of cfg.transforms) {
    if (t.code === code) return { status: t.to.status_code, body: t.to.body !== '' ? t.to.body : text };
  }
  return null;
}
