-- Per-snapshot summaries, written when a snapshot is committed (by the commit hook the analysis
-- supplies, so the scoring rules stay in one place). They make the progress section read one row
-- per snapshot and standard instead of rebuilding every snapshot of the window from the history.
-- A snapshot without rows here (written before this migration, or without the hook) is
-- summarized from the history when needed: the tables are a cache, never the only copy.

CREATE TABLE snapshot_standard_tallies (
    snapshot_id BIGINT NOT NULL,
    standard_id VARCHAR NOT NULL,
    -- control statuses across the organization, suppressed findings left out ...
    passed      INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    unknown     INTEGER NOT NULL,
    no_data     INTEGER NOT NULL,
    -- ... and counted
    passed_all  INTEGER NOT NULL,
    failed_all  INTEGER NOT NULL,
    unknown_all INTEGER NOT NULL,
    no_data_all INTEGER NOT NULL
);

CREATE TABLE snapshot_risk (
    snapshot_id             BIGINT NOT NULL,
    failed_control_accounts INTEGER NOT NULL,
    open_critical           BIGINT NOT NULL,
    open_high               BIGINT NOT NULL
);

-- Marks a snapshot as summarized even when it has no control findings (no tally rows).
CREATE TABLE snapshot_summarized (
    snapshot_id BIGINT NOT NULL
);
