/**
 * `ttl` of an expiring connection or subscription (ConnectResult, SubscribeResult, RefreshResult,
 * SubRefreshResult, Refresh push): whole seconds until `expireAt` (Unix seconds), rounded down
 * from the real remaining time. Centrifugo subtracts whole-second clocks, which can announce up to
 * a second more than is left; a client refreshing exactly at `ttl` would then refresh after the
 * expiry. Rounding the real remainder down keeps the client's refresh before it.
 */
export function ttlSeconds(expireAt: number, nowMs: number = Date.now()): number {
  return Math.max(0, Math.floor(expireAt - nowMs / 1000));
}
