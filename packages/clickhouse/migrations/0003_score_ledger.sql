-- Every heat change with the rule, the rules version and the event that caused it, so "why is this lead hot?" has
-- an answer: the lines of a lead's events (joined through events and identity_links, as leads are resolved at query
-- time) add up, decayed from event_time by half_life_ms, to the heat its portrait shows.
-- One row per event and rule: a batch written again collapses on merge.
CREATE TABLE IF NOT EXISTS {{db}}.score_ledger {{on_cluster}} (
  message_id String,
  rule_id String,
  rules_version String,
  weight Float64,
  half_life_ms UInt64,
  event_time DateTime('UTC'),
  event_time_ms UInt64,
  profile String,
  inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = {{engine:score_ledger:ReplacingMergeTree(inserted_at)}}
PARTITION BY toYYYYMM(event_time)
ORDER BY (message_id, rule_id);
