--[[
  Takes over the alert state of a profile linked into this lead (see linkProfile): for each field, the later of the
  two, so a firing the linked profile had is not made again for the lead, and a replay changes nothing.
    alert_last:<rule> = '<run start>|<day>[|<until ms>]'  later by day, then run start, then until
    held:<rule>       = '<until ms>'                      the larger
    alert:<rule>:<window>                                 a marker the lead lacks, as enqueued (that firing was sent)

  KEYS[1] state HASH of the lead   KEYS[2] alerts HASH of the lead (outbox markers)
  ARGV[1] JSON {field: value} (other fields are ignored)   ARGV[2] now (ms)

  Returns {'carried', <fields changed>}
]]
local given = cjson.decode(ARGV[1])
local changed = 0
local function key(value)
  local parts = {}
  for p in string.gmatch(value, '[^|]+') do parts[#parts + 1] = tonumber(p) or 0 end
  return parts
end
local function later(a, b)
  local x, y = key(a), key(b)
  -- day, run start, until
  local order = {2, 1, 3}
  for _, i in ipairs(order) do
    local p, q = x[i] or -1, y[i] or -1
    if p ~= q then return p > q end
  end
  return false
end
for field, value in pairs(given) do
  local current = nil
  if string.sub(field, 1, 6) ~= 'alert:' then current = redis.call('HGET', KEYS[1], field) end
  local take = false
  if string.sub(field, 1, 5) == 'held:' then
    take = not current or tonumber(value) > tonumber(current)
  elseif string.sub(field, 1, 11) == 'alert_last:' then
    take = not current or later(value, current)
  elseif string.sub(field, 1, 6) == 'alert:' then
    if redis.call('HSETNX', KEYS[2], field, 'enqueued\t' .. ARGV[2]) == 1 then changed = changed + 1 end
  end
  if take then
    redis.call('HSET', KEYS[1], field, value)
    changed = changed + 1
  end
end
return {'carried', changed}
