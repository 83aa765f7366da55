-- Shared by the profile and company scripts: what an event does to first/last seen and to traits.
-- Both are order-independent: min/max of event times, and for traits the latest statement by event time (ties
-- broken by messageId), so shuffled or late events leave the same state.

-- Event times in ms have 13 digits: stored as integers, never in exponent form.
local function formatTime(t)
  return string.format('%d', t)
end

-- Whole numbers in base 36 (an event time in ms takes 8 characters, not 13): values in the state hash stay under
-- Redis's 64-byte limit for its compact (listpack) encoding, which a single longer value would give up for the
-- whole hash. packages/portrait/src/compact.ts reads and writes the same.
local DIGITS36 = '0123456789abcdefghijklmnopqrstuvwxyz'
local function base36(n)
  if n == 0 then return '0' end
  local sign = ''
  if n < 0 then sign, n = '-', -n end
  local out = ''
  while n > 0 do
    local d = n % 36
    out = string.sub(DIGITS36, d + 1, d + 1) .. out
    n = (n - d) / 36
  end
  return sign .. out
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
  if c.o and (type(c.o.amount) ~= 'number' or not (c.o.amount >= 0 and c.o.amount <= 1e15) or type(c.o.id) ~= 'string' or type(c.o.currency) ~= 'string') then
    return redis.error_reply('BADINPUT order needs an id, a currency and an amount from 0 to 1e15')
  end
  return nil
end

-- The dedup window, packed in one string: 10 bytes per message, 6 of its id's SHA-1 then the processing time in whole
-- seconds (4 bytes, big-endian), appended in processing order; the expired entries at its front are dropped whenever
-- a message is recorded, and at most SEEN_CAP are kept (a lead flooded beyond that may count a replay of its oldest
-- messages again). A few dozen entries take a few hundred bytes where a sorted set of ids takes three times as much.
-- Returns true when the message was seen within the window; otherwise records it.
--
-- The lookup is a plain string.find (C speed) checked for alignment, not a walk of the entries in Lua: a busy lead or
-- company holds thousands, and walking them all for every event made the scripts' time grow with each one's
-- history (most of applyEvent's and applyCompany's time in bench:ingest).
local SEEN_CAP = 5000
local function packSeconds(s)
  local b4 = s % 256; s = (s - b4) / 256
  local b3 = s % 256; s = (s - b3) / 256
  local b2 = s % 256; s = (s - b2) / 256
  return string.char(s % 256, b2, b3, b4)
end
local function entrySeconds(text, at)
  local b1, b2, b3, b4 = string.byte(text, at + 6, at + 9)
  return ((b1 * 256 + b2) * 256 + b3) * 256 + b4
