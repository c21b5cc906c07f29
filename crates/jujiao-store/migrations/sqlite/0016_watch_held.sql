-- Messages whose outcome is unknown (the sender died, or the endpoint took the request
-- and never answered) on a channel with `unknown_outcome = "hold"`: never sent again
-- automatically; the duty officer says whether the group got it (已收到) or asks for it
-- again (重发). See "Watch" in SCHEMA.md.
--
-- held_ms: the row belongs to a held message; claims skip it until it is resolved.
-- sent_ms: when the row was last handed to its channel (`begin_send`).
-- possible_repeat: the row's message may have reached the channel before: every later
-- send of it is marked as a possible repeat (sticky until delivered).
ALTER TABLE watch_outbox ADD COLUMN held_ms INTEGER;
ALTER TABLE watch_outbox ADD COLUMN sent_ms INTEGER;
ALTER TABLE watch_outbox ADD COLUMN possible_repeat INTEGER NOT NULL DEFAULT 0;

-- One row per held message: what the group may have seen, as it was composed.
CREATE TABLE watch_held (
    id           INTEGER PRIMARY KEY,
    message_key  TEXT    NOT NULL UNIQUE,
    channel      TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    sent_ms      INTEGER NOT NULL,
    held_ms      INTEGER NOT NULL,
    reason       TEXT    NOT NULL
);
