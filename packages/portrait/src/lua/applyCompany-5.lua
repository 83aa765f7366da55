--[[
  Applies one event to its company (account), once: activity counters, first/last seen, members, traits from
  group calls, and revenue (each order once, for good).

  KEYS[1] state    HASH  n:<kind> / flagged:<kind>, events, first_seen, last_seen, revenue:<CUR>, refunded:<CUR>,
                         heat:<half-life ms>:e / :s (the company's heat: the sum of its members' and visitors')
  KEYS[2] traits   HASH  trait -> '<event ms>\t<messageId>\t<value JSON>', latest by event time
  KEYS[3] seen     ZSET  messageId -> processing time: the dedup window
  KEYS[4] members  SET   lead profile ids seen acting for the company
  KEYS[5] orders   SET   order ids (and refund:<id>) counted
  ARGV[1] now (ms)  ARGV[2] dedup window (ms)  ARGV[3] contribution JSON {m, t, k, f, tr?, o?, h?, bg?, s?}
  ARGV[4] member profile id, or ''
  Buying groups: state field bg:<alert id>:<member> = the member's latest matching event time.

  Returns {'applied'} | {'duplicate'}, followed by the state's fields and values when c.s is set
]]
-- @include portrait

local state, traits, seen, members, orders = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local c = cjson.decode(ARGV[3])

redis.call('ZREMRANGEBYSCORE', seen, '-inf', now - window)
if redis.call('ZSCORE', seen, c.m) then return reply('duplicate', state, c) end
redis.call('ZADD', seen, now, c.m)
if ARGV[4] ~= '' then redis.call('SADD', members, ARGV[4]) end

local countOrder = true
if c.o then
  countOrder = redis.call('SADD', orders, orderMember(c)) == 1
end

redis.call('HINCRBY', state, 'events', 1)
if c.f then
  redis.call('HINCRBY', state, 'flagged:' .. c.k, 1)
  return reply('applied', state, c)
end
redis.call('HINCRBY', state, 'n:' .. c.k, 1)
touchSeen(state, c)
if c.o and countOrder then addMoney(state, c) end
applyTraits(traits, c)
addHeat(state, c)
if c.bg and ARGV[4] ~= '' then
  for _, alert in ipairs(c.bg) do
    local field = 'bg:' .. alert .. ':' .. ARGV[4]
    local at = tonumber(redis.call('HGET', state, field))
    if not at or c.t > at then redis.call('HSET', state, field, formatTime(c.t)) end
  end
end
return reply('applied', state, c)
