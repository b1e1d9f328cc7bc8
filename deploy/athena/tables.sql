-- Athena (Trino) tables over what `reporter export --format parquet --out DIR` writes, once DIR is
-- copied to S3 (aws s3 sync DIR s3://BUCKET/PREFIX/). Replace BUCKET/PREFIX and, in the
-- projection ranges, the first date you export. Run one statement at a time (the Athena console
-- runs one per query). Collectors that each read a slice of the accounts can all sync into the
-- same prefix: file names carry the snapshot time, id and a hash of its accounts, so none
-- overwrites another.
--
-- Layout (hive style; partition columns live in the path, not in the files):
--   findings/snapshot_date=YYYY-MM-DD/account_id=ID/*.parquet      one row per finding and snapshot
--   snapshots/  accounts/  coverage/  standards/  controls/  disabled_controls/  retired_findings/  warnings/
--     /snapshot_date=YYYY-MM-DD/*.parquet
-- snapshot_date is the UTC date of the snapshot's taken_at. A snapshot is identified by
-- (snapshot_date, taken_at); snapshot_id is the id in the exporting database only (two
-- collectors both have a snapshot 1).
--
-- Partitions. The small tables use partition projection on snapshot_date: nothing to maintain.
-- findings is partitioned by account too, which projection can only enumerate (an 'enum' list of
-- account ids you keep up to date) or inject (every query would have to name its accounts), so
-- it uses the metastore: after each export is synced, register the new day's partitions with
--   MSCK REPAIR TABLE hubreport.findings;
-- (reads the whole prefix; slow past some ten thousand partitions) or, cheaper, one statement per
-- account of the new day:
--   ALTER TABLE hubreport.findings ADD IF NOT EXISTS
--     PARTITION (snapshot_date = '2025-02-23', account_id = '123456789012')
--     LOCATION 's3://BUCKET/PREFIX/findings/snapshot_date=2025-02-23/account_id=123456789012/';
-- A Glue crawler on the prefix does the same.
--
-- Types: timestamps are Parquet INT64 microseconds without time zone, in UTC (Athena engine v3
-- reads them as timestamp(3)); standards is a list of strings; user_defined_fields is JSON text
-- (json_extract_scalar(user_defined_fields, '$.key')).

CREATE DATABASE IF NOT EXISTS hubreport;

CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.findings (
  snapshot_id         bigint,
  taken_at            timestamp,
  finding_id          string,
  product_arn         string,
  product_name        string,
  company_name        string,
  generator_id        string,
  region              string,
  type                string,
  title               string,
  resource_type       string,
  resource_id         string,
  control_id          string,
  standards           array<string>,
  first_observed_at   timestamp,
  created_at          timestamp,
  updated_at          timestamp,
  severity_label      string,
  severity_normalized smallint,
  compliance_status   string,
  workflow_status     string,
  record_state        string,
  note_text           string,
  note_updated_by     string,
  note_updated_at     timestamp,
  user_defined_fields string
)
PARTITIONED BY (snapshot_date string, account_id string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/findings/';

CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.snapshots (
  snapshot_id           bigint,
  taken_at              timestamp,
  source                string,
  organization          string,
  administrator_account string,
  status                string,
  findings              bigint,
  accounts_collected    int,
  accounts_expected     int,
  created_at            timestamp
)
PARTITIONED BY (snapshot_date string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/snapshots/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2025-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/snapshots/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.accounts (
  snapshot_id bigint,
  taken_at    timestamp,
  account_id  string,
  name        string,
  ou          string,
  email       string,
  owner       string
)
PARTITIONED BY (snapshot_date string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/accounts/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2025-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/accounts/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.coverage (
  snapshot_id bigint,
  taken_at    timestamp,
  account_id  string,
  region      string,
  status      string,
  reason      string,
  findings    bigint,
  malformed       bigint,
  malformed_error string
)
PARTITIONED BY (snapshot_date string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/coverage/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2025-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/coverage/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.standards (
  snapshot_id bigint,
  taken_at    timestamp,
  standard_id string,
  name        string,
  short_name  string
)
PARTITIONED BY (snapshot_date string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/standards/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2025-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/standards/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.controls (
  snapshot_id     bigint,
  taken_at        timestamp,
  standard_id     string,
  control_id      string,
  title           string,
  severity        string,
  disabled        boolean,
  remediation_url string
)
PARTITIONED BY (snapshot_date string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/controls/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2025-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/controls/snapshot_date=${snapshot_date}/'
);

-- Controls disabled per account, region and standard (control associations, central
-- configuration, or the configuration's controls.disabled). A control disabled there is DISABLED:
-- leave its findings there out of every score (anti join on account, region, standard, control).
-- Exports from before this table have no disabled_controls/ prefix: the table is then empty.
CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.disabled_controls (
  snapshot_id bigint,
  taken_at    timestamp,
  account_id  string,
  region      string,
  standard_id string,
  control_id  string,
  source      string,
  reason      string
)
PARTITIONED BY (snapshot_date string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/disabled_controls/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2025-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/disabled_controls/snapshot_date=${snapshot_date}/'
);

-- Findings of controls AWS retired, dropped by the collector (not in findings): how many per
-- account, region, standard ('' for none) and control. Out of every score; the reconciliation's
-- ignored.retired_control. Exports from before this table have no retired_findings/ prefix.
CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.retired_findings (
  snapshot_id bigint,
  taken_at    timestamp,
  account_id  string,
  region      string,
  standard_id string,
  control_id  string,
  findings    bigint
)
PARTITIONED BY (snapshot_date string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/retired_findings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2025-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/retired_findings/snapshot_date=${snapshot_date}/'
);

-- The snapshot's warnings: what the collection or import could not read or left out without
-- failing (kind ou_tree_unreadable, records_skipped; report.json's coverage.warnings), in the
-- order given (seq). Exports from before this table have no warnings/ prefix.
CREATE EXTERNAL TABLE IF NOT EXISTS hubreport.warnings (
  snapshot_id bigint,
  taken_at    timestamp,
  seq         int,
  kind        string,
  message     string
)
PARTITIONED BY (snapshot_date string)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/warnings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2025-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/warnings/snapshot_date=${snapshot_date}/'
);
