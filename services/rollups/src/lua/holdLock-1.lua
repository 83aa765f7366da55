--[[
  The rollups' run lock: one snapshot at a time across all rollups workers. Takes the lock when free, or extends it
  when this holder has it; never takes it from another holder.

  KEYS[1] lock STRING = the holder's token, with an expiry (a holder that dies lets go by itself)
  ARGV[1] token   ARGV[2] time to hold (ms)

  Returns 1 when held by this token now, 0 when another holds it
]]
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0
