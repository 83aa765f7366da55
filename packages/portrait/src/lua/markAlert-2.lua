--[[
  The alert outbox, beside the subject's state (a lead's or a company's): marks that a rule fired for a subject in a
  window, once. The caller then adds the job to the queue (another Redis slot) with a deterministic id and marks it
  enqueued; a marker still pending after a crash is enqueued again, so an alert is neither lost nor sent twice.
  Markers enqueued longer ago than ARGV[6] are dropped here (a replay that old cannot fire again: streak runs and
  crossings are remembered in alert_last and held:, forms must be fresh, quiet spells are keyed by their start),
  and at most ARGV[7] are kept.

  KEYS[1] alerts HASH  alert:<rule>:<window> = 'pending\t<marked ms>\t<job JSON>' | 'enqueued\t<marked ms>'
  KEYS[2] state  HASH  alert_last:<rule> = '<run start day>|<day fired>[|<held until ms>]' (once per run, cooldowns)
  ARGV[1] rule id   ARGV[2] window   ARGV[3] job JSON   ARGV[4] alert_last value or ''   ARGV[5] now (ms)
  ARGV[6] retention of enqueued markers (ms)   ARGV[7] most markers kept

  Returns {'new'} | {'exists', <marker>}
]]
local alerts, state = KEYS[1], KEYS[2]
local field = 'alert:' .. ARGV[1] .. ':' .. ARGV[2]
local now = tonumber(ARGV[5])
local existing = redis.call('HGET', alerts, field)
if existing then return {'exists', existing} end

local all = redis.call('HGETALL', alerts)
local enqueued = {}
for i = 1, #all, 2 do
  local status, at = string.match(all[i + 1], '^(%a+)\t(%d+)')
  if status == 'enqueued' then
    if tonumber(at) < now - tonumber(ARGV[6]) then redis.call('HDEL', alerts, all[i])
    else enqueued[#enqueued + 1] = {all[i], tonumber(at)} end
  end
end
local excess = (#all / 2) - tonumber(ARGV[7]) + 1
if excess > 0 then
  table.sort(enqueued, function(a, b) return a[2] < b[2] end)
  for i = 1, math.min(excess, #enqueued) do redis.call('HDEL', alerts, enqueued[i][1]) end
end

redis.call('HSET', alerts, field, 'pending\t' .. string.format('%d', now) .. '\t' .. ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', state, 'alert_last:' .. ARGV[1], ARGV[4]) end
return {'new'}
