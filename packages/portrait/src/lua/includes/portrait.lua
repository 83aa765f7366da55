-- Shared by the profile and company scripts: what an event does to first/last seen and to traits.
-- Both are order-independent: min/max of event times, and for traits the latest statement by event time (ties
-- broken by messageId), so shuffled or late events leave the same state.

-- Event times in ms have 13 digits: stored as integers, never in exponent form.
local function formatTime(t)
  return string.format('%d', t)
end

local function touchSeen(state, c)
  local first = tonumber(redis.call('HGET', state, 'first_seen'))
  if not first or c.t < first then redis.call('HSET', state, 'first_seen', formatTime(c.t)) end
  local last = tonumber(redis.call('HGET', state, 'last_seen'))
  if not last or c.t > last then redis.call('HSET', state, 'last_seen', formatTime(c.t)) end
end

-- traits: HASH trait -> '<event ms>\t<messageId>\t<value JSON>'
local function applyTraits(traits, c)
  if not c.tr then return end
  for name, value in pairs(c.tr) do
    local old = redis.call('HGET', traits, name)
    local newer = true
    if old then
      local ot, om = string.match(old, '^(%d+)\t([^\t]*)\t')
      ot = tonumber(ot)
      newer = c.t > ot or (c.t == ot and c.m > om)
    end
    if newer then redis.call('HSET', traits, name, formatTime(c.t) .. '\t' .. c.m .. '\t' .. value) end
  end
end

local function addMoney(state, c)
  local field = 'revenue:'
  if c.k == 'refund' then field = 'refunded:' end
  redis.call('HINCRBYFLOAT', state, field .. c.o.currency, c.o.amount)
end

-- Orders and refunds are counted once for good, by order id.
local function orderMember(c)
  if c.k == 'refund' then return 'refund:' .. c.o.id end
  return c.o.id
end
