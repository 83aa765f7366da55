--[[
  Gives an email address to a lead. A provisional lead keyed by the email itself (e:<email>) gives way to a user
  who claims it; a user's email is never taken by another user (a conflict for a person to resolve).

  KEYS[1] the email's owner key (its own hash tag: one slot per email)
  ARGV[1] the claiming lead's profile id

  Returns {'claimed'} | {'conflict', <owner>}
]]
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] and string.sub(owner, 1, 2) ~= 'e:' then return {'conflict', owner} end
redis.call('SET', KEYS[1], ARGV[1])
return {'claimed'}
