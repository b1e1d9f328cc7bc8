package analyze

import (
	"context"
	"database/sql"
	"fmt"
)

// The report snapshot's account statuses. Five steps need each account's status of each control
// per standard in the report's snapshot: the accounts' and the organization's unique-control
// tallies, the accounts' tallies per standard, the controls with data, the OU scorecards and the
// control statuses. Each used to compute it from the snapshot's findings (a million rows at 1,000
// accounts, joined to their states and unnested per standard); accountControls computes it once
// per report into temp table report_account_controls on the analysis's connection (about 300,000
// rows at that size), and they read it. AWS's rule combines these statuses exactly: a control's
// status over several standards or accounts is the highest of theirs (rankSQL), the same as the
// rule over all their findings.

// accountControlsTableSQL fills report_account_controls for snapshot %[1]d: per account, standard
// and control with an active control finding where the control is not disabled in the finding's
// account and region, the ranks (rankSQL) of its status without and with suppressed findings, the
// latest UpdatedAt of those findings, and whether the snapshot's catalog disables the control for
// the standard (out of every score, but the control statuses list it as DISABLED with its last
// evaluation).
var accountControlsTableSQL = `CREATE OR REPLACE TEMP TABLE report_account_controls AS
WITH cf AS (
  SELECT cf.* FROM (
    SELECT %[1]d::BIGINT AS sid, account_id, region, control_id, unnest(standards) AS standard_id,
           compliance_status AS cs, workflow_status = 'SUPPRESSED' AS suppressed, updated_at
    FROM snapshot_states(%[1]d) WHERE control_id <> '' AND record_state = 'ACTIVE') cf
  ` + disabledInPlaceSQL + `),
pa AS (SELECT account_id, standard_id, control_id, ` + statusSQL + `, max(updated_at) AS last FROM cf GROUP BY ALL)
SELECT pa.account_id, pa.standard_id, pa.control_id, (` + rankSQL("pa.status") + `)::UTINYINT AS r,
       (` + rankSQL("pa.status_all") + `)::UTINYINT AS ra, pa.last, coalesce(c.disabled, false) AS cataloged_disabled
FROM pa LEFT JOIN (SELECT DISTINCT standard_id, control_id, true AS disabled FROM snapshot_controls
                   WHERE snapshot_id = %[1]d AND disabled) c
  ON c.standard_id = pa.standard_id AND c.control_id = pa.control_id`

// accountControls makes sure report_account_controls holds the report snapshot's statuses and
// returns the connection it is on (the analysis's own; release gives it back where it is not).
func (a *analyzer) accountControls(ctx context.Context) (*sql.Conn, func(), error) {
	conn, release, err := a.conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if a.pinned != nil && a.accountControlsReady {
		return conn, release, nil
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(accountControlsTableSQL, a.snap.ID)); err != nil {
		release()
		return nil, nil, err
	}
	a.accountControlsReady = a.pinned != nil
	return conn, release, nil
}

// dropDerived drops what the analysis kept on its connection, before the connection goes back.
func (a *analyzer) dropDerived() {
	if a.pinned != nil && a.accountControlsReady {
		_, _ = a.pinned.ExecContext(context.Background(), `DROP TABLE IF EXISTS temp.report_account_controls`)
		a.accountControlsReady = false
	}
}

// withAccountControls runs fn on the connection holding report_account_controls.
func (a *analyzer) withAccountControls(ctx context.Context, fn func(*sql.Conn) error) error {
	conn, release, err := a.accountControls(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(conn)
}

// scoredAccountControls are the rows of report_account_controls in scope of the scores: not
// disabled by the catalog (controlFindingsSQL leaves those out).
const scoredAccountControls = `(SELECT * FROM report_account_controls WHERE NOT cataloged_disabled)`

// reportUniqueSQL is uniqueSQL for the report's snapshot $1, from its account statuses and with
// each account's rows too: each control once across its standards, per account and for the
// organization (an empty account).
var reportUniqueSQL = `WITH pa AS (SELECT account_id, control_id, max(r) AS r, max(ra) AS ra FROM ` + scoredAccountControls + ` GROUP BY ALL)
SELECT $1::BIGINT, '', account_id, ` + unrankStatuses + `, count(*) FROM pa GROUP BY ALL
UNION ALL
SELECT $1::BIGINT, '', '', ` + unrankStatuses + `, count(*)
FROM (SELECT control_id, max(r) AS r, max(ra) AS ra FROM pa GROUP BY ALL) GROUP BY ALL`

// reportTalliesSQL counts control statuses per standard and account (talliesSQL's rows, per
// account) for the report's snapshot $1, from its account statuses.
var reportTalliesSQL = `SELECT $1::BIGINT, standard_id, account_id, ` + unrankStatuses + `, count(*)
FROM ` + scoredAccountControls + ` GROUP BY ALL`

// unrankStatuses are the status and status_all of ranks r and ra.
var unrankStatuses = unrankSQL("r") + `, ` + unrankSQL("ra")

// reportTallies are the report snapshot's per-account tallies per standard, from its account
// statuses.
func (a *analyzer) reportTallies(ctx context.Context) (tallies, error) {
	t := tallies{scored: map[scoreKey]*counts{}, all: map[scoreKey]*counts{}}
	err := a.withAccountControls(ctx, func(conn *sql.Conn) error { return t.query(ctx, conn, reportTalliesSQL, a.snap.ID) })
	return t, err
}
