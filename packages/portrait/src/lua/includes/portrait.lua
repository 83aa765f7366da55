-- Shared by the profile and company scripts: what an event does to first/last seen and to traits.
-- Both are order-independent: min/max of event times, and for traits the latest statement by event time (ties
-- broken by messageId), so shuffled or late events leave the same state.

-- Event times in ms have 13 digits: stored as integers, never in exponent form.
local function formatTime(t)
  return string.format('%d', t)
end

-- Checks what a script is about to apply before it writes anything, so a contribution it cannot use fails the
-- script with nothing written (the worker then dead-letters that one event). The collector and the worker's own
-- checks keep such contributions out; this is the last line.
local function checkContribution(c)
  if type(c) ~= 'table' or type(c.m) ~= 'string' or type(c.t) ~= 'number' or type(c.k) ~= 'string' then
    return redis.error_reply('BADINPUT contribution lacks m, t or k')
  end
  if c.t < 0 or c.t ~= math.floor(c.t) or c.t > 4294967295000 then
    return redis.error_reply('BADINPUT event time ' .. tostring(c.t) .. ' is not a whole ms between 1970 and 2106')
  end
  return nil
end

-- The short form of a message id that dedup sets and trait tie-breaks keep (48 bits of its SHA-1): a lead holds a
-- few dozen at a time, so a collision would need ~10^13 messages of one lead.
local function shortId(m)
  return string.sub(redis.sha1hex(m), 1, 12)
end

-- The dedup window: short message ids scored by processing time in whole seconds. Returns true when the message
-- was seen within the window; otherwise records it.
local function seenBefore(seen, c, nowMs, windowMs)
  local nowS = math.floor(nowMs / 1000)
  redis.call('ZREMRANGEBYSCORE', seen, '-inf', '(' .. string.format('%d', nowS - math.floor(windowMs / 1000)))
  local id = shortId(c.m)
  if redis.call('ZSCORE', seen, id) then return true end
  redis.call('ZADD', seen, nowS, id)
  return false
end

-- Orders and refunds are counted once by order id: a sorted set scored by event time, the newest `cap` kept.
-- Returns true when the order was counted already.
local function orderSeen(orders, c, cap)
  local member = c.o.id
  if c.k == 'refund' then member = 'refund:' .. c.o.id end
  if redis.call('ZSCORE', orders, member) then return true end
  redis.call('ZADD', orders, c.t, member)
  if redis.call('ZCARD', orders) > cap then redis.call('ZREMRANGEBYRANK', orders, 0, -cap - 1) end
  return false
end

local function touchSeen(state, c)
  local first = tonumber(redis.call('HGET', state, 'first_seen'))
  if not first or c.t < first then redis.call('HSET', state, 'first_seen', formatTime(c.t)) end
  local last = tonumber(redis.call('HGET', state, 'last_seen'))
  if not last or c.t > last then redis.call('HSET', state, 'last_seen', formatTime(c.t)) end
end

-- traits: HASH trait -> '<event ms>\t<short message id>\t<value JSON>', at most `cap` names (a name beyond them is
-- not kept: the first `cap` a profile stated stay)
local function applyTraits(traits, c, cap)
  if not c.tr then return end
  local tie = shortId(c.m)
  local count = nil
  for name, value in pairs(c.tr) do
    local old = redis.call('HGET', traits, name)
    local newer = true
    if old then
      local ot, om = string.match(old, '^(-?%d+)\t([^\t]*)\t')
      ot = tonumber(ot)
      newer = ot == nil or c.t > ot or (c.t == ot and tie > om)
    else
      count = count or redis.call('HLEN', traits)
      newer = count < cap
      if newer then count = count + 1 end
    end
    if newer then redis.call('HSET', traits, name, formatTime(c.t) .. '\t' .. tie .. '\t' .. value) end
  end
end

