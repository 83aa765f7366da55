-- Every delivery attempt of a hot-lead alert and its outcome, for reporting (time to deliver, failures by channel).
-- Attempts are facts, so a plain MergeTree; an attempt written twice (a crash between the send and the insert)
-- is told apart by its attempt number and time.
CREATE TABLE IF NOT EXISTS {{db}}.alert_deliveries {{on_cluster}} (
  idempotency_key String,
  job_id String,
  lead String,
  company String,
  rule_id String,
  channel String,
  channel_type String,
  attempt UInt32,
  outcome String,
  http_status UInt16,
  error String,
  duration_ms UInt32,
  fired_at DateTime('UTC'),
  at DateTime('UTC')
) ENGINE = {{engine:alert_deliveries:MergeTree()}}
PARTITION BY toYYYYMM(at)
ORDER BY (lead, rule_id, at);
