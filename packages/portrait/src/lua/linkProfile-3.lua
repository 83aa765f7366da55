--[[
  Links a profile (an anonymous visitor, or a provisional email lead) into a lead, for good, and hands back what the
  lead must take over: the profile's history (its applied contributions, to replay there) until the caller has
  confirmed the replay (mergeProfile), and its alert state (when rules last fired and held), so a provisional
  lead's alerts are not sent again for the user it turns out to be. Idempotent: linking again into the same lead
  hands the history back again until it is merged (a crash between the link and the replay loses nothing) and
  nothing after (the history is counted once, whenever the link is said again); linking into another lead is refused
  as a conflict.

  The link's record is its earliest statement by event time (then message id), or, while none has arrived, its
  earliest derived one (worked out from what the stores knew, not said by the event), whatever order they arrive in,
  so identity_links rows and "linked at" do not depend on arrival.

  KEYS[1] state  HASH  of the profile being linked: linked_to, link_reason, link_message, link_at (event ms),
                       link_derived ('1' while the record is derived), merged
  KEYS[2] log    LIST  its applied contributions
  KEYS[3] alerts HASH  its alert outbox markers (handed over as fired: the lead does not fire them again)
  ARGV[1] the lead's profile id   ARGV[2] reason   ARGV[3] messageId of the event that says the link
  ARGV[4] that event's time (ms)   ARGV[5] '1' when the statement is derived

  Returns {'conflict', <lead it is linked to already>}
        | {'linked', <reason>, <message id>, <at ms>, <merged '0'|'1'>,
           <alert state JSON {field: value}: alert_last:*, held:*, and alert:* for the markers>,
           <record derived '0'|'1'>, <contribution JSON>...}
          (the record in force after this statement; contributions only while not merged)
]]
local state, log, outbox = KEYS[1], KEYS[2], KEYS[3]
local lead, reason, message, at = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

local current = redis.call('HMGET', state, 'linked_to', 'link_reason', 'link_message', 'link_at', 'merged', 'link_derived')
if current[1] and current[1] ~= lead then return {'conflict', current[1]} end
local currentAt = tonumber(current[4])
local derived = ARGV[5] == '1'
local currentDerived = current[6] == '1'
local earlier = currentAt and (at < currentAt or (at == currentAt and message < current[3]))
local replace = not current[1] or not currentAt or (currentDerived and not derived) or (currentDerived == derived and earlier)
if replace then
  redis.call('HSET', state, 'linked_to', lead, 'link_reason', reason, 'link_message', message, 'link_at', string.format('%d', at))
  if derived then redis.call('HSET', state, 'link_derived', '1') else redis.call('HDEL', state, 'link_derived') end
  current[2], current[3], currentAt, currentDerived = reason, message, at, derived
end
local merged = current[5] or '0'

local alerts = {}
local fields = redis.call('HGETALL', state)
for i = 1, #fields, 2 do
  local f = fields[i]
  if string.sub(f, 1, 11) == 'alert_last:' or string.sub(f, 1, 5) == 'held:' then alerts[f] = fields[i + 1] end
end
for _, field in ipairs(redis.call('HKEYS', outbox)) do alerts[field] = 'fired' end
local encoded = '{}'
if next(alerts) then encoded = cjson.encode(alerts) end

local out = {'linked', current[2], current[3], string.format('%d', currentAt), merged, encoded, currentDerived and '1' or '0'}
if merged ~= '1' then
  for _, entry in ipairs(redis.call('LRANGE', log, 0, -1)) do out[#out + 1] = entry end
end
return out
