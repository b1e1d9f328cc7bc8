package analyze

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hubreport/hubreport/internal/report"
)

type windowSnap struct {
	id      int64
	takenAt time.Time
	partial bool // status 'partial': marked on every series point of the snapshot
}

// window lists the snapshots taken in the progress window (WindowDays ending at the report's
// snapshot), oldest first, the report's snapshot last.
func (a *analyzer) window(ctx context.Context) ([]windowSnap, error) {
	from := a.snap.TakenAt.Add(-time.Duration(a.opt.WindowDays) * 24 * time.Hour)
	rows, err := a.db().QueryContext(ctx, `SELECT id, taken_at, status = 'partial' FROM snapshots
		WHERE taken_at > $1 AND taken_at <= $2 AND id <> $3 ORDER BY taken_at, id`,
		from.UTC(), a.snap.TakenAt.UTC(), a.snap.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []windowSnap
	for rows.Next() {
		var w windowSnap
		if err := rows.Scan(&w.id, &w.takenAt, &w.partial); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out = append(out, windowSnap{a.snap.ID, a.snap.TakenAt, a.snap.Status == "partial"})
	if a.scoped != nil {
		return out, a.scopeWindow(ctx, out)
	}
	return out, nil
}

func (a *analyzer) progress(ctx context.Context, r *report.Report) error {
	win, err := a.window(ctx)
	if err != nil {
		return err
	}
	p := &r.Progress
	p.WindowDays, p.TargetScore, p.Snapshots = a.opt.WindowDays, a.opt.TargetScore, len(win)
	p.TargetHorizonDays = a.opt.TargetHorizonDays
	p.From, p.To = win[0].takenAt.UTC().Format(dateLayout), r.ReportDate
	sids := make([]int64, len(win))
	for i, w := range win {
		sids[i] = w.id
	}
	t, summary, err := a.windowTallies(ctx, sids)
	if err != nil {
		return err
	}
	p.Standards = make([]report.StandardProgress, 0, len(r.Standards))
	for _, s := range r.Standards {
		sp := report.StandardProgress{ID: s.ID, Name: s.Name, ShortName: s.ShortName, Series: make([]report.ScorePoint, 0, len(win))}
		for _, w := range win {
			c, _ := t.get(scoreKey{sid: w.id, standard: s.ID})
			sp.Series = append(sp.Series, report.ScorePoint{Date: w.takenAt.UTC().Format(dateLayout), Score: score(c.passed, c.failed, c.unknown)})
		}
		sp.BaselineScore = sp.Series[0].Score
		// The current score is the headline score, by construction the same computation.
		sp.CurrentScore = s.Score
		if sp.BaselineScore != nil && sp.CurrentScore != nil {
			d := *sp.CurrentScore - *sp.BaselineScore
			sp.Change = &d
		}
		sp.ProjectedDate, sp.OnTrack, sp.OffTrackReason = project(win, sp.Series, a.opt.TargetScore, a.opt.TargetHorizonDays)
		p.Standards = append(p.Standards, sp)
	}
	if p.Series, err = a.riskSeries(ctx, win); err != nil {
		return err
	}
	for i, w := range win {
		p.Series[i].SummaryScore = summary[w.id]
	}
	markPartial(p, win)
	if err := a.controlChanges(ctx, win[0].id, p); err != nil {
		return err
	}
	return a.timeToRemediate(ctx, win[0].takenAt.Add(time.Second), p)
}

// windowTallies are the organization's control-status tallies per standard of the window's
// snapshots, and its summary score of each. A routed report (a Scope) has no stored summaries and
// computes every snapshot from the findings: then both come from one pass over them
// (windowTalliesSQL), which took 2/3 of the time of two.
func (a *analyzer) windowTallies(ctx context.Context, sids []int64) (tallies, map[int64]*float64, error) {
	if a.scoped == nil {
		t, err := a.statusTallies(ctx, sids)
		if err != nil {
			return t, nil, err
		}
		summary, err := a.summarySeries(ctx, sids)
		return t, summary, err
	}
	t := tallies{scored: map[scoreKey]*counts{}, all: map[scoreKey]*counts{}}
	err := a.withScopeBatches(ctx, sids, func(conn *sql.Conn) error { return t.query(ctx, conn, windowTalliesSQL) })
	summary := make(map[int64]*float64, len(sids))
	for _, id := range sids {
		// The rows of the empty standard are each control once across standards (uniqueSQL's).
		c, _ := t.get(scoreKey{sid: id})
		summary[id] = score(c.passed, c.failed, c.unknown)
	}
	return t, summary, err
}

// windowTalliesSQL is talliesSQL and the organization's rows of uniqueSQL in one pass: per
// snapshot of scope_snaps, control statuses per standard, and each control once across standards
// under an empty standard_id.
const windowTalliesSQL = `WITH cf AS (` + controlFindingsSQL + `)
SELECT sid, standard_id, '' AS account, status, status_all, count(*) AS n
FROM (SELECT sid, CASE WHEN grouping(standard_id) = 1 THEN '' ELSE standard_id END AS standard_id, control_id, ` + statusSQL + `
      FROM cf GROUP BY GROUPING SETS ((sid, standard_id, control_id), (sid, control_id)))
GROUP BY ALL`

// markPartial sets Partial on every series point of a partial snapshot: a dip there may be the
// accounts that were not read, not a change in the estate.
func markPartial(p *report.Progress, win []windowSnap) {
	for i := range p.Standards {
		for j := range p.Standards[i].Series {
			p.Standards[i].Series[j].Partial = win[j].partial
		}
	}
	for j := range p.Series {
		p.Series[j].Partial = win[j].partial
	}
}

// timeToRemediate fills the median days to remediate over the control findings fixed since
// `since`, with how many there were and how many failures are still open (censored: their time to
// remediate is not known yet, so the median of the fixed ones alone flatters). Below
// MinRemediationsForMedian fixes there is no median.
func (a *analyzer) timeToRemediate(ctx context.Context, since time.Time, p *report.Progress) error {
	rem, err := a.remediations(ctx, since)
	if err != nil {
		return err
	}
	p.Remediated = len(rem)
	if err := a.db().QueryRowContext(ctx, `SELECT count(*) FROM snapshot_states($1)
		WHERE control_id <> '' AND record_state = 'ACTIVE' AND workflow_status <> 'SUPPRESSED' AND compliance_status = 'FAILED'`,
		a.snap.ID).Scan(&p.StillOpen); err != nil {
		return err
	}
	if len(rem) >= report.MinRemediationsForMedian {
		days := make([]float64, len(rem))
		for i, x := range rem {
			days[i] = x.days
		}
		m := median(days)
		p.MedianDaysToRemediate = &m
	}
	return nil
}

// project fits a least-squares line to the score series (score against days) and returns when it
// reaches the target, whether that is on track (the target is met, or the date is at most
// horizonDays after the report date), and otherwise why not. Partial snapshots take part in the
// fit like the others: leaving them out would hide a real decline that happened while a region
// was down.
func project(win []windowSnap, series []report.ScorePoint, target float64, horizonDays int) (*string, bool, string) {
	last := win[len(win)-1].takenAt
	cur := series[len(series)-1].Score
	if cur == nil {
		return nil, false, "no score in the report's snapshot"
	}
	if *cur >= target {
		d := last.UTC().Format(dateLayout)
		return &d, true, ""
	}
	var n, sx, sy, sxx, sxy float64
	for i, pt := range series {
		if pt.Score == nil {
			continue
		}
		x := win[i].takenAt.Sub(win[0].takenAt).Hours() / 24
		n++
		sx += x
		sy += *pt.Score
		sxx += x * x
		sxy += x * *pt.Score
	}
	den := n*sxx - sx*sx
	if n < 2 || den == 0 {
		return nil, false, "too little history to project"
	}
	slope := (n*sxy - sx*sy) / den // points per day
	switch {
	case slope < -1e-9:
		return nil, false, "score falling"
	case slope <= 1e-9:
		return nil, false, "score flat"
	}
	days := (target - *cur) / slope
	if days > 3650 { // a decade out is not a plan, and no date is printed for it
		return nil, false, "score rising too slowly: the target is more than 10 years away"
	}
	d := last.Add(time.Duration(math.Ceil(days)) * 24 * time.Hour).UTC().Format(dateLayout)
	if math.Ceil(days) > float64(horizonDays) {
		return &d, false, fmt.Sprintf("projected %s, beyond the %d-day horizon", d, horizonDays)
	}
	return &d, true, ""
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// riskSQL counts, per snapshot of scope_snaps, the distinct (control, account) pairs FAILED and
// the open critical and high findings, as rows (sid, failed pairs, critical, high).
const riskSQL = `
SELECT w.sid,
       count(DISTINCT (f.control_id, f.account_id)) FILTER (WHERE f.control_id <> '' AND s.record_state = 'ACTIVE'
             AND s.workflow_status <> 'SUPPRESSED' AND s.compliance_status = 'FAILED'),
       count(*) FILTER (WHERE ` + activeSQLQualified + ` AND s.severity_label = 'CRITICAL'),
       count(*) FILTER (WHERE ` + activeSQLQualified + ` AND s.severity_label = 'HIGH')
FROM scope_snaps w
JOIN finding_states s ON s.valid_from <= w.sid AND (s.valid_to IS NULL OR s.valid_to > w.sid)
JOIN findings f ON f.fkey = s.fkey
GROUP BY w.sid`

// riskSeries counts, per window snapshot, the distinct (control, account) pairs FAILED and the open
// critical and high findings: from the stored summaries, and from the history for snapshots
// without one.
func (a *analyzer) riskSeries(ctx context.Context, win []windowSnap) ([]report.ProgressPoint, error) {
	sids := make([]int64, len(win))
	for i, w := range win {
		sids[i] = w.id
	}
	byID := map[int64]report.ProgressPoint{}
	scan := func(rows *sql.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var id int64
			var pt report.ProgressPoint
			if err := rows.Scan(&id, &pt.FailedControlAccount, &pt.OpenCritical, &pt.OpenHigh); err != nil {
				return err
			}
			byID[id] = pt
		}
		return rows.Err()
	}
	_, missing, err := a.summarized(ctx, sids, false)
	if err != nil {
		return nil, err
	}
	if len(missing) < len(sids) {
		rows, err := a.db().QueryContext(ctx, `SELECT snapshot_id, failed_control_accounts, open_critical, open_high
			FROM snapshot_risk WHERE snapshot_id IN (`+idList(sids)+`)`)
		if err != nil {
			return nil, err
		}
		if err := scan(rows); err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		err := a.withScopeBatches(ctx, missing, func(conn *sql.Conn) error {
			rows, err := conn.QueryContext(ctx, riskSQL)
			if err != nil {
				return err
			}
			return scan(rows)
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]report.ProgressPoint, len(win))
	for i, w := range win {
		out[i] = byID[w.id]
		out[i].Date = w.takenAt.UTC().Format(dateLayout)
	}
	return out, nil
}

// activeSQLQualified is activeSQL for the join of finding_states s and findings f.
const activeSQLQualified = `(s.record_state = 'ACTIVE' AND s.workflow_status IN ('NEW', 'NOTIFIED')
  AND (s.compliance_status = '' OR s.compliance_status IN ('FAILED', 'WARNING')))`
