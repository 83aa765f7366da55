--[[
  Applies one event's contribution to a profile (anonymous visitor or lead), once.

  KEYS[1] state    HASH  counters n:<kind> / flagged:<kind>, events, first_seen, last_seen (ms), linked_to,
                         revenue:<CUR>, refunded:<CUR>
  KEYS[2] traits   HASH  trait -> '<event ms>\t<messageId>\t<value JSON>': the latest statement (by event time, then messageId)
  KEYS[3] seen     ZSET  messageId -> processing time (ms): the dedup window
  KEYS[4] orders   SET   order ids (and refund:<id>) applied, kept for good
  KEYS[5] log      LIST  contributions applied, newest last, capped: what a link to another profile replays there
  KEYS[6] from     SET   profiles linked into this one (unused here; keeps the profile's keys in one place)
  All six share the profile's hash tag.

  ARGV[1] now: processing time, ms       ARGV[2] dedup window, ms        ARGV[3] log cap (entries)
  ARGV[4] contribution JSON {m, t, k, f, tr?, o?} (see packages/scoring/src/contribution.ts)

  Returns {'applied'} | {'duplicate'} | {'duplicate_order'} | {'redirect', <profile id>} when the profile was linked
  into another: the caller applies the event there instead (nothing is recorded here).
]]
local state, traits, seen, orders, log = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, window, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local c = cjson.decode(ARGV[4])
-- Event times in ms have 13 digits: format them as integers, never in exponent form.
local time = string.format('%d', c.t)

local target = redis.call('HGET', state, 'linked_to')
if target then return {'redirect', target} end

redis.call('ZREMRANGEBYSCORE', seen, '-inf', now - window)
if redis.call('ZSCORE', seen, c.m) then return {'duplicate'} end

if c.o then
  local member = c.o.id
  if c.k == 'refund' then member = 'refund:' .. c.o.id end
  if redis.call('SADD', orders, member) == 0 then
    redis.call('ZADD', seen, now, c.m)
    return {'duplicate_order'}
  end
end
redis.call('ZADD', seen, now, c.m)

redis.call('HINCRBY', state, 'events', 1)
if c.f then
  redis.call('HINCRBY', state, 'flagged:' .. c.k, 1)
else
  redis.call('HINCRBY', state, 'n:' .. c.k, 1)
  local first = tonumber(redis.call('HGET', state, 'first_seen'))
  if not first or c.t < first then redis.call('HSET', state, 'first_seen', time) end
  local last = tonumber(redis.call('HGET', state, 'last_seen'))
  if not last or c.t > last then redis.call('HSET', state, 'last_seen', time) end
  if c.o then
    local field = 'revenue:'
    if c.k == 'refund' then field = 'refunded:' end
    redis.call('HINCRBYFLOAT', state, field .. c.o.currency, c.o.amount)
  end
end

-- Traits: the latest statement by event time wins, ties broken by messageId, so arrival order does not matter.
if c.tr and not c.f then
  for name, value in pairs(c.tr) do
    local old = redis.call('HGET', traits, name)
    local newer = true
    if old then
      local ot, om = string.match(old, '^(%d+)\t([^\t]*)\t')
      ot = tonumber(ot)
      newer = c.t > ot or (c.t == ot and c.m > om)
    end
    if newer then redis.call('HSET', traits, name, time .. '\t' .. c.m .. '\t' .. value) end
  end
end

redis.call('RPUSH', log, ARGV[4])
if redis.call('LLEN', log) > cap then redis.call('LTRIM', log, -cap, -1) end
return {'applied'}
