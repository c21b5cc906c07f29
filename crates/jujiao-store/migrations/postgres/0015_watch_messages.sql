-- The message an outbox row was last handed to a channel in: its key (the same rows
-- are always sent together again, under the same key, so a receiver that deduplicates
-- on it sees one message), and whether that send's outcome is unknown (committed
-- before the request, cleared when the endpoint answered). See "Watch" in SCHEMA.md.
ALTER TABLE watch_outbox ADD COLUMN message_key TEXT;
ALTER TABLE watch_outbox ADD COLUMN in_flight BIGINT NOT NULL DEFAULT 0;
CREATE INDEX watch_outbox_message ON watch_outbox (channel, message_key);
