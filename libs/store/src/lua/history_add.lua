-- Appends one publication to a channel stream, atomically (Centrifugo's Redis layout, server.md §3.3).
--
-- KEYS[1] stream        P.stream.<ch>        STREAM, entry id = offset, field d = protobuf Publication
-- KEYS[2] meta          P.stream.meta.<ch>   HASH e = epoch, s = top offset, v / ve = version, its epoch
-- KEYS[3] result        P.result.<ch>.<key>  HASH e, s: the first result of an idempotency key
-- ARGV[1] payload       protobuf Publication (data, info, tags, time; no offset)
-- ARGV[2] size          MAXLEN of the stream (exact trim)
-- ARGV[3] stream ttl    ms
-- ARGV[4] meta ttl      ms
-- ARGV[5] new epoch     used when the meta holds none
-- ARGV[6] result ttl    ms; '' = no idempotency key
-- ARGV[7] use delta     '1' = also return the previous entry
-- ARGV[8] version       decimal; '0' = none
-- ARGV[9] version epoch
--
-- Returns { offset, epoch, suppress reason ('' | 'idempotency' | 'version'), prev offset, prev payload }.

local stream_key, meta_key, result_key = KEYS[1], KEYS[2], KEYS[3]
local payload, size, stream_ttl, meta_ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local new_epoch, result_ttl, use_delta = ARGV[5], ARGV[6], ARGV[7]
local version, version_epoch = ARGV[8], ARGV[9]

-- Decimal strings without leading zeros compare exactly by length, then text; Lua numbers are
-- doubles and would round versions above 2^53.
local function version_not_newer(candidate, stored)
  if #candidate ~= #stored then
    return #candidate < #stored
  end
  return candidate <= stored
end

if result_ttl ~= '' then
  local cached = redis.call('hmget', result_key, 'e', 's')
  if cached[1] then
    return { cached[2] or '0', cached[1], 'idempotency', '0', '' }
  end
end

local epoch = redis.call('hget', meta_key, 'e')
if not epoch then
  epoch = new_epoch
  redis.call('hset', meta_key, 'e', epoch)
end

-- The version check comes before the offset moves: a suppressed append takes no offset.
if version ~= '0' then
  local stored = redis.call('hmget', meta_key, 'v', 've')
  if stored[1] and (version_epoch == '' or version_epoch == (stored[2] or '')) and version_not_newer(version, stored[1]) then
    local top = redis.call('hget', meta_key, 's') or '0'
    redis.call('pexpire', meta_key, meta_ttl)
    return { top, epoch, 'version', '0', '' }
  end
  redis.call('hset', meta_key, 'v', version, 've', version_epoch)
end

local offset = redis.call('hincrby', meta_key, 's', 1)
redis.call('pexpire', meta_key, meta_ttl)

local prev_offset, prev_payload = '0', ''
if offset == 1 then
  -- A new epoch: whatever the stream still holds belongs to a forgotten one (e.g. the meta key
  -- was evicted), and its ids would also block XADD of offset 1.
  redis.call('del', stream_key)
elseif use_delta == '1' then
  local last = redis.call('xrevrange', stream_key, '+', '-', 'COUNT', 1)
  if #last > 0 then
    local id, fields = last[1][1], last[1][2]
    for i = 1, #fields, 2 do
      if fields[i] == 'd' then
        prev_offset = string.match(id, '^(%d+)')
        prev_payload = fields[i + 1]
        break
      end
    end
  end
end

redis.call('xadd', stream_key, 'MAXLEN', size, offset .. '-0', 'd', payload)
redis.call('pexpire', stream_key, stream_ttl)

if result_ttl ~= '' then
  redis.call('hset', result_key, 'e', epoch, 's', offset)
  redis.call('pexpire', result_key, result_ttl)
end

return { tostring(offset), epoch, '', prev_offset, prev_payload }