end
local function seenBefore(seen, c, nowMs, windowMs)
  local nowS = math.floor(nowMs / 1000)
  local cutoff = nowS - math.floor(windowMs / 1000)
  local hex = redis.sha1hex(c.m)
  local id = string.char(tonumber(string.sub(hex, 1, 2), 16), tonumber(string.sub(hex, 3, 4), 16), tonumber(string.sub(hex, 5, 6), 16),
    tonumber(string.sub(hex, 7, 8), 16), tonumber(string.sub(hex, 9, 10), 16), tonumber(string.sub(hex, 11, 12), 16))
  local current = redis.call('GET', seen) or ''
  local n = math.floor(#current / 10)
  local at = string.find(current, id, 1, true)
  while at and at <= n * 10 do
    if (at - 1) % 10 == 0 and entrySeconds(current, at) > cutoff then return true end
    at = string.find(current, id, at + 1, true)
  end
  -- Entries go in by processing time, so the expired ones are at the front (one written out of order by a clock a
  -- little behind stays until those before it expire); then the oldest beyond the cap.
  local drop = 0
  while drop < n and entrySeconds(current, drop * 10 + 1) <= cutoff do drop = drop + 1 end
  if n + 1 - drop > SEEN_CAP then drop = n + 1 - SEEN_CAP end
  local entry = id .. packSeconds(nowS)
  if drop > 0 or #current ~= n * 10 then
    redis.call('SET', seen, string.sub(current, drop * 10 + 1, n * 10) .. entry, 'KEEPTTL')
  else
    redis.call('APPEND', seen, entry)
  end
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

-- first_seen and last_seen: base 36 ms, the earliest and latest event time.
local function touchSeen(state, c)
  local seen = redis.call('HMGET', state, 'first_seen', 'last_seen')
  local first, last = tonumber(seen[1] or '', 36), tonumber(seen[2] or '', 36)
  if not first or c.t < first then redis.call('HSET', state, 'first_seen', base36(c.t)) end
  if not last or c.t > last then redis.call('HSET', state, 'last_seen', base36(c.t)) end
end

-- traits: HASH trait -> '<event ms, base 36>\t<value JSON>': the latest statement by event time (of two in one
-- millisecond, the larger value), at most `cap` names (a name beyond them is not kept: the first `cap` stay)
local function applyTraits(traits, c, cap)
  if not c.tr then return end
  local count = nil
  local at = base36(c.t)
  for name, value in pairs(c.tr) do
    local old = redis.call('HGET', traits, name)
    local newer = true
    if old then
      local tab = string.find(old, '\t', 1, true)
      local ot = tonumber(string.sub(old, 1, (tab or 1) - 1), 36)
      newer = ot == nil or c.t > ot or (c.t == ot and value > string.sub(old, tab + 1))
    else
      count = count or redis.call('HLEN', traits)
      newer = count < cap
      if newer then count = count + 1 end
    end
    if newer then redis.call('HSET', traits, name, at .. '\t' .. value) end
  end
end

local function addMoney(state, c)
  local field = 'revenue:'
  if c.k == 'refund' then field = 'refunded:' end
  redis.call('HINCRBYFLOAT', state, field .. c.o.currency, c.o.amount)
end

-- Heat, per half-life class k: state field h:<k> = '<era>,<sum>', as packages/scoring/src/heat.ts defines them. Only
-- powers of two multiply the sum, which is exact; the sum is stored with 17 digits, since 14 (Lua's default) would
-- round it on every write and make the result depend on arrival order again.
local ERA_HALF_LIVES = 512
local function addHeat(state, c)
  if not c.h then return end
  for _, term in ipairs(c.h) do
    local field = 'h:' .. term.k
    local era, sum = string.match(redis.call('HGET', state, field) or '', '^(-?%d+),(.+)$')
    era, sum = tonumber(era), tonumber(sum)
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
    redis.call('HSET', state, field, string.format('%d', era) .. ',' .. string.format('%.17g', sum))
  end
end

-- Streak state, per alert rule: the local days its pattern was hit within the 62 days up to the newest hit, as a
-- set (so arrival order does not matter): 'sd:<rule>' = '<newest day>:<bits 0-30>:<bits 31-61>', base 36, bit i
-- standing for the day i days before the newest. A late day older than the window is not kept.
local STREAK_WINDOW = 62
local function decodeDays(text)
  local hits = {}
  local newest, lo, hi = string.match(text or '', '^(%w+):(%w+):(%w+)$')
  if not newest then return nil, hits end
  newest, lo, hi = tonumber(newest, 36), tonumber(lo, 36), tonumber(hi, 36)
  for i = 0, STREAK_WINDOW - 1 do
    local half, bit = lo, i
    if i >= 31 then half, bit = hi, i - 31 end
    if math.floor(half / 2 ^ bit) % 2 == 1 then hits[i] = true end
  end
  return newest, hits
end
local function encodeDays(newest, hits)
  local lo, hi = 0, 0
  for i = 0, STREAK_WINDOW - 1 do
    if hits[i] then
      if i < 31 then lo = lo + 2 ^ i else hi = hi + 2 ^ (i - 31) end
    end
  end
  return base36(newest) .. ':' .. base36(lo) .. ':' .. base36(hi)
end
local function addStreakDays(state, c)
  if not c.sd then return end
  for _, hit in ipairs(c.sd) do
    local field = 'sd:' .. hit.a
    local newest, hits = decodeDays(redis.call('HGET', state, field))
    if not newest then
      newest, hits = hit.d, {[0] = true}
    elseif hit.d > newest then
      local shifted = {[0] = true}
      for i in pairs(hits) do
        if i + hit.d - newest < STREAK_WINDOW then shifted[i + hit.d - newest] = true end
      end
      newest, hits = hit.d, shifted
    elseif newest - hit.d < STREAK_WINDOW then
      hits[newest - hit.d] = true
    end
    redis.call('HSET', state, field, encodeDays(newest, hits))
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
-- count in a window needs, base 36, newest first. The newest k of a set do not depend on arrival order.
local function addTagTimes(state, c)
  if not c.bt then return end
  for _, hit in ipairs(c.bt) do
    local field = 'bt:' .. hit.g
    local times = {}
    local current = redis.call('HGET', state, field)
    if current then for t in string.gmatch(current, '%w+') do table.insert(times, tonumber(t, 36)) end end
    table.insert(times, c.t)
    table.sort(times, function(a, b) return a > b end)
    while #times > hit.k do table.remove(times) end
    local parts = {}
    for i, t in ipairs(times) do parts[i] = base36(t) end
    redis.call('HSET', state, field, table.concat(parts, ','))
  end
end

-- The lead's company: the one its latest event (by event time, then the larger id) was about,
-- 'company' = '<event ms, base 36>\t<id>'; and every company it acted for, latest first: KEYS companies ZSET
-- (company id -> latest event time), the newest `cap`, so a member's new role can be judged at each of them.
local function setCompany(state, companies, c, cap)
  if not c.co then return end
  local current = redis.call('HGET', state, 'company')
  local at, id = nil, nil
  if current then
    local tab = string.find(current, '\t', 1, true)
    at, id = tonumber(string.sub(current, 1, tab - 1), 36), string.sub(current, tab + 1)
  end
  if not at or c.t > at or (c.t == at and c.co > id) then redis.call('HSET', state, 'company', base36(c.t) .. '\t' .. c.co) end
  redis.call('ZADD', companies, 'GT', c.t, c.co)
  if redis.call('ZCARD', companies) > cap then redis.call('ZREMRANGEBYRANK', companies, 0, -cap - 1) end
end
