-- Adds or refreshes one presence entry (Centrifugo's Redis layout, server.md §3.3).
--
-- KEYS[1] expire zset   P.presence.expire.<ch>        client id scored by expire-at (Unix seconds)
-- KEYS[2] data hash     P.presence.data.<ch>          client id -> protobuf ClientInfo
-- KEYS[3] user zset     P.presence.user.expire.<ch>   user id scored by expire-at (user mapping)
-- KEYS[4] user hash     P.presence.user.clients.<ch>  user id -> number of its clients (user mapping)
-- ARGV[1] ttl           ms: the keys live at least this long after the latest add
-- ARGV[2] expire at     Unix seconds, fractional (sub-second TTLs; integer scores read the same)
-- ARGV[3] client id
-- ARGV[4] info          protobuf ClientInfo
-- ARGV[5] user id
-- ARGV[6] user mapping  '1' = maintain KEYS[3] and KEYS[4] (fast stats)

local zset_key, hash_key, user_zset_key, user_hash_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ttl, expire_at, client, info, user, user_mapping = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]

-- Entries may carry different TTLs: a key's expiry only ever moves later, so a short-lived entry
-- never takes longer-lived ones with it.
local function extend(key)
  local left = redis.call('pttl', key)
  if left < 0 or left < tonumber(ttl) then
    redis.call('pexpire', key, ttl)
  end
end

local is_new = redis.call('hexists', hash_key, client) == 0

redis.call('zadd', zset_key, expire_at, client)
redis.call('hset', hash_key, client, info)
extend(zset_key)
extend(hash_key)

if user_mapping == '1' then
  redis.call('zadd', user_zset_key, expire_at, user)
  if is_new then
    redis.call('hincrby', user_hash_key, user, 1)
  end
  extend(user_zset_key)
  extend(user_hash_key)
end

return 1
