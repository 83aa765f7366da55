-- Users a person merged by hand (POST /leads/:id/merge): `lead` is one person with `merged_into` from `merged_at`.
-- Kept closed under composition by the API (merging B into C re-points every lead merged into B at C, as of that
-- merge), so a lead's latest row names its lead in one hop, and a row per (lead, merged_into) keeps the history:
-- a query as of a time takes each lead's latest row at or before it. The merge event itself (an `alias` from the
-- `admin` source) is in `events`, which is what rescores and backtests replay.
CREATE TABLE IF NOT EXISTS {{db}}.lead_merges {{on_cluster}} (
  lead String,
  merged_into String,
  merged_at DateTime('UTC'),
  message_id String,
  merged_by String,
  note String,
  inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = {{engine:lead_merges:ReplacingMergeTree(inserted_at)}}
ORDER BY (lead, merged_into);
