--[[
  Applies one event to its company (account), once: activity counters, first/last seen, members, traits from
  group calls, and revenue (each order once, for good).

  KEYS[1] state    HASH  n:<kind> / flagged:<kind>, events, first_seen, last_seen, revenue:<CUR>, refunded:<CUR>,
                         heat:<half-life ms>:e / :s (the company's heat: the sum of its members' and visitors')
  KEYS[2] traits   HASH  trait -> '<event ms>\t<messageId>\t<value JSON>', latest by event time
  KEYS[3] seen     ZSET  messageId -> processing time: the dedup window
  KEYS[4] members  SET   lead profile ids seen acting for the company
  KEYS[5] orders   SET   order ids (and refund:<id>) counted
  ARGV[1] now (ms)  ARGV[2] dedup window (ms)  ARGV[3] contribution JSON {m, t, k, f, tr?, o?, h?}  ARGV[4] member profile id, or ''

  Returns {'applied'} | {'duplicate'}
]]
-- @include portrait

local state, traits, seen, members, orders = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local c = cjson.decode(ARGV[3])

redis.call('ZREMRANGEBYSCORE', seen, '-inf', now - window)
if redis.call('ZSCORE', seen, c.m) then return {'duplicate'} end
redis.call('ZADD', seen, now, c.m)
if ARGV[4] ~= '' then redis.call('SADD', members, ARGV[4]) end

local countOrder = true
if c.o then
  countOrder = redis.call('SADD', orders, orderMember(c)) == 1
end

redis.call('HINCRBY', state, 'events', 1)
if c.f then
  redis.call('HINCRBY', state, 'flagged:' .. c.k, 1)
  return {'applied'}
end
redis.call('HINCRBY', state, 'n:' .. c.k, 1)
touchSeen(state, c)
if c.o and countOrder then addMoney(state, c) end
applyTraits(traits, c)
addHeat(state, c)
return {'applied'}
