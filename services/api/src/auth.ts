/**
 * Server API key checks, as Centrifugo does them (server.md §1.1, §1.7):
 *
 * HTTP: 1) a non-empty `X-API-Key` header is compared with the key and `Authorization` is then
 * not consulted; 2) otherwise `Authorization: apikey <KEY>` (scheme case-insensitive, exactly two
 * whitespace-separated parts); 3) if that failed and the URL has a query string, `?api_key=`. An
 * empty configured key refuses everything unless `http_api.insecure`.
 *
 * GRPC: when `grpc_api.key` is set, the first `authorization` metadata value must be exactly
 * `apikey <KEY>` (case-sensitive).
 *
 * Comparisons hash both sides first, so neither the content nor the length of the key leaks
 * through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

export interface HttpAuthInput {
  /** `X-API-Key` header ('' when absent). */
  apiKeyHeader: string;
  /** `Authorization` header ('' when absent). */
  authorization: string;
  /** Raw query string without `?` ('' when none). */
  query: string;
}

export function httpAuthorized(key: string, insecure: boolean, input: HttpAuthInput): boolean {
  if (insecure) return true;
  if (key === '') return false;
  let authorized = false;
  if (input.apiKeyHeader !== '') {
    authorized = constantTimeEqual(input.apiKeyHeader, key);
  } else if (input.authorization !== '') {
    const parts = input.authorization.trim().split(/\s+/);
    authorized = parts.length === 2 && parts[0]!.toLowerCase() === 'apikey' && constantTimeEqual(parts[1]!, key);
  }
  if (!authorized && input.query !== '') {
    const queryKey = new URLSearchParams(input.query).get('api_key');
    if (queryKey) authorized = constantTimeEqual(queryKey, key);
  }
  return authorized;
}

/** GRPC metadata check; `values` are the `authorization` metadata values in order. */
export function grpcAuthorized(key: string, values: readonly unknown[]): boolean {
  const first = values[0];
  const text = typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString('utf8') : null;
  return text !== null && constantTimeEqual(text, `apikey ${key}`);
}
