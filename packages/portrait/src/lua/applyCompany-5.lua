--[[
  Applies one event to its company (account), once: activity counters, first/last seen, members, traits from
  group calls, and revenue (each order once, for good).

  KEYS[1] state    HASH  n:<kind> / flagged:<kind>, events, first_seen, last_seen, revenue:<CUR>, refunded:<CUR>
  KEYS[2] traits   HASH  trait -> '<event ms>\t<messageId>\t<value JSON>', latest by event time
  KEYS[3] seen     ZSET  messageId -> processing time: the dedup window
  KEYS[4] members  SET   lead profile ids seen acting for the company
  KEYS[5] orders   SET   order ids (and refund:<id>) counted
  ARGV[1] now (ms)  ARGV[2] dedup window (ms)  ARGV[3] contribution JSON  ARGV[4] member profile id, or ''

  Returns {'applied'} | {'duplicate'}
]]
local state, traits, seen, members, orders = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local c = cjson.decode(ARGV[3])
-- Event times in ms have 13 digits: format them as integers, never in exponent form.
local time = string.format('%d', c.t)

redis.call('ZREMRANGEBYSCORE', seen, '-inf', now - window)
if redis.call('ZSCORE', seen, c.m) then return {'duplicate'} end
redis.call('ZADD', seen, now, c.m)
if ARGV[4] ~= '' then redis.call('SADD', members, ARGV[4]) end

local countOrder = true
if c.o then
  local member = c.o.id
  if c.k == 'refund' then member = 'refund:' .. c.o.id end
  countOrder = redis.call('SADD', orders, member) == 1
end

redis.call('HINCRBY', state, 'events', 1)
if c.f then
  redis.call('HINCRBY', state, 'flagged:' .. c.k, 1)
  return {'applied'}
end
redis.call('HINCRBY', state, 'n:' .. c.k, 1)
local first = tonumber(redis.call('HGET', state, 'first_seen'))
if not first or c.t < first then redis.call('HSET', state, 'first_seen', time) end
local last = tonumber(redis.call('HGET', state, 'last_seen'))
if not last or c.t > last then redis.call('HSET', state, 'last_seen', time) end
if c.o and countOrder then
  local field = 'revenue:'
  if c.k == 'refund' then field = 'refunded:' end
  redis.call('HINCRBYFLOAT', state, field .. c.o.currency, c.o.amount)
end
if c.tr then
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
return {'applied'}
