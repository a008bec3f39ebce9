/**
 * Idempotent publishing (publish / broadcast `idempotency_key`): a key seen in the same channel
 * within 5 minutes (Centrifugo's idempotent_result_ttl) is not published again and the first
 * publish's result is returned. Centrifugo keeps no suppressed flag in the API result: a
 * duplicate looks exactly like the original success.
 *
 * api holds no state for this: the presence-history service owns the keys (next to the stream, so
 * the check and the append are one atomic step, and every api instance sees the same keys). This
 * file only turns the request field into the store options; a publish carrying a key always goes
 * through presence-history, even in a channel without history (BusHistoryStore.publish).
 */
import type { PublishOptions } from '@gyre/store';

/** Centrifugo's idempotent result TTL. */
export const IDEMPOTENT_RESULT_TTL_MS = 5 * 60_000;

export function idempotencyOptions(key: string): Pick<PublishOptions, 'idempotencyKey' | 'idempotentResultTtlMs'> {
  if (key === '') return {};
  return { idempotencyKey: key, idempotentResultTtlMs: IDEMPOTENT_RESULT_TTL_MS };
}
