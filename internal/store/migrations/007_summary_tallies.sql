-- The organization's summary-score tallies per snapshot (each control once across all standards,
-- AWS's summary score), written at commit beside snapshot_standard_tallies so that the progress
-- series carries the summary score without rebuilding every snapshot of the window. One row per
-- snapshot, zeros included: a snapshot summarized before this migration has no row, and its
-- figures are computed from the history when a report needs them (a cache, never the only copy).
CREATE TABLE snapshot_summary_tallies (
    snapshot_id BIGINT NOT NULL,
    -- controls by status across the organization, suppressed findings left out ...
    passed      INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    unknown     INTEGER NOT NULL,
    -- ... and counted
    passed_all  INTEGER NOT NULL,
    failed_all  INTEGER NOT NULL,
    unknown_all INTEGER NOT NULL
);
