-- Every accepted event, as received: its anonymous id and user id, not a lead fixed at insert time, so analytics
-- resolve each event's lead at query time through identity_links (events from before an identify count too).
-- One row per message_id: a batch inserted again after a crash collapses on merge; read with FINAL, or aggregate
-- over message_id (uniqExact / argMax), for exact counts before merges. The same message always carries the same
-- event time, so its copies share a partition.
CREATE TABLE IF NOT EXISTS {{db}}.events {{on_cluster}} (
  message_id String,
  type String,
  event String,
  user_id String,
  anonymous_id String,
  group_id String,
  email String,
  timestamp DateTime('UTC'),
  received_at DateTime('UTC'),
  source_id String,
  source_kind String,
  flags Array(String),
  flag_reasons Array(String),
  url String,
  path String,
  referrer String,
  utm_source String,
  utm_medium String,
  utm_campaign String,
  ip String,
  user_agent String,
  order_id String,
  revenue Float64,
  currency String,
  properties String,
  traits String,
  context String,
  kafka_partition UInt32,
  kafka_offset UInt64,
  inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = {{engine:events:ReplacingMergeTree(inserted_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY message_id;
