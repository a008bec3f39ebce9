-- Drops expired entries, then returns the channel's presence as HGETALL does (client id, info, ...).
--
-- KEYS[1] expire zset   P.presence.expire.<ch>
-- KEYS[2] data hash     P.presence.data.<ch>
-- ARGV[1] now           Unix seconds, fractional

local zset_key, hash_key, now = KEYS[1], KEYS[2], ARGV[1]

local expired = redis.call('zrangebyscore', zset_key, '-inf', now)
for i = 1, #expired do
  redis.call('hdel', hash_key, expired[i])
end
if #expired > 0 then
  redis.call('zremrangebyscore', zset_key, '-inf', now)
end

return redis.call('hgetall', hash_key)
