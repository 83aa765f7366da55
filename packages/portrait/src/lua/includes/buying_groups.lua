-- Buying-group state of a company: KEYS bg HASH '<rule>\t<member>' -> the member's latest matching event time (ms).
-- The reply pairs for the rules named: bg:<rule>:<member> = time, alert_last:<rule>, held:<rule> (those present).
local function buyingGroupReply(status, state, bg, rules)
  local out = {status}
  local all = redis.call('HGETALL', bg)
  for _, r in ipairs(rules) do
    local prefix = r.a .. '\t'
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, #prefix) == prefix then
        out[#out + 1] = 'bg:' .. r.a .. ':' .. string.sub(all[i], #prefix + 1)
        out[#out + 1] = all[i + 1]
      end
    end
    local v = redis.call('HMGET', state, 'alert_last:' .. r.a, 'held:' .. r.a)
    if v[1] then out[#out + 1] = 'alert_last:' .. r.a; out[#out + 1] = v[1] end
    if v[2] then out[#out + 1] = 'held:' .. r.a; out[#out + 1] = v[2] end
  end
  return out
end
