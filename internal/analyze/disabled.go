package analyze

import "context"

// Disabled controls. A control disabled for a standard in an account and region
// (snapshot_disabled_controls: control associations, central configuration, controls.disabled) is
// DISABLED there: its findings there enter no status, no failure count and no list of failures.
// In a wider scope (an account, the organization) the control is DISABLED when it is disabled in
// every collected account/region of the scope; where it is disabled in some places only, its
// status comes from the others.

// disabledJoin left-joins, to the findings of snapshot $1 aliased f, the standards their control
// is disabled for in their account and region (column disabled_in, NULL when none).
const disabledJoin = `LEFT JOIN (SELECT account_id, region, control_id, list(standard_id) AS disabled_in
  FROM snapshot_disabled_controls WHERE snapshot_id = $1 GROUP BY ALL) dis
  ON dis.account_id = f.account_id AND dis.region = f.region AND dis.control_id = f.control_id`

// notDisabled keeps the findings of disabledJoin whose control is enabled for at least one of
// their standards there: a finding of a control disabled for every standard it belongs to is no
// failure.
const notDisabled = `(dis.disabled_in IS NULL OR NOT list_has_all(dis.disabled_in, f.standards))`

// disabledEverywhereSQL lists, for snapshot $1, the standard/control pairs DISABLED in a whole
// scope: per account (disabled in each of its collected regions) and for the organization
// (account ”; disabled in every collected account/region), with whether the snapshot's catalog
// lists the control as enabled for the standard. Controls the catalog itself disables are out of
// scope already and not counted again.
const disabledEverywhereSQL = `
WITH pairs AS (SELECT account_id, region FROM coverage WHERE snapshot_id = $1 AND status = 'collected'),
np AS (SELECT account_id, count(*) AS n FROM pairs GROUP BY ALL),
d AS (SELECT DISTINCT x.standard_id, x.control_id, x.account_id, x.region
      FROM snapshot_disabled_controls x
      SEMI JOIN pairs p ON p.account_id = x.account_id AND p.region = x.region
      ANTI JOIN (SELECT standard_id, control_id FROM snapshot_controls WHERE snapshot_id = $1 AND disabled) c
        ON c.standard_id = x.standard_id AND c.control_id = x.control_id
      WHERE x.snapshot_id = $1),
scoped AS (
  SELECT standard_id, control_id, account_id FROM d JOIN np USING (account_id)
  GROUP BY standard_id, control_id, account_id, np.n HAVING count(*) = np.n
  UNION ALL
  SELECT standard_id, control_id, '' FROM d
  GROUP BY standard_id, control_id HAVING count(*) = (SELECT count(*) FROM pairs))
SELECT s.standard_id, s.control_id, s.account_id, c.control_id IS NOT NULL
FROM scoped s LEFT JOIN (SELECT standard_id, control_id FROM snapshot_controls WHERE snapshot_id = $1) c
  USING (standard_id, control_id)`

// disabledCounts are the controls DISABLED per scope of one snapshot.
type disabledCounts struct {
	n         map[[2]string]int  // (standard, account or "") -> controls
	cataloged map[string]int     // standard -> controls DISABLED in the organization that the catalog lists
	org       map[[2]string]bool // (standard, control) DISABLED in the organization
}

func (d disabledCounts) count(standard, account string) int { return d.n[[2]string{standard, account}] }

// disabledEverywhere reads the report snapshot's controls DISABLED per scope.
func (a *analyzer) disabledEverywhere(ctx context.Context) (disabledCounts, error) {
	d := disabledCounts{n: map[[2]string]int{}, cataloged: map[string]int{}, org: map[[2]string]bool{}}
	rows, err := a.db().QueryContext(ctx, disabledEverywhereSQL, a.snap.ID)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		var standard, control, account string
		var cataloged bool
		if err := rows.Scan(&standard, &control, &account, &cataloged); err != nil {
			return d, err
		}
		d.n[[2]string{standard, account}]++
		if account == "" {
			d.org[[2]string{standard, control}] = true
			if cataloged {
				d.cataloged[standard]++
			}
		}
	}
	return d, rows.Err()
}
