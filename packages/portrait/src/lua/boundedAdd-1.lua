--[[
  Adds a member to a set unless the set holds ARGV[2] members already: a lead's linked profiles, which a stranger
  could otherwise grow without end by identifying many visitor ids as one user.

  KEYS[1] set    ARGV[1] member    ARGV[2] most members

  Returns 1 added | 0 there already | -1 refused: full
]]
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
