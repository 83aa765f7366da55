--[[
  Makes a lead a member of a company for events it made before it was known: a visitor's (or provisional email
  lead's) history taken over by the lead at a link. The company counted those events already (as a visitor's, with no
  member), so only membership and buying-group engagements are written here, as they would have been had the lead
  been known then; the profile the history came from stops being a member, its engagements the lead's.

  KEYS[1] members ZSET  lead -> latest event time (the newest ARGV[5] kept)
  KEYS[2] bg      HASH  '<rule>\t<member>' -> latest engagement time (see applyCompany)
  KEYS[3] state   HASH  of the company (alert_last:<rule>, held:<rule>, for the reply)
  ARGV[1] now (ms)   ARGV[2] the lead   ARGV[3] the profile it took over, or ''   ARGV[4] latest event time (ms)
  ARGV[5] member cap   ARGV[6] JSON [{a: rule id, w: window ms, t: latest engagement ms}]

  Returns {'joined', <buying-group pairs of the rules in ARGV[6], as applyCompany's reply>}
]]
-- @include portrait
-- @include buying_groups

local members, bg, state = KEYS[1], KEYS[2], KEYS[3]
local now, lead, replaced, t = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local engagements = cjson.decode(ARGV[6])

if replaced ~= '' then redis.call('ZREM', members, replaced) end
redis.call('ZADD', members, 'GT', t, lead)
local cap = tonumber(ARGV[5])
if redis.call('ZCARD', members) > cap then redis.call('ZREMRANGEBYRANK', members, 0, -cap - 1) end

local all = redis.call('HGETALL', bg)
local suffix = '\t' .. replaced
for i = 1, #all, 2 do
  local field = all[i]
  if replaced ~= '' and string.sub(field, -#suffix) == suffix then
    -- The replaced profile's engagement becomes the lead's (the later of the two).
    local target = string.sub(field, 1, #field - #suffix) .. '\t' .. lead
    local at, current = tonumber(all[i + 1]), tonumber(redis.call('HGET', bg, target))
    if not current or at > current then redis.call('HSET', bg, target, all[i + 1]) end
    redis.call('HDEL', bg, field)
  end
end
for _, e in ipairs(engagements) do
  if e.t > now - e.w then
    local field = e.a .. '\t' .. lead
    local at = tonumber(redis.call('HGET', bg, field))
    if not at or e.t > at then redis.call('HSET', bg, field, formatTime(e.t)) end
  end
end
return buyingGroupReply('joined', state, bg, engagements)
