--[[
  The alert outbox, inside the lead's state: marks that a rule fired for a lead in a window, once. The caller then
  adds the job to the queue (another Redis slot) with a deterministic id and marks it enqueued; a marker still
  pending after a crash is enqueued again on start, so an alert is neither lost nor sent twice.

  KEYS[1] state  HASH  of the lead: alert:<rule>:<window> = 'pending\t<job JSON>' | 'enqueued';
                       alert_last:<rule> = '<run start day>|<day fired>' (for once-per-run and cooldowns)
  ARGV[1] rule id   ARGV[2] window   ARGV[3] job JSON   ARGV[4] '<run start>|<day>' or ''

  Returns {'new'} | {'exists', <marker>}
]]
local field = 'alert:' .. ARGV[1] .. ':' .. ARGV[2]
local existing = redis.call('HGET', KEYS[1], field)
if existing then return {'exists', existing} end
redis.call('HSET', KEYS[1], field, 'pending\t' .. ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'alert_last:' .. ARGV[1], ARGV[4]) end
return {'new'}
