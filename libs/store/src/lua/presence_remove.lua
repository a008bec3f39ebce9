-- Removes one presence entry (Centrifugo's Redis layout, server.md §3.3).
--
-- KEYS[1..4] as in presence_add.lua
-- ARGV[1] client id
-- ARGV[2] user id
-- ARGV[3] user mapping '1' = maintain the per-user keys

local zset_key, hash_key, user_zset_key, user_hash_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local client, user, user_mapping = ARGV[1], ARGV[2], ARGV[3]

local existed = redis.call('hdel', hash_key, client) == 1
redis.call('zrem', zset_key, client)

if user_mapping == '1' and existed then
  if redis.call('hincrby', user_hash_key, user, -1) <= 0 then
    redis.call('hdel', user_hash_key, user)
    redis.call('zrem', user_zset_key, user)
  end
end

return 1
