package analyze

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
)

// BuildDiff lists what changed from snapshot from to snapshot to, pair by pair, by the rules
// progress counts with (pairChange.outcome), so that its counts are progress's for the same two
// snapshots. Lists are ordered most severe first, then by control and account. from may be to
// itself (nothing changed) but not later than it.
func BuildDiff(ctx context.Context, st *store.Store, from, to model.Snapshot) (*report.Diff, error) {
	if from.TakenAt.After(to.TakenAt) {
		return nil, fmt.Errorf("diff: snapshot %d (%s) is later than snapshot %d (%s)",
			from.ID, from.TakenAt.UTC().Format(time.RFC3339), to.ID, to.TakenAt.UTC().Format(time.RFC3339))
	}
	a := &analyzer{st: st, snap: to}
	d, err := a.diff(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("diff snapshots %d and %d: %w", from.ID, to.ID, err)
	}
	return d, nil
}

func diffSnapshot(s model.Snapshot) report.DiffSnapshot {
	return report.DiffSnapshot{ID: s.ID, TakenAt: s.TakenAt.UTC(), Date: s.TakenAt.UTC().Format(dateLayout)}
}

// diff compares snapshot from with the analyzer's snapshot.
func (a *analyzer) diff(ctx context.Context, from model.Snapshot) (*report.Diff, error) {
	d := &report.Diff{From: diffSnapshot(from), To: diffSnapshot(a.snap),
		Fixed: []report.DiffItem{}, NewlyFailing: []report.DiffItem{}, NewlySuppressed: []report.DiffItem{},
		NewlyDisabled: []report.DiffItem{}, NotComparable: []report.DiffItem{}}
	changes, err := a.pairChanges(ctx, from.ID, a.snap.ID)
	if err != nil {
		return nil, err
	}
	accounts, err := a.snapshotAccounts(ctx, from.ID, a.snap.ID)
	if err != nil {
		return nil, err
	}
	// A control's label comes from the later snapshot, else the earlier (a control whose findings
	// are all gone, such as one disabled and archived, may be known only there).
	infoNow, err := a.controlInfos(ctx, a.snap.ID)
	if err != nil {
		return nil, err
	}
	infoBefore, err := a.controlInfos(ctx, from.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		var list *[]report.DiffItem
		switch c.outcome() {
		case pairFixed:
			list = &d.Fixed
		case pairNewlyFailing:
			list = &d.NewlyFailing
		case pairNewlySuppressed:
			list = &d.NewlySuppressed
		case pairNewlyDisabled:
			list = &d.NewlyDisabled
		case pairNotComparable:
			list = &d.NotComparable
		default:
			continue
		}
		info, ok := infoNow[c.control]
		if !ok || info.title == "" {
			info = infoBefore[c.control]
		}
		*list = append(*list, report.DiffItem{ControlID: c.control, AccountID: c.account,
			Severity: info.severity, Title: info.title, OU: accounts[c.account].OU})
	}
	for _, l := range []*[]report.DiffItem{&d.Fixed, &d.NewlyFailing, &d.NewlySuppressed, &d.NewlyDisabled, &d.NotComparable} {
		slices.SortFunc(*l, compareDiffItems)
	}
	if d.AccountsLeft, err = a.accountsGone(ctx, from.ID, a.snap.ID, accounts); err != nil {
		return nil, err
	}
	if d.AccountsJoined, err = a.accountsGone(ctx, a.snap.ID, from.ID, accounts); err != nil {
		return nil, err
	}
	d.Counts = report.DiffCounts{Fixed: len(d.Fixed), NewlyFailing: len(d.NewlyFailing),
		NewlySuppressed: len(d.NewlySuppressed), NewlyDisabled: len(d.NewlyDisabled),
		AccountsJoined: len(d.AccountsJoined), AccountsLeft: len(d.AccountsLeft), NotComparable: len(d.NotComparable)}
	return d, nil
}

// compareDiffItems orders the most severe first, then by control id (S3.2 before S3.10), then
// by account.
func compareDiffItems(x, y report.DiffItem) int {
	if d := severityRank[y.Severity] - severityRank[x.Severity]; d != 0 {
		return d
	}
	if d := model.CompareControlIDs(x.ControlID, y.ControlID); d != 0 {
		return d
	}
	return strings.Compare(x.AccountID, y.AccountID)
}

// snapshotAccounts returns the accounts of snapshots later and earlier by id, each as the later
// one stores it when it has it (a renamed account or one moved to another OU shows as it is now).
func (a *analyzer) snapshotAccounts(ctx context.Context, earlier, later int64) (map[string]report.DiffAccount, error) {
	rows, err := a.db().QueryContext(ctx, `SELECT account_id, arg_max(name, snapshot_id = $2), arg_max(ou, snapshot_id = $2)
		FROM snapshot_accounts WHERE snapshot_id IN ($1, $2) GROUP BY account_id`, earlier, later)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]report.DiffAccount{}
	for rows.Next() {
		var x report.DiffAccount
		if err := rows.Scan(&x.AccountID, &x.Name, &x.OU); err != nil {
			return nil, err
		}
		out[x.AccountID] = x
	}
	return out, rows.Err()
}

// accountsGone lists the accounts of snapshot in missing from snapshot notIn, by account id.
func (a *analyzer) accountsGone(ctx context.Context, in, notIn int64, accounts map[string]report.DiffAccount) ([]report.DiffAccount, error) {
	rows, err := a.db().QueryContext(ctx, `SELECT account_id FROM (`+accountsGoneSQL+`) ORDER BY account_id`, in, notIn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []report.DiffAccount{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		acc := accounts[id]
		acc.AccountID = id
		out = append(out, acc)
	}
	return out, rows.Err()
}

// sinceLastWeek fills Report.SinceLastWeek: the diff from the snapshot the top failed controls'
// change compares with (snapshotNear, ChangeWindow before the report's) to the report's, each
// list cut to its first report.SinceLastWeekItems items; nil without such a snapshot.
func (a *analyzer) sinceLastWeek(ctx context.Context, r *report.Report) error {
	prev, ok, err := a.snapshotNear(ctx, a.snap.TakenAt.Add(-a.opt.ChangeWindow))
	if err != nil || !ok {
		return err
	}
	from, err := a.st.Snapshot(ctx, prev)
	if err != nil {
		return err
	}
	d, err := a.diff(ctx, from)
	if err != nil {
		return err
	}
	n := report.SinceLastWeekItems
	d.Fixed, d.NewlyFailing, d.NewlySuppressed = head(d.Fixed, n), head(d.NewlyFailing, n), head(d.NewlySuppressed, n)
	d.NewlyDisabled, d.NotComparable = head(d.NewlyDisabled, n), head(d.NotComparable, n)
	d.AccountsJoined, d.AccountsLeft = head(d.AccountsJoined, n), head(d.AccountsLeft, n)
	r.SinceLastWeek = d
	return nil
}

func head[T any](xs []T, n int) []T {
	if len(xs) > n {
		return xs[:n:n]
	}
	return xs
}
