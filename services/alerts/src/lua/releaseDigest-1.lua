--[[
  Gives back a claimed digest whose send failed, so the next tick sends it again (not only after the lease). Only
  while the claim is still this sender's: one taken over by another worker after the lease is that worker's now.

  KEYS[1] claimed ZSET  claim id scored by ms claimed (see claimDigest-4.lua)
  ARGV[1] claim id   ARGV[2] ms claimed, as claimDigest-4.lua returned it

  Returns 1 when released, 0 when the claim is no longer this sender's
]]
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if at and tonumber(at) == tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], 0, ARGV[1])
  return 1
end
return 0
