package analyze

import (
	"context"
	"database/sql"
	"slices"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
)

// Scope narrows a report to some accounts of the organization (a routed report: an OU, or the
// accounts with an owner). The report is computed as if the organization were those accounts:
// every score, list, series and count comes from their rows only. It is done below the queries:
// the analysis runs on a store.ScopedConn, whose tables show the scope's accounts alone, so the
// routed report is produced by the same code as the organization's and no query can forget the
// filter.
type Scope struct {
	// Kind is report.ScopeOU or report.ScopeTag.
	Kind string
	// Name is the OU path or the tag as KEY=VALUE, as the report shows it.
	Name string
	// Accounts are the account ids in scope; at least one.
	Accounts []string
}

// querier is what the analysis reads through: the pinned connection (Build), else the store's pool.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (a *analyzer) db() querier {
	if a.pinned != nil {
		return a.pinned
	}
	return a.st.DB()
}

// conn is a connection for temp tables (withScope): the pinned connection itself, kept open,
// or a connection of the pool, given back by release.
func (a *analyzer) conn(ctx context.Context) (*sql.Conn, func(), error) {
	if a.pinned != nil {
		return a.pinned, func() {}, nil
	}
	c, err := a.st.DB().Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	return c, func() { _ = c.Close() }, nil // read-only work: a close error loses nothing
}

// scopedSnapshotSQL recomputes snapshot $1's counts over the accounts a scoped connection shows,
// as the store computes them at commit for the organization: findings, accounts collected,
// accounts known, and whether it is partial (a pair not collected or with malformed findings
// left out, or an account known but not collected).
const scopedSnapshotSQL = `SELECT
  (SELECT count(*) FROM snapshot_states($1)),
  (SELECT count(DISTINCT account_id) FROM coverage WHERE snapshot_id = $1 AND status = 'collected'),
  (SELECT count(DISTINCT account_id) FROM snapshot_accounts WHERE snapshot_id = $1),
  (SELECT count(*) FROM coverage WHERE snapshot_id = $1 AND (status <> 'collected' OR malformed > 0))`

// scopeSnapshot makes the report's snapshot that of the scope's accounts: its counts, its status
// (a partial organization whose gaps lie elsewhere is complete for the scope), and no
// administrator account unless it is in scope, since it names an account of the organization.
func (a *analyzer) scopeSnapshot(ctx context.Context) error {
	s := &a.snap
	var gaps int
	if err := a.db().QueryRowContext(ctx, scopedSnapshotSQL, s.ID).Scan(&s.Findings, &s.AccountsCollected, &s.AccountsExpected, &gaps); err != nil {
		return err
	}
	s.Empty = s.Findings == 0
	s.Status = model.StatusComplete
	if gaps > 0 || s.AccountsCollected < s.AccountsExpected {
		s.Status = model.StatusPartial
	}
	if !slices.Contains(a.opt.Scope.Accounts, s.AdministratorAccount) {
		s.AdministratorAccount = ""
	}
	return nil
}

// windowPartialSQL marks the window's snapshots partial for the scope (see scopedSnapshotSQL):
// rows (id, partial) for the snapshots of temp table scope_snaps.
const windowPartialSQL = `SELECT w.sid,
  coalesce((SELECT count(*) FROM coverage c WHERE c.snapshot_id = w.sid AND (c.status <> 'collected' OR c.malformed > 0)), 0) > 0
  OR (SELECT count(DISTINCT account_id) FROM coverage c WHERE c.snapshot_id = w.sid AND c.status = 'collected')
   < (SELECT count(DISTINCT account_id) FROM snapshot_accounts sa WHERE sa.snapshot_id = w.sid)
FROM scope_snaps w`

// scopeWindow re-marks the window's partial snapshots for the scope: the organization's status
// says whether any account was missed, the scope's whether one of its own was.
func (a *analyzer) scopeWindow(ctx context.Context, win []windowSnap) error {
	sids := make([]int64, len(win))
	for i, w := range win {
		sids[i] = w.id
	}
	partial := map[int64]bool{}
	err := a.withScope(ctx, sids, func(conn *sql.Conn) error {
		rows, err := conn.QueryContext(ctx, windowPartialSQL)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var p bool
			if err := rows.Scan(&id, &p); err != nil {
				return err
			}
			partial[id] = p
		}
		return rows.Err()
	})
	for i := range win {
		win[i].partial = partial[win[i].id]
	}
	return err
}

// reportScope is the report's description of its scope; nil for the organization's report.
func (o Options) reportScope() *report.Scope {
	if o.Scope == nil {
		return nil
	}
	return &report.Scope{Kind: o.Scope.Kind, Name: o.Scope.Name, Accounts: len(o.Scope.Accounts)}
}

// RouteAccounts lists the accounts of snapshot id with their OU and owner, and every OU and owner
// any stored snapshot gave an account (as accounts with only OU and Owner set), so that a route
// that matches nothing today can be told from one that never matched anything.
func RouteAccounts(ctx context.Context, st *store.Store, id int64) (now, ever []model.Account, err error) {
	rows, err := st.DB().QueryContext(ctx, `SELECT account_id, name, ou, coalesce(owner, '') FROM snapshot_accounts
		WHERE snapshot_id = $1 ORDER BY account_id`, id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a model.Account
		if err := rows.Scan(&a.AccountID, &a.Name, &a.OU, &a.Owner); err != nil {
			return nil, nil, err
		}
		now = append(now, a)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	seen, err := st.DB().QueryContext(ctx, `SELECT DISTINCT ou, coalesce(owner, '') FROM snapshot_accounts ORDER BY ALL`)
	if err != nil {
		return nil, nil, err
	}
	defer seen.Close()
	for seen.Next() {
		var a model.Account
		if err := seen.Scan(&a.OU, &a.Owner); err != nil {
			return nil, nil, err
		}
		ever = append(ever, a)
	}
	return now, ever, seen.Err()
}
