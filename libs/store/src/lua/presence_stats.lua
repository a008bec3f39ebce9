-- Presence stats from the user mapping (presence_user_mapping): drops expired clients and users,
-- then counts both without reading any ClientInfo.
--
-- KEYS[1..4] as in presence_add.lua
-- ARGV[1] now  Unix seconds, fractional
--
-- Returns { number of clients, number of users }.

local zset_key, hash_key, user_zset_key, user_hash_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = ARGV[1]

local function drop_expired(zset, hash)
  local expired = redis.call('zrangebyscore', zset, '-inf', now)
  for i = 1, #expired do
    redis.call('hdel', hash, expired[i])
  end
  if #expired > 0 then
    redis.call('zremrangebyscore', zset, '-inf', now)
  end
end

drop_expired(zset_key, hash_key)
drop_expired(user_zset_key, user_hash_key)

return { redis.call('hlen', hash_key), redis.call('hlen', user_hash_key) }
