/**
 * The per-proxy payload rules of seed 003 that do not depend on HTTP vs GRPC, applied here so
 * the edge does not need to know the proxy's options:
 *
 * - Requests (`prepareRequest`): `encoding` is set from `binary_encoding` ("binary" / "json",
 *   as Centrifugo's getEncoding); with `binary_encoding` the raw `data` moves to `b64data`
 *   (base64), for GRPC backends too (Centrifugo's handlers do it before choosing the protocol);
 *   `meta` is dropped unless `include_connection_meta`.
 * - Responses (`normalizeResponse`): every `b64X` field with a sibling `bytes X` field is
 *   decoded into `X` and cleared, whatever the proxy mode ("Centrifugo is smart enough to detect
 *   that you are using base64 field"), so the edge only ever reads the raw fields. A b64 value
 *   that is not valid base64 makes the whole answer a failure (Centrifugo: internal error).
 */
import { ScalarType, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import type { ProxyConfig } from '@gyre/config';

type AnyMessage = Record<string, unknown> & { $typeName: string };

export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

function fieldByName(desc: DescMessage, name: string): DescField | undefined {
  return desc.fields.find((f) => f.name === name);
}

/** Applies encoding / binary_encoding / include_connection_meta to a decoded request, in place. */
export function prepareRequest(desc: DescMessage, msg: Message, proxy: Pick<ProxyConfig, 'binary_encoding' | 'include_connection_meta'>): void {
  const m = msg as unknown as AnyMessage;
  const encoding = fieldByName(desc, 'encoding');
  if (encoding) m[encoding.localName] = proxy.binary_encoding ? 'binary' : 'json';

  const data = fieldByName(desc, 'data');
  const b64 = fieldByName(desc, 'b64data');
  if (proxy.binary_encoding && data && b64) {
    const raw = m[data.localName] as Uint8Array | undefined;
    if (raw && raw.length > 0) {
      m[b64.localName] = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
      m[data.localName] = new Uint8Array(0);
    }
  }

  const meta = fieldByName(desc, 'meta');
  if (meta && !proxy.include_connection_meta) m[meta.localName] = new Uint8Array(0);
}

// Go's base64.StdEncoding: the standard alphabet, padding required, CR/LF ignored.
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeStdBase64(s: string, what: string): Uint8Array {
  const clean = s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, '') : s;
  if (!B64_RE.test(clean)) throw new PayloadError(`${what} is not valid base64`);
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

/** Decodes every b64* field of a backend response into its raw sibling, recursively, in place. */
export function normalizeResponse(desc: DescMessage, msg: Message): void {
  normalize(desc, msg as unknown as AnyMessage, desc.name, 0);
}

function normalize(desc: DescMessage, m: AnyMessage, path: string, depth: number): void {
  if (depth > 64) return;
  for (const f of desc.fields) {
    const v = m[f.localName];
    if (v === undefined || v === null) continue;
    if (f.fieldKind === 'scalar' && f.name.startsWith('b64') && typeof v === 'string' && v !== '') {
      const target = fieldByName(desc, f.name.slice(3));
      if (target && target.fieldKind === 'scalar' && target.scalar === ScalarType.BYTES) {
        m[target.localName] = decodeStdBase64(v, `${path}.${f.name}`);
        m[f.localName] = '';
      }
    } else if (f.fieldKind === 'message') {
      normalize(f.message, v as AnyMessage, `${path}.${f.name}`, depth + 1);
    } else if (f.fieldKind === 'list' && f.listKind === 'message') {
      for (const e of v as AnyMessage[]) normalize(f.message, e, `${path}.${f.name}[]`, depth + 1);
    } else if (f.fieldKind === 'map' && f.mapKind === 'message') {
      for (const [k, e] of Object.entries(v as Record<string, AnyMessage>)) normalize(f.message, e, `${path}.${f.name}[${k}]`, depth + 1);
    }
  }
}
