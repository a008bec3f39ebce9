/**
 * JWKS key loading with a bounded cache, as Centrifugo's internal/jwks does it, plus limits so
 * tokens cannot be used to hammer the endpoint:
 *
 * - keys are cached per endpoint URL and kid (a dynamic endpoint gives one entry per filled URL);
 *   a fetched set is trusted for `cacheTtlMs` (1 h) and then fetched again; keys that disappear
 *   from the endpoint are dropped at that refetch;
 * - a fetch is one GET with a per-attempt timeout (1 s) and one retry; only HTTP 200 with a JSON
 *   `{"keys":[…]}` body (at most 1 MiB) counts;
 * - an unknown kid triggers a refetch, but at most once per `minRefetchIntervalMs` per endpoint,
 *   and concurrent lookups share one in-flight fetch, so a flood of random kids costs one request;
 * - when the endpoint fails, keys from the last good fetch keep working (Centrifugo's GetStale),
 *   and a failed endpoint is not retried before `minRefetchIntervalMs` either;
 * - at most `maxEndpoints` endpoints (LRU) and `maxKeysPerSet` keys per set are kept, and at most
 *   `maxConcurrentFetches` fetches run at once.
 */
import { TokenInvalidError, TokenVerifierUnavailableError } from './errors.js';
import { parseJwk, type JwksKey } from './keys.js';

export interface JwksClientOptions {
  now: () => number;
  fetchTimeoutMs: number;
  attempts: number;
  cacheTtlMs: number;
  minRefetchIntervalMs: number;
  maxEndpoints: number;
  maxKeysPerSet: number;
  maxResponseBytes: number;
  maxConcurrentFetches: number;
}

export const DEFAULT_JWKS_OPTIONS: Omit<JwksClientOptions, 'now'> = {
  fetchTimeoutMs: 1000,
  attempts: 2,
  cacheTtlMs: 60 * 60 * 1000,
  minRefetchIntervalMs: 10_000,
  maxEndpoints: 256,
  maxKeysPerSet: 100,
  maxResponseBytes: 1024 * 1024,
  maxConcurrentFetches: 16,
};

interface EndpointState {
  keys: Map<string, JwksKey>;
  /** When the current key set stops being fresh (0 = never fetched successfully). */
  expiresAt: number;
  lastAttemptAt: number;
  lastError?: string;
  inflight?: Promise<void>;
}

/** A fetch failure that retrying will not fix (the endpoint answered, but not a key set). */
class BadKeySetError extends Error {}

/** The endpoint answered with a status other than 200 (retried once, like Centrifugo). */
class HttpStatusError extends Error {}

export class JwksClient {
  private readonly endpoints = new Map<string, EndpointState>();
  private readonly closer = new AbortController();
  private activeFetches = 0;
  private closed = false;
  /** Number of HTTP requests made (for diagnostics). */
  requests = 0;

  constructor(private readonly opts: JwksClientOptions) {}

  /** Resolves the key for `kid` at `url`, or throws TokenInvalidError / TokenVerifierUnavailableError. */
  async getKey(url: string, kid: string): Promise<JwksKey> {
    if (this.closed) throw new TokenVerifierUnavailableError('token verifier closed');
    let st = this.touch(url);
    if (st !== undefined) {
      const hit = this.freshKey(st, kid);
      if (hit !== undefined) return hit;
      if (st.inflight !== undefined) {
        await st.inflight;
        const after = this.freshKey(st, kid);
        if (after !== undefined) return after;
      }
      if (this.opts.now() - st.lastAttemptAt < this.opts.minRefetchIntervalMs) {
        return this.settle(st, kid);
      }
    }
    st = await this.refresh(url);
    return this.settle(st, kid);
  }

  close(): void {
    this.closed = true;
    this.closer.abort();
    this.endpoints.clear();
  }

  private touch(url: string): EndpointState | undefined {
    const st = this.endpoints.get(url);
    if (st !== undefined) {
      this.endpoints.delete(url);
      this.endpoints.set(url, st);
    }
    return st;
  }

