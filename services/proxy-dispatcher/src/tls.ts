/**
 * The TLS object of proxies (§2.8): `*_pem` values are raw PEM, base64-encoded PEM or a file
 * path. Read once when a backend is created, so a bad path fails at start, not per call.
 */
import { readPem, type TlsConfig } from '@gyre/config';
import { ProxyConfigError } from './proxies.js';

export function loadPem(value: string, what: string): Buffer | undefined {
  try {
    return readPem(value, what) ?? undefined;
  } catch (err) {
    throw new ProxyConfigError((err as Error).message);
  }
}

export interface LoadedTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

export function loadTls(tls: TlsConfig, path: string): LoadedTls {
  const out: LoadedTls = { rejectUnauthorized: !tls.insecure_skip_verify };
  const ca = loadPem(tls.server_ca_pem, `${path}.server_ca_pem`);
  const cert = loadPem(tls.cert_pem, `${path}.cert_pem`);
  const key = loadPem(tls.key_pem, `${path}.key_pem`);
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (tls.server_name) out.servername = tls.server_name;
  return out;
}
