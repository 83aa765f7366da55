--[[
  Takes an amount from a budget for the current window, all or none: the window's count in Redis is shared by every
  process, and the window starts with the first take and expires with it (a collector's messages per source, an
  ingest worker's form alerts per source).

  KEYS[1] the budget's counter
  ARGV[1] amount to take   ARGV[2] amount the window allows   ARGV[3] window length, ms

  Returns {1, amount left} | {0, ms until the window ends}
]]
local taken = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local count = redis.call('INCRBY', KEYS[1], taken)
if count == taken then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3])) end
if count > limit then
  redis.call('DECRBY', KEYS[1], taken)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = tonumber(ARGV[3]) end
  return {0, ttl}
end
return {1, limit - count}
