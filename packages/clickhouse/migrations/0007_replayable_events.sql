-- What a replay (rescore, backtest) needs to rebuild each event exactly as the ingest workers read it from Kafka:
-- event and receipt times to the millisecond (DateTime keeps seconds; streak days, heat and windows use ms), an
-- alias call's previousId, and a page or screen call's category. Rows written before these columns default to the
-- whole seconds they kept, an empty previousId and category. Each ADD COLUMN runs only while the column is missing
-- (the migration runner checks system.columns: 18.16 has no ADD COLUMN IF NOT EXISTS), so the file is re-runnable.
ALTER TABLE {{db}}.events {{on_cluster}} ADD COLUMN timestamp_ms UInt64 DEFAULT toUInt64(toUInt32(timestamp)) * 1000 AFTER timestamp;
ALTER TABLE {{db}}.events {{on_cluster}} ADD COLUMN received_at_ms UInt64 DEFAULT toUInt64(toUInt32(received_at)) * 1000 AFTER received_at;
ALTER TABLE {{db}}.events {{on_cluster}} ADD COLUMN previous_id String DEFAULT '' AFTER anonymous_id;
ALTER TABLE {{db}}.events {{on_cluster}} ADD COLUMN category String DEFAULT '' AFTER event;
