--[[
  Writes a rollup snapshot's verdict on a lead or a company into its portrait: field `rollup` of its state hash, the
  JSON array encodeRollupVerdict makes (packages/portrait/src/rollup-verdict.ts), starting with the snapshot's
  reference time in ms. Only onto a portrait that exists and is not merged into another (a profile linked away keeps
  only its link), and never older over newer: a snapshot computed for an earlier time after a later one leaves the
  later in place. Writing the same verdict again changes nothing. One field per subject: bounded.

  KEYS[1] state HASH of the lead or the company
  ARGV[1] the snapshot's reference time (ms)   ARGV[2] the verdict

  Returns {'applied'} | {'same'} | {'stale'} | {'absent'} | {'linked'}
]]
local state = KEYS[1]
if redis.call('EXISTS', state) == 0 then return {'absent'} end
if redis.call('HEXISTS', state, 'linked_to') == 1 then return {'linked'} end
local current = redis.call('HGET', state, 'rollup')
if current then
  if current == ARGV[2] then return {'same'} end
  local at = tonumber(string.match(current, '^%[(%d+)'))
  if at and at > tonumber(ARGV[1]) then return {'stale'} end
end
redis.call('HSET', state, 'rollup', ARGV[2])
return {'applied'}
