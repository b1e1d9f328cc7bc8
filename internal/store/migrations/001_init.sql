-- Version 1: snapshots, coverage, per-snapshot catalog, and findings stored as history.
--
-- A finding is split in two:
--   findings        one row per finding version: identity and attributes that do not change
--                   (a changed title or resource makes a new version, so history stays exact);
--   finding_states  its state, one row per run of snapshots in which the state did not change.
-- A state row is valid for snapshot ids valid_from <= id < valid_to (valid_to NULL: still current),
-- so 90 daily snapshots of a stable estate cost little more than one.

CREATE TABLE snapshots (
    id                    BIGINT PRIMARY KEY,
    taken_at              TIMESTAMP NOT NULL,
    source                VARCHAR NOT NULL,
    organization          VARCHAR NOT NULL,
    administrator_account VARCHAR NOT NULL,
    status                VARCHAR NOT NULL,
    findings              BIGINT NOT NULL,
    accounts_collected    INTEGER NOT NULL,
    accounts_expected     INTEGER NOT NULL,
    created_at            TIMESTAMP NOT NULL
);

CREATE TABLE snapshot_accounts (
    snapshot_id BIGINT NOT NULL,
    account_id  VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    ou          VARCHAR NOT NULL,
    email       VARCHAR NOT NULL
);

CREATE TABLE coverage (
    snapshot_id BIGINT NOT NULL,
    account_id  VARCHAR NOT NULL,
    region      VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    findings    BIGINT NOT NULL
);

CREATE TABLE snapshot_standards (
    snapshot_id BIGINT NOT NULL,
    standard_id VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    short_name  VARCHAR NOT NULL
);

CREATE TABLE snapshot_controls (
    snapshot_id     BIGINT NOT NULL,
    standard_id     VARCHAR NOT NULL,
    control_id      VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    severity        VARCHAR NOT NULL,
    disabled        BOOLEAN NOT NULL,
    remediation_url VARCHAR NOT NULL
);

CREATE TABLE findings (
    fkey              BIGINT NOT NULL,
    -- id_key = md5_number(product_arn || '|' || finding_id): a 128-bit identity to join on
    -- instead of two long ARN strings.
    id_key            UHUGEINT NOT NULL,
    finding_id        VARCHAR NOT NULL,
    product_arn       VARCHAR NOT NULL,
    attrs_hash        UBIGINT NOT NULL,
    product_name      VARCHAR NOT NULL,
    company_name      VARCHAR NOT NULL,
    generator_id      VARCHAR NOT NULL,
    account_id        VARCHAR NOT NULL,
    region            VARCHAR NOT NULL,
    type              VARCHAR NOT NULL,
    title             VARCHAR NOT NULL,
    resource_type     VARCHAR NOT NULL,
    resource_id       VARCHAR NOT NULL,
    control_id        VARCHAR NOT NULL,
    standards         VARCHAR[] NOT NULL,
    first_observed_at TIMESTAMP,
    created_at        TIMESTAMP
);

CREATE TABLE finding_states (
    fkey                BIGINT NOT NULL,
    valid_from          BIGINT NOT NULL,
    valid_to            BIGINT,
    state_hash          UBIGINT NOT NULL,
    updated_at          TIMESTAMP,
    severity_label      VARCHAR NOT NULL,
    severity_normalized SMALLINT NOT NULL,
    compliance_status   VARCHAR NOT NULL,
    workflow_status     VARCHAR NOT NULL,
    record_state        VARCHAR NOT NULL,
    note_text           VARCHAR NOT NULL,
    note_updated_by     VARCHAR NOT NULL,
    note_updated_at     TIMESTAMP,
    user_defined_fields VARCHAR NOT NULL
);
