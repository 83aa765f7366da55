--[[
  Marks a linked profile merged, once the caller has replayed its history into the lead: the history and what only
  the profile's own portrait needed go, and the rest (its link, for redirects) expires unless events keep arriving
  for it. Until this runs, linkProfile hands the history back again; after, never.

  KEYS[1] state  HASH (merged = '1'; kept, with an expiry)      KEYS[2] log     LIST (deleted)
  KEYS[3] traits HASH (deleted)   KEYS[4] seen ZSET (deleted)   KEYS[5] orders  ZSET (deleted)
  KEYS[6] ledger LIST (deleted)   KEYS[7] companies ZSET (deleted)
  ARGV[1] expiry of the state, ms (0: none)

  Returns {'merged'} | {'not_linked'} (nothing done: the profile is linked to nobody)
]]
if not redis.call('HGET', KEYS[1], 'linked_to') then return {'not_linked'} end
redis.call('HSET', KEYS[1], 'merged', '1')
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return {'merged'}
