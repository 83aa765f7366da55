-- Links of profiles into leads: an anonymous visitor (a:<id>) or a provisional email lead (e:<email>) into a lead
-- (u:<userId> or e:<email>). At most two hops (a: → e: → u:). One row per linked profile; links never change.
CREATE TABLE IF NOT EXISTS {{db}}.identity_links {{on_cluster}} (
  profile String,
  lead String,
  reason String,
  message_id String,
  linked_at DateTime('UTC'),
  inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = {{engine:identity_links:ReplacingMergeTree(inserted_at)}}
ORDER BY profile;

-- Claims a person has to resolve: a visitor already linked to one lead claimed by another, or a user's email
-- claimed by a second user. Nothing is merged for them.
CREATE TABLE IF NOT EXISTS {{db}}.identity_conflicts {{on_cluster}} (
  message_id String,
  kind String,
  profile String,
  claimed_by String,
  existing String,
  detail String,
  at DateTime('UTC'),
  inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = {{engine:identity_conflicts:ReplacingMergeTree(inserted_at)}}
ORDER BY (message_id, kind, profile);
