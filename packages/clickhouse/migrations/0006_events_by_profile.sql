-- Each event under the profile it was recorded for, ordered by profile and time: a lead's timeline reads its own
-- rows by the primary key instead of scanning every event (events is ordered by message id). Filled by a
-- materialized view on every insert into events, and at creation with what events already holds (POPULATE: rows
-- inserted while it populates may be missing from it). One row per message and profile after merges.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.events_by_profile {{on_cluster}}
ENGINE = {{engine:events_by_profile:ReplacingMergeTree(inserted_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (profile, timestamp, message_id)
POPULATE AS
SELECT
  if(user_id != '', concat('u:', user_id), if(startsWith(anonymous_id, 'email:'), concat('e:', lower(substring(anonymous_id, 7))), concat('a:', anonymous_id))) AS profile,
  message_id, type, event, timestamp, path, url, order_id, revenue, currency, flags, inserted_at
FROM {{db}}.events;
