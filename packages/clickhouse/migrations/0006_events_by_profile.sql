-- Each event under the profile it was recorded for, ordered by profile and time: a lead's timeline reads its own
-- rows by the primary key instead of scanning every event (events is ordered by message id). A plain table (so
-- mutations such as a privacy erasure can address it by name), filled by a materialized view on every insert into
-- events, and at creation with what events already holds. One row per message and profile after merges. Columns are
-- cast to this table's types, so an events table whose columns drifted (a narrower type) does not refuse every insert.
CREATE TABLE IF NOT EXISTS {{db}}.events_by_profile {{on_cluster}} (
  profile String,
  message_id String,
  type String,
  event String,
  timestamp DateTime('UTC'),
  path String,
  url String,
  order_id String,
  revenue Float64,
  currency String,
  flags Array(String),
  inserted_at DateTime('UTC')
) ENGINE = {{engine:events_by_profile:ReplacingMergeTree(inserted_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (profile, timestamp, message_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.events_by_profile_feed {{on_cluster}} TO {{db}}.events_by_profile AS
SELECT
  if(user_id != '', concat('u:', user_id), if(startsWith(anonymous_id, 'email:'), concat('e:', lower(substring(anonymous_id, 7))), concat('a:', anonymous_id))) AS profile,
  toString(message_id) AS message_id, toString(type) AS type, toString(event) AS event, timestamp, toString(path) AS path, toString(url) AS url,
  toString(order_id) AS order_id, toFloat64(revenue) AS revenue, toString(currency) AS currency, flags, inserted_at
FROM {{db}}.events;

-- What events held before the view existed (a migration runs once; a repeat would only add copies that merge away).
INSERT INTO {{db}}.events_by_profile
SELECT
  if(user_id != '', concat('u:', user_id), if(startsWith(anonymous_id, 'email:'), concat('e:', lower(substring(anonymous_id, 7))), concat('a:', anonymous_id))) AS profile,
  toString(message_id) AS message_id, toString(type) AS type, toString(event) AS event, timestamp, toString(path) AS path, toString(url) AS url,
  toString(order_id) AS order_id, toFloat64(revenue) AS revenue, toString(currency) AS currency, flags, inserted_at
FROM {{db}}.events;
