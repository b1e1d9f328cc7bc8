-- Organization compliance score per standard, and the summary score, for the snapshot of one day:
-- AWS's method, as `reporter report` computes it (docs/methodology.md).
--
-- Placeholder: ${snapshot_date}, the UTC day of the snapshot, YYYY-MM-DD (e.g. envsubst, or
-- sed 's/${snapshot_date}/2025-02-23/g'). Written in the SQL that Athena (Trino) and DuckDB both
-- run; deploy/athena/athena_test.go runs it through DuckDB over an export and checks it against
-- the reporter's own numbers.
--
-- Several collectors (each a slice of the accounts), or a collection run again the same day, may
-- have written the day: each account is read from its latest snapshot of the day.
--
-- Control status per standard across the organization, from active (record_state ACTIVE) control
-- findings that are not suppressed: FAILED if any is FAILED, else UNKNOWN if any is WARNING or
-- NOT_AVAILABLE, else PASSED if any is PASSED, else NO_DATA (not counted). A control disabled in
-- the snapshot's catalog for a standard is out of that standard's scope, and a control disabled
-- for a standard in an account and region (disabled_controls) is out of it there.
-- score = 100 * PASSED / (PASSED + FAILED + UNKNOWN), NULL when a standard has no control with
-- data. summary_score counts each control once across all standards (AWS's "Calculating security
-- scores" page, its calculation and worked example): one status per control from its findings in
-- every standard where it is enabled, then the same ratio over those unique controls.
-- summary_score_mean_of_standards = the mean of the standards' scores. Both are the same on every row.
WITH latest AS (
  SELECT account_id, max(taken_at) AS taken_at
  FROM hubreport.accounts
  WHERE snapshot_date = '${snapshot_date}'
  GROUP BY account_id
),
control_findings AS (
  SELECT f.snapshot_id, f.taken_at, f.account_id, f.region, f.control_id, s.standard_id, f.compliance_status AS cs,
         f.workflow_status = 'SUPPRESSED' AS suppressed
  FROM hubreport.findings f
  CROSS JOIN UNNEST(f.standards) AS s (standard_id)
  JOIN latest l ON l.account_id = f.account_id AND l.taken_at = f.taken_at
  WHERE f.snapshot_date = '${snapshot_date}'
    AND f.record_state = 'ACTIVE'
    AND f.control_id <> ''
),
in_scope AS (
  SELECT cf.*
  FROM control_findings cf
  WHERE NOT EXISTS (
    SELECT 1 FROM hubreport.controls d
    WHERE d.snapshot_date = '${snapshot_date}' AND d.taken_at = cf.taken_at
      AND d.snapshot_id = cf.snapshot_id AND d.disabled
      AND d.standard_id = cf.standard_id AND d.control_id = cf.control_id)
  AND NOT EXISTS (
    SELECT 1 FROM hubreport.disabled_controls x
    WHERE x.snapshot_date = '${snapshot_date}' AND x.taken_at = cf.taken_at
      AND x.account_id = cf.account_id AND x.region = cf.region
      AND x.standard_id = cf.standard_id AND x.control_id = cf.control_id)
),
control_status AS (
  SELECT standard_id, control_id,
         CASE WHEN count(*) FILTER (WHERE cs = 'FAILED' AND NOT suppressed) > 0 THEN 'FAILED'
              WHEN count(*) FILTER (WHERE cs IN ('WARNING', 'NOT_AVAILABLE') AND NOT suppressed) > 0 THEN 'UNKNOWN'
              WHEN count(*) FILTER (WHERE cs = 'PASSED' AND NOT suppressed) > 0 THEN 'PASSED'
              ELSE 'NO_DATA' END AS status
  FROM in_scope
  GROUP BY standard_id, control_id
),
unique_status AS (
  SELECT control_id,
         CASE WHEN count(*) FILTER (WHERE cs = 'FAILED' AND NOT suppressed) > 0 THEN 'FAILED'
              WHEN count(*) FILTER (WHERE cs IN ('WARNING', 'NOT_AVAILABLE') AND NOT suppressed) > 0 THEN 'UNKNOWN'
              WHEN count(*) FILTER (WHERE cs = 'PASSED' AND NOT suppressed) > 0 THEN 'PASSED'
              ELSE 'NO_DATA' END AS status
  FROM in_scope
  GROUP BY control_id
),
summary AS (
  SELECT CASE WHEN count(*) FILTER (WHERE status <> 'NO_DATA') = 0 THEN NULL
              ELSE 100 * CAST(count(*) FILTER (WHERE status = 'PASSED') AS DOUBLE)
                   / count(*) FILTER (WHERE status <> 'NO_DATA') END AS summary_score
  FROM unique_status
),
tally AS (
  SELECT standard_id,
         count(*) FILTER (WHERE status = 'PASSED') AS passed,
         count(*) FILTER (WHERE status = 'FAILED') AS failed,
         count(*) FILTER (WHERE status = 'UNKNOWN') AS unknown
  FROM control_status
  GROUP BY standard_id
),
names AS (
  SELECT standard_id, max(name) AS name, max(short_name) AS short_name
  FROM hubreport.standards
  WHERE snapshot_date = '${snapshot_date}'
  GROUP BY standard_id
),
scored AS (
  SELECT t.standard_id, coalesce(n.name, t.standard_id) AS name,
         coalesce(n.short_name, t.standard_id) AS short_name, t.passed, t.failed, t.unknown,
         CASE WHEN t.passed + t.failed + t.unknown = 0 THEN NULL
              ELSE 100 * CAST(t.passed AS DOUBLE) / (t.passed + t.failed + t.unknown) END AS score
  FROM tally t
  LEFT JOIN names n ON n.standard_id = t.standard_id
)
SELECT standard_id, name, short_name, passed, failed, unknown, score,
       summary.summary_score, avg(score) OVER () AS summary_score_mean_of_standards
FROM scored
CROSS JOIN summary
ORDER BY standard_id
