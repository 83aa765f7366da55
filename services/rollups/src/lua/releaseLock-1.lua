--[[
  Lets go of the rollups' run lock, only if this holder still has it (an expired lock taken since stays the other's).

  KEYS[1] lock STRING
  ARGV[1] token

  Returns 1 when released, 0 otherwise
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
