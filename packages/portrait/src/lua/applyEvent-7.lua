--[[
  Applies one event's contribution to a profile (anonymous visitor or lead), once.

  KEYS[1] state    HASH  counters n:<kind> / flagged:<kind>, first_seen, last_seen (ms), linked_to, revenue:<CUR>,
                         refunded:<CUR>, h:<half-life ms> (heat), sd:<rule>, bt:<tag>, company, company_t,
                         alert_last:<rule>, held:<rule>; every value under 64 bytes (see includes/portrait.lua)
  KEYS[2] traits   HASH  trait -> '<event ms, base 36>\t<value JSON>': the latest statement by event time, at most
                         ARGV[7] names
  KEYS[3] seen     STRING the dedup window: 10 bytes per message id seen (see seenBefore)
  KEYS[4] orders   ZSET  order ids (and refund:<id>) counted, by event time, the newest ARGV[8] kept
  KEYS[5] log      LIST  contributions applied, newest last, at most ARGV[3]: what a link into a lead replays there.
                         Only profiles that can be linked into another keep one (visitors, provisional email leads)
  KEYS[6] ledger   LIST  the score ledger of the latest events that scored, one entry per event
                         {m, t, v, l: [[rule, weight, half-life ms], …]}, at most ARGV[5] (ClickHouse keeps every line)
  KEYS[7] companies ZSET company id -> latest event time: the companies the profile acted for, the newest ARGV[9]
  All seven share the profile's hash tag.

  ARGV[1] now: processing time, ms       ARGV[2] dedup window, ms        ARGV[3] log cap (0: keep no log)
  ARGV[4] contribution JSON {m, t, k, f, tr?, o?, h?, l?, sd?, bt?, co?, s?} (packages/scoring/src/contribution.ts)
  ARGV[5] ledger cap (events)            ARGV[6] expiry of all six keys, ms (0: none; visitors have one)
  ARGV[7] trait cap (names)              ARGV[8] order cap (ids)         ARGV[9] companies cap
  ARGV[10] the state fields to hand back with c.s (the ones alert rules read), tab-separated ('' for none): one
           argument rather than one each, since every event carries them and each argument costs the client

  Returns {'applied'} | {'duplicate'} | {'duplicate_order'} | {'redirect', <profile id>} when the profile was linked
  into another: the caller applies the event there instead (nothing is recorded here). With c.s set, 'applied' and
  'duplicate' are followed by field, value pairs of the named state fields present, for alert decisions, which a
  replay must be able to make again; when the contribution states traits, also 'companies' = the profile's companies,
  newest first, tab-separated (a new role is judged at each). A contribution it cannot use is an error reply starting BADINPUT, with nothing
  written.
]]
-- @include portrait

local state, traits, seen, orders, log, ledger, companies = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local now, window, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local c = cjson.decode(ARGV[4])
local bad = checkContribution(c)
if bad then return bad end
local ttl = tonumber(ARGV[6])
local replyFields = {}
for field in string.gmatch(ARGV[10] or '', '[^\t]+') do replyFields[#replyFields + 1] = field end

local function answer(status)
  local out = reply(status, state, c, replyFields)
  if c.s and c.tr then
    out[#out + 1] = 'companies'
    out[#out + 1] = table.concat(redis.call('ZREVRANGE', companies, 0, -1), '\t')
  end
  return out
end

local target = redis.call('HGET', state, 'linked_to')
if target then
  if ttl > 0 then redis.call('PEXPIRE', state, ttl) end
  return {'redirect', target}
end

if seenBefore(seen, c, now, window) then return answer('duplicate') end
if c.o and orderSeen(orders, c, tonumber(ARGV[8])) then return {'duplicate_order'} end

if c.f then
  redis.call('HINCRBY', state, 'flagged:' .. c.k, 1)
else
  redis.call('HINCRBY', state, 'n:' .. c.k, 1)
  touchSeen(state, c)
  if c.o then addMoney(state, c) end
  applyTraits(traits, c, tonumber(ARGV[7]))
  addStreakDays(state, c)
  addTagTimes(state, c)
  setCompany(state, companies, c, tonumber(ARGV[9]))
end
addHeat(state, c)
if c.l and #c.l > 0 then
  local lines = {}
  for i, line in ipairs(c.l) do lines[i] = {line.r, line.w, line.hl} end
  -- RPUSH answers the list's new length: no LLEN to ask it again.
  local ledgerCap = tonumber(ARGV[5])
  if redis.call('RPUSH', ledger, cjson.encode({m = c.m, t = c.t, v = c.l[1].v, l = lines})) > ledgerCap then redis.call('LTRIM', ledger, -ledgerCap, -1) end
end

if cap > 0 then
  if redis.call('RPUSH', log, ARGV[4]) > cap then redis.call('LTRIM', log, -cap, -1) end
end
if ttl > 0 then
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl) end
end
return answer('applied')
