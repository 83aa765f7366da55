--[[
  Links a profile (an anonymous visitor, or a provisional email lead) into a lead, for good, and hands back its
  history so the caller can replay it there. Idempotent: linking again into the same lead returns the history again
  (a crash between this and the replay loses nothing); linking into another lead is refused as a conflict.

  KEYS[1] state  HASH  of the profile being linked (linked_to is set here)
  KEYS[2] log    LIST  its applied contributions
  KEYS[3] links  HASH  reason / at / message of the link, for explanations
  ARGV[1] the lead's profile id   ARGV[2] reason   ARGV[3] messageId of the event that made the link   ARGV[4] now (ms)

  Returns {'linked', <contribution JSON>...} | {'conflict', <lead it is linked to already>}
]]
local existing = redis.call('HGET', KEYS[1], 'linked_to')
if existing and existing ~= ARGV[1] then return {'conflict', existing} end
if not existing then
  redis.call('HSET', KEYS[1], 'linked_to', ARGV[1])
  redis.call('HSET', KEYS[3], 'to', ARGV[1], 'reason', ARGV[2], 'message_id', ARGV[3], 'at', ARGV[4])
end
local history = redis.call('LRANGE', KEYS[2], 0, -1)
table.insert(history, 1, 'linked')
return history
