-- Top failed controls of the snapshot of one day: per control, the number of distinct accounts
-- where it is FAILED by an active (record_state ACTIVE), unsuppressed finding, in any standard,
-- over the accounts collected; ranked by that count, then severity, then failed resources, as
-- `reporter report` ranks them. A control disabled in every standard of the snapshot's catalog
-- is out of scope, and so is a finding whose control is disabled (disabled_controls) in its
-- account and region for every standard the finding belongs to. Add a LIMIT for a top N.
--
-- Placeholder: ${snapshot_date}, the UTC day of the snapshot, YYYY-MM-DD. Written in the SQL that
-- Athena (Trino) and DuckDB both run; deploy/athena/athena_test.go checks it against the
-- reporter. Each account is read from its latest snapshot of the day (see scores.sql).
WITH latest AS (
  SELECT account_id, max(taken_at) AS taken_at
  FROM hubreport.accounts
  WHERE snapshot_date = '${snapshot_date}'
  GROUP BY account_id
),
catalog AS (
  SELECT c.control_id, max(c.title) AS title, max(c.severity) AS severity,
         count(*) FILTER (WHERE NOT c.disabled) AS enabled
  FROM hubreport.controls c
  WHERE c.snapshot_date = '${snapshot_date}'
    AND c.taken_at IN (SELECT taken_at FROM latest)
  GROUP BY c.control_id
),
failed AS (
  SELECT f.control_id,
         count(DISTINCT f.account_id) AS failed_accounts,
         count(DISTINCT f.account_id || '|' || f.region || '|' || f.resource_id) AS failed_resources,
         max(f.title) AS finding_title,
         max_by(f.severity_label, f.severity_normalized) AS finding_severity
  FROM hubreport.findings f
  JOIN latest l ON l.account_id = f.account_id AND l.taken_at = f.taken_at
  WHERE f.snapshot_date = '${snapshot_date}'
    AND f.control_id <> ''
    AND f.record_state = 'ACTIVE'
    AND f.workflow_status <> 'SUPPRESSED'
    AND f.compliance_status = 'FAILED'
    AND NOT (
      EXISTS (SELECT 1 FROM hubreport.disabled_controls x
              WHERE x.snapshot_date = '${snapshot_date}' AND x.taken_at = f.taken_at
                AND x.account_id = f.account_id AND x.region = f.region AND x.control_id = f.control_id)
      AND NOT EXISTS (SELECT 1 FROM UNNEST(f.standards) AS s (standard_id)
                      WHERE NOT EXISTS (SELECT 1 FROM hubreport.disabled_controls x
                                        WHERE x.snapshot_date = '${snapshot_date}' AND x.taken_at = f.taken_at
                                          AND x.account_id = f.account_id AND x.region = f.region
                                          AND x.control_id = f.control_id AND x.standard_id = s.standard_id)))
  GROUP BY f.control_id
),
collected AS (
  SELECT count(DISTINCT c.account_id) AS total_accounts
  FROM hubreport.coverage c
  JOIN latest l ON l.account_id = c.account_id AND l.taken_at = c.taken_at
  WHERE c.snapshot_date = '${snapshot_date}' AND c.status = 'collected'
)
SELECT f.control_id,
       coalesce(c.title, f.finding_title) AS title,
       coalesce(c.severity, f.finding_severity) AS severity,
       f.failed_accounts,
       t.total_accounts,
       f.failed_resources
FROM failed f
LEFT JOIN catalog c ON c.control_id = f.control_id
CROSS JOIN collected t
WHERE coalesce(c.enabled, 1) > 0
ORDER BY f.failed_accounts DESC,
         CASE coalesce(c.severity, f.finding_severity)
           WHEN 'CRITICAL' THEN 4 WHEN 'HIGH' THEN 3 WHEN 'MEDIUM' THEN 2 WHEN 'LOW' THEN 1 ELSE 0 END DESC,
         f.failed_resources DESC,
         f.control_id
