-- Hosts that answered a verification (anti-bot) page: no worker asks them until
-- `until_at` (see `HostSlots::pause_host`). One row per host, the longest pause kept.
CREATE TABLE host_pauses (
    host      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    until_at  TIMESTAMPTZ NOT NULL,
    reason    TEXT NOT NULL
);
