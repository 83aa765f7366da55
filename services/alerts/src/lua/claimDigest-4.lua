--[[
  Claims a channel's digest for one alerts worker to send. Claiming moves the alerts out of the waiting list in one
  step, so two workers never send the same alerts, and alerts added while a digest is being sent stay waiting for
  the next one (trimming after the send instead would drop them, or send twice). A claim its sender neither finished
  nor released within the lease (the worker crashed mid-send) is taken over and sent again: at least once, never lost.

  KEYS[1] waiting LIST   alert message JSON, oldest first (appended by the processor)
  KEYS[2] since   STRING ms when the oldest waiting alert was added (set NX by the processor)
  KEYS[3] claims  HASH   claim id = '{"since": <since ms>, "alerts": [<alert message JSON>...]}'
  KEYS[4] claimed ZSET   claim id scored by ms claimed; 0 once released after a failed send (due at once)
  ARGV[1] now (ms)   ARGV[2] digest period (ms)   ARGV[3] lease of a claim (ms)   ARGV[4] most alerts per digest
  ARGV[5] id of a new claim

  Returns {claim id, ms claimed, claim JSON, 1 when taken over else 0} | nil when nothing is due
]]
local waiting, sinceKey, claims, claimed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[1])

local stale = redis.call('ZRANGEBYSCORE', claimed, '-inf', now - tonumber(ARGV[3]), 'LIMIT', 0, 1)[1]
if stale then
  local claim = redis.call('HGET', claims, stale)
  if claim then
    redis.call('ZADD', claimed, ARGV[1], stale)
    return {stale, ARGV[1], claim, 1}
  end
  redis.call('ZREM', claimed, stale)
end

local since = redis.call('GET', sinceKey)
if not since or now - tonumber(since) < tonumber(ARGV[2]) then return nil end
local alerts = redis.call('LRANGE', waiting, 0, tonumber(ARGV[4]) - 1)
if #alerts == 0 then
  redis.call('DEL', sinceKey)
  return nil
end

local claim = cjson.encode({since = since, alerts = alerts})
redis.call('HSET', claims, ARGV[5], claim)
redis.call('ZADD', claimed, ARGV[1], ARGV[5])
redis.call('LTRIM', waiting, #alerts, -1)
-- Alerts left beyond one digest's worth wait a period from now, as if they had just started a digest.
if redis.call('LLEN', waiting) == 0 then redis.call('DEL', sinceKey) else redis.call('SET', sinceKey, ARGV[1]) end
return {ARGV[5], ARGV[1], claim, 0}
