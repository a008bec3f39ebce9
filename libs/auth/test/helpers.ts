// Test helpers: key pairs (jose), raw-payload signing, and a real JWKS HTTP server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyObject } from 'node:crypto';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';

export const NOW_MS = 1_700_000_000_000;
export const NOW_S = NOW_MS / 1000;
export const fixedNow = (): number => NOW_MS;

export interface KeyPair {
  /** As a node KeyObject, so one RSA key can sign RS* and PS* alike. */
  privateKey: KeyObject;
  pem: string;
  jwk: JWK;
}

/** A key pair made with jose's generateKeyPair. */
export async function keyPair(alg: string, opts: { crv?: string } = {}): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg as Parameters<typeof generateKeyPair>[0], { extractable: true, ...opts });
  return { privateKey: KeyObject.from(privateKey), pem: await exportSPKI(publicKey), jwk: await exportJWK(publicKey) };
}

const enc = new TextEncoder();

/** Signs an exact payload (string or object) with jose; the header is {alg, ...extra}. */
export async function sign(
  alg: string,
  key: KeyObject | Uint8Array | string,
  payload: string | Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const k = typeof key === 'string' ? enc.encode(key) : key;
  return new CompactSign(enc.encode(body)).setProtectedHeader({ alg, ...header }).sign(k);
}

export function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

/** An unsecured (`alg: none`) token. */
export function unsigned(payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.`;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  url: string;
  server: Server;
  /** Requests received, by path. */
  hits: Map<string, number>;
  total(): number;
  setHandler(h: Handler): void;
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  let current = handler;
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    current(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    hits,
    total: () => [...hits.values()].reduce((a, b) => a + b, 0),
    setHandler: (h) => { current = h; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function jwksHandler(getKeys: () => JWK[]): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: getKeys() }));
  };
}

/** A free port with nothing listening (for "endpoint down"). */
export async function deadUrl(): Promise<string> {
  const s = await startServer(() => undefined);
  const url = s.url;
  await s.close();
  return url;
}
