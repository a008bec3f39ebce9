-- Idempotency for a publication to a channel without history (Centrifugo's layout: the result
-- hash holds e = '' and no offset). The caller broadcasts only when this says it is the first.
--
-- KEYS[1] result      P.result.<ch>.<key>
-- ARGV[1] result ttl  ms
--
-- Returns 1 when the key was new (publish), 0 when it was seen (suppressed).

local result_key, result_ttl = KEYS[1], ARGV[1]
if redis.call('exists', result_key) == 1 then
  return 0
end
redis.call('hset', result_key, 'e', '')
redis.call('pexpire', result_key, result_ttl)
return 1
