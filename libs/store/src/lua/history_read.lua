-- Reads a channel stream and its top position (Centrifugo's Redis layout, server.md §3.3). Creates
-- the epoch when the meta holds none, so a position handed out here stays valid for later appends,
-- and refreshes the meta TTL: readers keep a stream's epoch alive.
--
-- KEYS[1] stream   P.stream.<ch>
-- KEYS[2] meta     P.stream.meta.<ch>
-- ARGV[1] mode     '0' = position only, 'f' = forward, 'r' = reverse
-- ARGV[2] from     forward: first offset wanted ('0' = from the oldest); reverse: newest offset
--                  wanted ('' = from the top; one above the top yields nothing, as the memory store)
-- ARGV[3] limit    '0' = no limit
-- ARGV[4] meta ttl ms
-- ARGV[5] new epoch
--
-- Returns { top offset, epoch, entries } with entries as XRANGE returns them.

local stream_key, meta_key = KEYS[1], KEYS[2]
local mode, from, limit, meta_ttl, new_epoch = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local meta = redis.call('hmget', meta_key, 'e', 's')
local epoch, top = meta[1], meta[2] or '0'
if not epoch then
  epoch = new_epoch
  redis.call('hset', meta_key, 'e', epoch)
end
redis.call('pexpire', meta_key, meta_ttl)

local entries = {}
if mode == 'f' then
  local start = '-'
  if from ~= '0' then
    start = from .. '-0'
  end
  if limit ~= '0' then
    entries = redis.call('xrange', stream_key, start, '+', 'COUNT', limit)
  else
    entries = redis.call('xrange', stream_key, start, '+')
  end
elseif mode == 'r' then
  local start = '+'
  if from ~= '' then
    if tonumber(from) > tonumber(top) then
      return { top, epoch, entries }
    end
    start = from .. '-0'
  end
  if limit ~= '0' then
    entries = redis.call('xrevrange', stream_key, start, '-', 'COUNT', limit)
  else
    entries = redis.call('xrevrange', stream_key, start, '-')
  end
end

return { top, epoch, entries }
