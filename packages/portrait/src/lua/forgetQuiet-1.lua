--[[
  Takes leads the quiet sweep has handled out of a shard of the last-seen index, unless an event raised their score
  meanwhile: the index then holds only leads not yet quiet, so each sweep reads what changed, not every quiet lead
  ever. A lead that comes back is indexed again by its next event (ZADD GT on a missing member adds it).

  KEYS[1] last-seen index shard ZSET (lead -> last counted event time, ms)
  ARGV[1] the sweep's cut-off (ms): only members scored at or below it go   ARGV[2…] the leads handled

  Returns the number taken out
]]
local cutoff = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV do
  local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i]))
  if score and score <= cutoff then
    redis.call('ZREM', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
