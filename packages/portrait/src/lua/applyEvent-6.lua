--[[
  Applies one event's contribution to a profile (anonymous visitor or lead), once.

  KEYS[1] state    HASH  counters n:<kind> / flagged:<kind>, events, first_seen, last_seen (ms), linked_to,
                         revenue:<CUR>, refunded:<CUR>
  KEYS[2] traits   HASH  trait -> '<event ms>\t<messageId>\t<value JSON>': the latest statement (by event time, then messageId)
  KEYS[3] seen     ZSET  messageId -> processing time (ms): the dedup window
  KEYS[4] orders   SET   order ids (and refund:<id>) applied, kept for good
  KEYS[5] log      LIST  contributions applied, newest last, capped: what a link to another profile replays there
  KEYS[6] ledger   LIST  the latest score ledger lines {m, t, r, w, hl, v}, capped (ClickHouse keeps them all)
  All six share the profile's hash tag. Heat lives in state as heat:<half-life ms>:e / heat:<half-life ms>:s.

  ARGV[1] now: processing time, ms       ARGV[2] dedup window, ms        ARGV[3] log cap (entries)
  ARGV[4] contribution JSON {m, t, k, f, tr?, o?, h?, l?} (see packages/scoring/src/contribution.ts)
  ARGV[5] ledger cap (lines)
  ARGV[6…] the state fields to hand back with c.s (the ones alert rules read); none: all of them

  Returns {'applied'} | {'duplicate'} | {'duplicate_order'} | {'redirect', <profile id>} when the profile was linked
  into another: the caller applies the event there instead (nothing is recorded here). With c.s set, 'applied' and
  'duplicate' are followed by field, value pairs of the state hash (those of ARGV[6…] present, or all), for alert
  decisions, which a replay must be able to make again.
]]
-- @include portrait

local state, traits, seen, orders, log, ledger = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now, window, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local c = cjson.decode(ARGV[4])
local replyFields = {unpack(ARGV, 6)}

local target = redis.call('HGET', state, 'linked_to')
if target then return {'redirect', target} end

redis.call('ZREMRANGEBYSCORE', seen, '-inf', now - window)
if redis.call('ZSCORE', seen, c.m) then return reply('duplicate', state, c, replyFields) end

if c.o then
  if redis.call('SADD', orders, orderMember(c)) == 0 then
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
  touchSeen(state, c)
  if c.o then addMoney(state, c) end
end

if not c.f then
  applyTraits(traits, c)
  addStreakDays(state, c)
  addTagTimes(state, c)
  setCompany(state, c)
end
addHeat(state, c)
if c.l then
  for _, line in ipairs(c.l) do
    redis.call('RPUSH', ledger, cjson.encode({m = c.m, t = c.t, r = line.r, w = line.w, hl = line.hl, v = line.v}))
  end
  local ledgerCap = tonumber(ARGV[5])
  if redis.call('LLEN', ledger) > ledgerCap then redis.call('LTRIM', ledger, -ledgerCap, -1) end
end

redis.call('RPUSH', log, ARGV[4])
if redis.call('LLEN', log) > cap then redis.call('LTRIM', log, -cap, -1) end
return reply('applied', state, c, replyFields)