  private freshKey(st: EndpointState, kid: string): JwksKey | undefined {
    return this.opts.now() < st.expiresAt ? st.keys.get(kid) : undefined;
  }

  /**
   * Decides when no (further) fetch may happen now: a known key, fresh or stale (a stale one means
   * the last refetch failed or is rate-limited), else an error.
   */
  private settle(st: EndpointState, kid: string): JwksKey {
    const key = st.keys.get(kid);
    if (key !== undefined) return key;
    if (st.lastError !== undefined) throw new TokenVerifierUnavailableError(st.lastError);
    throw new TokenInvalidError('no JWKS key with the token kid');
  }

  private async refresh(url: string): Promise<EndpointState> {
    let st = this.endpoints.get(url);
    if (st === undefined) {
      st = { keys: new Map(), expiresAt: 0, lastAttemptAt: -Infinity };
      this.endpoints.set(url, st);
      this.evict();
    }
    if (st.inflight !== undefined) {
      await st.inflight;
      return st;
    }
    if (this.activeFetches >= this.opts.maxConcurrentFetches) {
      throw new TokenVerifierUnavailableError('too many concurrent JWKS fetches');
    }
    const state = st;
    state.lastAttemptAt = this.opts.now();
    this.activeFetches++;
    state.inflight = (async () => {
      try {
        const keys = await this.fetchSet(url);
        state.keys = keys;
        state.expiresAt = this.opts.now() + this.opts.cacheTtlMs;
        delete state.lastError;
      } catch (err) {
        state.lastError = err instanceof Error && err.message !== '' ? err.message : 'JWKS fetch failed';
      } finally {
        this.activeFetches--;
        delete state.inflight;
      }
    })();
    await state.inflight;
    return state;
  }

  private evict(): void {
    for (const [url, st] of this.endpoints) {
      if (this.endpoints.size <= this.opts.maxEndpoints) break;
      if (st.inflight === undefined) this.endpoints.delete(url);
    }
  }

  private async fetchSet(url: string): Promise<Map<string, JwksKey>> {
    let last: unknown;
    for (let attempt = 0; attempt < this.opts.attempts; attempt++) {
      if (this.closed) break;
      try {
        return await this.fetchOnce(url);
      } catch (err) {
        last = err;
        if (err instanceof BadKeySetError) break;
      }
    }
    throw last instanceof Error ? last : new Error('JWKS fetch failed');
  }

  private async fetchOnce(url: string): Promise<Map<string, JwksKey>> {
    const timeout = AbortSignal.timeout(this.opts.fetchTimeoutMs);
    const signal = AbortSignal.any([timeout, this.closer.signal]);
    this.requests++;
    let body: string;
    try {
      const res = await fetch(url, { signal, headers: { accept: 'application/json' }, redirect: 'follow' });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new HttpStatusError(`JWKS endpoint answered HTTP ${res.status}`);
      }
      body = await readLimited(res, this.opts.maxResponseBytes);
    } catch (err) {
      if (err instanceof BadKeySetError || err instanceof HttpStatusError) throw err;
      if (timeout.aborted) throw new Error('JWKS fetch timed out', { cause: err });
      if (this.closed) throw new Error('token verifier closed', { cause: err });
      throw new Error('JWKS fetch failed', { cause: err });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw new BadKeySetError('JWKS response is not JSON');
    }
    const list = typeof doc === 'object' && doc !== null ? (doc as { keys?: unknown }).keys : undefined;
    if (!Array.isArray(list)) throw new BadKeySetError('JWKS response has no keys array');
    const keys = new Map<string, JwksKey>();
    for (const raw of list.slice(0, this.opts.maxKeysPerSet)) {
      const key = parseJwk(raw);
      if (key !== undefined) keys.set(key.kid, key);
    }
    return keys;
  }
}

async function readLimited(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new BadKeySetError('JWKS response too large');
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new BadKeySetError('JWKS response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
