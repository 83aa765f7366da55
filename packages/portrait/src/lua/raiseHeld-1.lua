--[[
  Records that crossings still hold: held:<rule> is raised to the given time and never lowered, so judgments in any
  order leave the latest "known to hold until" (see decideAlerts / decideCompanyAlerts in packages/scoring).

  KEYS[1] state HASH of the lead or company
  ARGV    rule id, until (ms), rule id, until, …

  Returns the number of fields raised
]]
local raised = 0
for i = 1, #ARGV, 2 do
  local field = 'held:' .. ARGV[i]
  local current = tonumber(redis.call('HGET', KEYS[1], field))
  local upTo = tonumber(ARGV[i + 1])
  if not current or upTo > current then
    redis.call('HSET', KEYS[1], field, string.format('%d', upTo))
    raised = raised + 1
  end
end
return raised
