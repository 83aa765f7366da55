-- Analyst rollups (packages/analytics computes them; docs/analysts.md explains every column). A snapshot is the
-- rollup as of one reference time: its rows sit in one partition (as_of) of each snapshot table, built in the staging
-- twin (the same columns, by CREATE … AS) and published with REPLACE PARTITION, so a rerun replaces its snapshot whole
-- and past snapshots stay queryable.

-- One row per snapshot: when it ran, what it counted, what it left out, and the settings it used.
CREATE TABLE IF NOT EXISTS {{db}}.rollup_runs {{on_cluster}} (
  as_of DateTime('UTC'),
  started_at DateTime('UTC'),
  finished_at DateTime('UTC'),
  duration_ms UInt32,
  leads UInt64,
  buyers UInt64,
  companies UInt64,
  orders UInt64,
  revenue Float64,
  reporting_currency String,
  unrated_currencies Array(String),
  unrated_orders Array(UInt64),
  unrated_amounts Array(Float64),
  anonymous_orders UInt64,
  refunded_orders UInt64,
  unrated_refunds UInt64,
  unmatched_refunds UInt64,
  settings String
) ENGINE = {{engine:rollup_runs:ReplacingMergeTree(finished_at)}}
ORDER BY as_of;

-- Identity links of a snapshot being computed, both hops taken: profile → the lead it belonged to at the reference
-- time. Emptied after each run.
CREATE TABLE IF NOT EXISTS {{db}}.rollup_links_staging {{on_cluster}} (
  as_of DateTime('UTC'),
  profile String,
  resolved_lead String
) ENGINE = {{engine:rollup_links_staging:MergeTree()}}
PARTITION BY as_of
ORDER BY profile;

-- Each order as a snapshot counted it: once by order id, its lead, its value in the reporting currency net of
-- refunds, and why it was left out ('' when counted).
CREATE TABLE IF NOT EXISTS {{db}}.rollup_orders {{on_cluster}} (
  as_of DateTime('UTC'),
  order_id String,
  lead_id String,
  message_id String,
  ordered_at DateTime('UTC'),
  purchase_day Date,
  currency String,
  amount Float64,
  rate Float64,
  value Float64,
  refunds UInt32,
  refunded Float64,
  unrated_refunds UInt32,
  net Float64,
  counted UInt8,
  left_out String
) ENGINE = {{engine:rollup_orders:MergeTree()}}
PARTITION BY as_of
ORDER BY (lead_id, order_id);

CREATE TABLE IF NOT EXISTS {{db}}.rollup_orders_staging {{on_cluster}} AS {{db}}.rollup_orders
ENGINE = {{engine:rollup_orders_staging:MergeTree()}}
PARTITION BY as_of
ORDER BY (lead_id, order_id);

-- Buyers of a snapshot being computed (the population the scores are quintiles of); emptied after each run.
CREATE TABLE IF NOT EXISTS {{db}}.rollup_buyers_staging {{on_cluster}} (
  as_of DateTime('UTC'),
  lead_id String,
  first_day Date,
  last_day Date,
  recency_days UInt32,
  frequency UInt32,
  monetary Float64,
  lifetime_orders UInt32,
  lifetime_revenue Float64,
  x UInt32,
  t_x UInt32,
  T UInt32,
  mean_repeat_value Float64
) ENGINE = {{engine:rollup_buyers_staging:MergeTree()}}
PARTITION BY as_of
ORDER BY lead_id;

-- How a row moved since the previous snapshot (rollup_leads and rollup_companies alike): its stage and segment in
-- the previous snapshot (NULL when it was not there), the stage and segment it had before its last change, and when
-- each last changed (the first snapshot showing the current value).

-- Every known lead of a snapshot: RFM, segment, lifecycle stage, ABC class and lifetime-value inputs (NULL for leads
-- without a counted order, except frequency and monetary, which are 0).
CREATE TABLE IF NOT EXISTS {{db}}.rollup_leads {{on_cluster}} (
  as_of DateTime('UTC'),
  lead_id String,
  company_id String,
  first_seen_at DateTime('UTC'),
  last_active_at Nullable(DateTime('UTC')),
  buyer UInt8,
  first_order_day Nullable(Date),
  last_order_day Nullable(Date),
  lifetime_orders UInt32,
  lifetime_revenue Float64,
  recency_days Nullable(UInt32),
  frequency UInt32,
  monetary Float64,
  r_score Nullable(UInt8),
  f_score Nullable(UInt8),
  m_score Nullable(UInt8),
  rfm_code Nullable(String),
  rfm_segment Nullable(String),
  lifecycle_stage String,
  abc_class Nullable(String),
  x Nullable(UInt32),
  t_x Nullable(UInt32),
  T Nullable(UInt32),
  mean_repeat_value Nullable(Float64),
  previous_as_of Nullable(DateTime('UTC')),
  stage_at_previous Nullable(String),
  segment_at_previous Nullable(String),
  previous_stage Nullable(String),
  previous_segment Nullable(String),
  stage_changed_at DateTime('UTC'),
  segment_changed_at DateTime('UTC')
) ENGINE = {{engine:rollup_leads:MergeTree()}}
PARTITION BY as_of
ORDER BY lead_id;