local function addMoney(state, c)
  local field = 'revenue:'
  if c.k == 'refund' then field = 'refunded:' end
  redis.call('HINCRBYFLOAT', state, field .. c.o.currency, c.o.amount)
end

-- Heat, per half-life class k: state fields heat:<k>:e (era) and heat:<k>:s (sum), as packages/scoring/src/heat.ts
-- defines them. Only powers of two multiply the sum, which is exact; the sum is stored with 17 digits, since 14
-- (Lua's default) would round it on every write and make the result depend on arrival order again.
local ERA_HALF_LIVES = 512
local function addHeat(state, c)
  if not c.h then return end
  for _, term in ipairs(c.h) do
    local ef, sf = 'heat:' .. term.k .. ':e', 'heat:' .. term.k .. ':s'
    local era = tonumber(redis.call('HGET', state, ef))
    local sum = tonumber(redis.call('HGET', state, sf))
    if not era then
      era, sum = term.e, term.a
    elseif term.e > era then
      sum = sum * 2 ^ (-(term.e - era) * ERA_HALF_LIVES) + term.a
      era = term.e
    elseif term.e < era then
      sum = sum + term.a * 2 ^ (-(era - term.e) * ERA_HALF_LIVES)
    else
      sum = sum + term.a
    end
    redis.call('HSET', state, ef, string.format('%d', era), sf, string.format('%.17g', sum))
  end
end

-- Streak state, per alert rule: the local days its pattern was hit, as a sorted list of day numbers (the newest 62).
-- A set, so arrival order does not matter.
local function addStreakDays(state, c)
  if not c.sd then return end
  for _, hit in ipairs(c.sd) do
    local field = 'sd:' .. hit.a
    local days, present = {}, false
    local current = redis.call('HGET', state, field)
    if current then
      for d in string.gmatch(current, '-?%d+') do
        local n = tonumber(d)
        if n == hit.d then present = true end
        table.insert(days, n)
      end
    end
    if not present then
      table.insert(days, hit.d)
      table.sort(days)
      while #days > 62 do table.remove(days, 1) end
      local parts = {}
      for i, d in ipairs(days) do parts[i] = string.format('%d', d) end
      redis.call('HSET', state, field, table.concat(parts, ','))
    end
  end
end

-- The reply, with the state after the event when the caller asked for it (to decide alerts): the named fields when
-- it names them (a lead's state grows with every alert marker; decisions read a few fields), else all of them.
-- Either way field, value pairs, absent fields left out.
local function reply(status, state, c, fields)
  if not c.s then return {status} end
  if fields and #fields > 0 then
    local values = redis.call('HMGET', state, unpack(fields))
    local out = {status}
    for i, field in ipairs(fields) do
      if values[i] then
        out[#out + 1] = field
        out[#out + 1] = values[i]
      end
    end
    return out
  end
  local all = redis.call('HGETALL', state)
  table.insert(all, 1, status)
  return all
end

-- Behavioral tags, per rule: the times of its newest k matching events (k = the rule's atLeast), which is all a
-- count in a window needs. The newest k of a set do not depend on arrival order.
local function addTagTimes(state, c)
  if not c.bt then return end
  for _, hit in ipairs(c.bt) do
    local field = 'bt:' .. hit.g
    local times = {}
    local current = redis.call('HGET', state, field)
    if current then for t in string.gmatch(current, '%d+') do table.insert(times, tonumber(t)) end end
    table.insert(times, c.t)
    table.sort(times, function(a, b) return a > b end)
    while #times > hit.k do table.remove(times) end
    local parts = {}
    for i, t in ipairs(times) do parts[i] = formatTime(t) end
    redis.call('HSET', state, field, table.concat(parts, ','))
  end
end

-- The lead's company: the one its latest event (by event time) was about.
local function setCompany(state, c)
  if not c.co then return end
  local at = tonumber(redis.call('HGET', state, 'company_t'))
  if not at or c.t >= at then redis.call('HSET', state, 'company', c.co, 'company_t', formatTime(c.t)) end
end
