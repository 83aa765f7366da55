--[[
  Reads a company's buying-group state for the rules named, without changing it: for judging its groups again when
  a member's role may have changed (the member stated new traits).

  KEYS[1] state HASH   KEYS[2] bg HASH (see applyCompany)
  ARGV[1] JSON [{a: rule id}]

  Returns {'read', <pairs as applyCompany's reply>}
]]
-- @include buying_groups
return buyingGroupReply('read', KEYS[1], KEYS[2], cjson.decode(ARGV[1]))