CREATE TABLE IF NOT EXISTS {{db}}.rollup_leads_staging {{on_cluster}} AS {{db}}.rollup_leads
ENGINE = {{engine:rollup_leads_staging:MergeTree()}}
PARTITION BY as_of
ORDER BY lead_id;

-- Companies that bought, of a snapshot being computed; emptied after each run.
CREATE TABLE IF NOT EXISTS {{db}}.rollup_company_buyers_staging {{on_cluster}} (
  as_of DateTime('UTC'),
  company_id String,
  first_day Date,
  last_day Date,
  recency_days UInt32,
  frequency UInt32,
  monetary Float64,
  lifetime_orders UInt32,
  lifetime_revenue Float64,
  x UInt32,
  t_x UInt32,
  T UInt32,
  mean_repeat_value Float64
) ENGINE = {{engine:rollup_company_buyers_staging:MergeTree()}}
PARTITION BY as_of
ORDER BY company_id;

-- Every company a known lead belonged to at a snapshot, scored like the leads from its members' orders (each order
-- once by order id): known_leads members, buyers of them.
CREATE TABLE IF NOT EXISTS {{db}}.rollup_companies {{on_cluster}} (
  as_of DateTime('UTC'),
  company_id String,
  known_leads UInt32,
  buyers UInt32,
  last_active_at Nullable(DateTime('UTC')),
  buyer UInt8,
  first_order_day Nullable(Date),
  last_order_day Nullable(Date),
  lifetime_orders UInt32,
  lifetime_revenue Float64,
  recency_days Nullable(UInt32),
  frequency UInt32,
  monetary Float64,
  r_score Nullable(UInt8),
  f_score Nullable(UInt8),
  m_score Nullable(UInt8),
  rfm_code Nullable(String),
  rfm_segment Nullable(String),
  lifecycle_stage String,
  abc_class Nullable(String),
  previous_as_of Nullable(DateTime('UTC')),
  stage_at_previous Nullable(String),
  segment_at_previous Nullable(String),
  previous_stage Nullable(String),
  previous_segment Nullable(String),
  stage_changed_at DateTime('UTC'),
  segment_changed_at DateTime('UTC')
) ENGINE = {{engine:rollup_companies:MergeTree()}}
PARTITION BY as_of
ORDER BY company_id;

CREATE TABLE IF NOT EXISTS {{db}}.rollup_companies_staging {{on_cluster}} AS {{db}}.rollup_companies
ENGINE = {{engine:rollup_companies_staging:MergeTree()}}
PARTITION BY as_of
ORDER BY company_id;

-- The latest snapshot (by reference time), as analysts query it. computed_at is the snapshot's reference time.
CREATE VIEW IF NOT EXISTS {{db}}.lead_rfm {{on_cluster}} AS
SELECT lead_id, company_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_segment, lifecycle_stage, abc_class, as_of AS computed_at
FROM {{db}}.rollup_leads
WHERE as_of = (SELECT max(as_of) FROM {{db}}.rollup_runs);

-- Lifetime-value inputs of the latest snapshot's buyers (Fader & Hardie; t_x and T in days).
CREATE VIEW IF NOT EXISTS {{db}}.lead_clv_inputs {{on_cluster}} AS
SELECT lead_id, as_of, assumeNotNull(x) AS x, assumeNotNull(t_x) AS t_x, assumeNotNull(T) AS T, assumeNotNull(mean_repeat_value) AS mean_repeat_value
FROM {{db}}.rollup_leads
WHERE as_of = (SELECT max(as_of) FROM {{db}}.rollup_runs) AND buyer = 1;

-- The latest snapshot's companies.
CREATE VIEW IF NOT EXISTS {{db}}.company_rfm {{on_cluster}} AS
SELECT company_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_segment, lifecycle_stage, abc_class, as_of AS computed_at, buyers, known_leads
FROM {{db}}.rollup_companies
WHERE as_of = (SELECT max(as_of) FROM {{db}}.rollup_runs);

-- How the base moved between each snapshot and the one before it: leads and companies by stage and segment there
-- (NULL: not in it) and here.
CREATE VIEW IF NOT EXISTS {{db}}.rollup_transitions {{on_cluster}} AS
SELECT 'lead' AS entity, assumeNotNull(previous_as_of) AS from_as_of, as_of AS to_as_of, stage_at_previous AS from_stage, lifecycle_stage AS to_stage,
  segment_at_previous AS from_segment, rfm_segment AS to_segment, count() AS count
FROM {{db}}.rollup_leads
WHERE isNotNull(previous_as_of)
GROUP BY from_as_of, to_as_of, from_stage, to_stage, from_segment, to_segment
UNION ALL
SELECT 'company' AS entity, assumeNotNull(previous_as_of) AS from_as_of, as_of AS to_as_of, stage_at_previous AS from_stage, lifecycle_stage AS to_stage,
  segment_at_previous AS from_segment, rfm_segment AS to_segment, count() AS count
FROM {{db}}.rollup_companies
WHERE isNotNull(previous_as_of)
GROUP BY from_as_of, to_as_of, from_stage, to_stage, from_segment, to_segment;
