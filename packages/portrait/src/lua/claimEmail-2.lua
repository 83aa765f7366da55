--[[
  Gives an email address to a lead. A provisional lead keyed by the email itself (e:<email>) gives way to a user
  who claims it. A user's email is taken by another user only when the holder's claim was provisional (from an
  untrusted source: a browser's identify or form) and the new one is trusted (a CRM, a shop or server key, an import,
  a verified user): the caller records that as a conflict resolved. Otherwise a second user is refused (a conflict for
  a person to resolve). A trusted claim of the holder confirms it.

  KEYS[1] the email's owner key    KEYS[2] its provisional flag (present while the holder's claim is untrusted)
          (one hash tag per email: one slot)
  ARGV[1] the claiming lead's profile id   ARGV[2] '1' when the claim is trusted

  Returns {'claimed'} | {'taken', <previous owner>} | {'conflict', <owner>}
]]
local owner = redis.call('GET', KEYS[1])
local trusted = ARGV[2] == '1'
if owner and owner ~= ARGV[1] and string.sub(owner, 1, 2) ~= 'e:' then
  if trusted and redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('SET', KEYS[1], ARGV[1])
    redis.call('DEL', KEYS[2])
    return {'taken', owner}
  end
  return {'conflict', owner}
end
if trusted then
  redis.call('DEL', KEYS[2])
elseif owner ~= ARGV[1] then
  redis.call('SET', KEYS[2], '1')
end
redis.call('SET', KEYS[1], ARGV[1])
return {'claimed'}
