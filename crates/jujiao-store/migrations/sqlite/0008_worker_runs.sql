-- Runs of crawler workers (issue 8): an article page queued by a worker's list-page
-- visit remembers that visit's run, so its outcome is added to the run's figures.
-- See "Worker runs, lease renewal, seeding" in SCHEMA.md.

ALTER TABLE work_queue ADD COLUMN run_id INTEGER;   -- runs.id, NULL for list pages
