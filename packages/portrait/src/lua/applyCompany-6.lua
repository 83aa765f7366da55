--[[
  Applies one event to its company (account), once: activity counters, first/last seen, members, traits from
  group calls, revenue (each order once), heat, and buying-group engagements.

  KEYS[1] state    HASH  n:<kind> / flagged:<kind>, first_seen, last_seen, revenue:<CUR>, refunded:<CUR>,
                         h:<half-life ms> (the company's heat: the sum of its members' and visitors'),
                         alert_last:<rule>, held:<rule>
  KEYS[2] traits   HASH  trait -> '<event ms, base 36>\t<value JSON>', latest by event time, at most ARGV[5] names
  KEYS[3] seen     STRING the dedup window (see seenBefore in includes/portrait.lua)
  KEYS[4] members  ZSET  lead profile ids seen acting for the company -> their latest event time; the newest ARGV[7]
  KEYS[5] orders   ZSET  order ids (and refund:<id>) counted, by event time, the newest ARGV[6]
  KEYS[6] bg       HASH  '<rule>\t<member>' -> the member's latest event time matching a buying-group rule; fields
                         older than the rule's window (before now) are dropped whenever the rule is touched
  ARGV[1] now (ms)  ARGV[2] dedup window (ms)  ARGV[3] contribution JSON {m, t, k, f, tr?, o?, h?, bg?, s?}
  ARGV[4] member profile id, or ''   ARGV[5] trait cap   ARGV[6] order cap   ARGV[7] member cap
  c.bg: [{a: rule id, w: its window ms}]: the buying-group rules the event matches (an engagement of the member)

  Returns {'applied'} | {'duplicate'}, followed with c.s by the buying-group pairs of the rules in c.bg
  (bg:<rule>:<member>, alert_last:<rule>, held:<rule>); BADINPUT error with nothing written for an unusable
  contribution.
]]
-- @include portrait
-- @include buying_groups

local state, traits, seen, members, orders, bg = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local c = cjson.decode(ARGV[3])
local bad = checkContribution(c)
if bad then return bad end
local member = ARGV[4]

local function answer(status)
  if not c.s then return {status} end
  return buyingGroupReply(status, state, bg, c.bg or {})
end

if seenBefore(seen, c, now, window) then return answer('duplicate') end
if member ~= '' then
  redis.call('ZADD', members, 'GT', c.t, member)
  local cap = tonumber(ARGV[7])
  if redis.call('ZCARD', members) > cap then redis.call('ZREMRANGEBYRANK', members, 0, -cap - 1) end
end

local countOrder = true
if c.o then countOrder = not orderSeen(orders, c, tonumber(ARGV[6])) end

if c.f then
  redis.call('HINCRBY', state, 'flagged:' .. c.k, 1)
  return answer('applied')
end
redis.call('HINCRBY', state, 'n:' .. c.k, 1)
touchSeen(state, c)
if c.o and countOrder then addMoney(state, c) end
applyTraits(traits, c, tonumber(ARGV[5]))
addHeat(state, c)
if c.bg then
  local all = redis.call('HGETALL', bg)
  for _, r in ipairs(c.bg) do
    local prefix = r.a .. '\t'
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, #prefix) == prefix and tonumber(all[i + 1]) <= now - r.w then redis.call('HDEL', bg, all[i]) end
    end
    if member ~= '' and c.t > now - r.w then
      local field = prefix .. member
      local at = tonumber(redis.call('HGET', bg, field))
      if not at or c.t > at then redis.call('HSET', bg, field, formatTime(c.t)) end
    end
  end
end
return answer('applied')
