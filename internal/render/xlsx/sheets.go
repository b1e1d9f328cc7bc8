package xlsx

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/hubreport/hubreport/internal/report"
)

// summary is a two-column list (item, value) in sections, so that it reads top to bottom and
// still filters and sorts like the other sheets.
func (b *book) summary(_ context.Context, r *report.Report) error {
	t := b.newTable(sheetSummary, []column{{"Item", 46}, {"Value", 34}}, 0)
	section := func(title string) {
		t.add(excelize.Cell{StyleID: b.st.section, Value: title}, excelize.Cell{StyleID: b.st.section})
	}
	item := func(label string, v any) {
		t.add(excelize.Cell{StyleID: b.st.label, Value: label}, v)
	}

	section("Report")
	item("Organization", b.text(r.Organization))
	if sc := r.Scope; sc != nil {
		item("Scope (these accounts only)", b.text(fmt.Sprintf("%s, %d accounts", sc.Title(), sc.Accounts)))
	}
	item("Administrator account", b.text(r.AdministratorAccount))
	item("Report date", b.day(r.ReportDate))
	if st := r.Stale; st != nil {
		item("STALE DATA", b.text(st.Sentence()))
	}
	item("Generated at (UTC)", b.stamp(r.GeneratedAt))

	section("Snapshot")
	item("Snapshot ID", b.count(r.Snapshot.ID))
	item("Taken at (UTC)", b.stamp(r.Snapshot.TakenAt))
	item("Source", b.text(r.Snapshot.Source))
	item("Status", b.text(r.Snapshot.Status))
	item("Findings in snapshot", b.count(r.Snapshot.Findings))

	section("Coverage")
	item("Account/region pairs collected", b.count(int64(r.Coverage.Collected)))
	item("Account/region pairs expected", b.count(int64(r.Coverage.Expected)))
	item("Accounts collected", b.count(int64(r.Snapshot.AccountsCollected)))
	item("Accounts expected", b.count(int64(r.Snapshot.AccountsExpected)))
	item("Coverage complete", yesNo(r.Coverage.Complete))
	for _, g := range r.Coverage.Gaps {
		// A pair that was not read is shown, never silently counted as passing (DESIGN.md).
		note := g.Status
		if g.Reason != "" {
			note += ": " + g.Reason
		}
		item("Not collected: "+g.AccountID+" "+g.Region, b.text(note))
	}
	// What the snapshot was stored without (disabled controls it could not tell, records it
	// skipped, an OU tree it could not read): the log is not where a reader of the workbook looks.
	if eu := r.Coverage.EnablementUnknown; len(eu) > 0 {
		item("Control enablement unknown", b.text(enablementUnknown(eu)))
	}
	for _, w := range r.Coverage.Warnings {
		item("Warning: "+w.Kind, b.text(w.Message))
	}

	section("Scores")
	item("Summary score", b.pct(r.SummaryScore))
	item("Summary score without suppressions", b.pct(r.SummaryScoreWithoutSuppressions))
	item("Unique controls passed", b.count(int64(r.SummaryControls.Passed)))
	item("Unique controls scored (passed, failed, unknown)", b.count(int64(r.SummaryControls.Scored())))
	item("Mean of standard scores", b.pct(r.SummaryScoreMeanOfStandards))
	for _, s := range r.Standards {
		item(standardLabel(s.ShortName, s.Name, s.ID), b.pct(s.Score))
	}

	section("Findings")
	fs := r.Findings
	item("Active findings", b.count(fs.Active))
	item("Active: critical", b.count(fs.Critical))
	item("Active: high", b.count(fs.High))
	item("Active: medium", b.count(fs.Medium))
	item("Active: low", b.count(fs.Low))
	item("Active: informational", b.count(fs.Informational))
	item("Suppressed", b.count(fs.Suppressed))
	item("Remediated this month", b.count(fs.RemediatedThisMonth))
	item("Auto-remediated this month", b.count(fs.AutoRemediatedThisMonth))

	p := r.Progress
	section(fmt.Sprintf("Progress over %d days", p.WindowDays))
	item("Window from", b.day(p.From))
	item("Window to", b.day(p.To))
	item("Snapshots in window", b.count(int64(p.Snapshots)))
	item("Target score", b.pct(&p.TargetScore))
	item("Target horizon (days)", b.count(int64(p.TargetHorizonDays)))
	for _, sp := range p.Standards {
		if !sp.OnTrack && sp.OffTrackReason != "" {
			item("Off track: "+standardLabel(sp.ShortName, sp.Name, sp.ID), b.text(sp.OffTrackReason))
		}
	}
	item("Control-account pairs fixed", b.count(int64(p.Fixed)))
	item("Control-account pairs newly failing", b.count(int64(p.NewlyFailing)))
	// The changes that are not fixes (nor new failures), each on its own line.
	item("Not a fix: pairs newly suppressed", b.count(int64(p.NewlySuppressed)))
	item("Not a fix: pairs newly disabled", b.count(int64(p.NewlyDisabled)))
	item("Not a fix: accounts that left", b.count(int64(p.AccountsLeft)))
	item("Not comparable: pairs not collected in both", b.count(int64(p.NotComparable)))
	if p.MedianDaysToRemediate != nil {
		item("Median days to remediate", b.decimal(p.MedianDaysToRemediate))
	} else {
		item("Median days to remediate", b.text(fmt.Sprintf("too few remediations (%d) for a median", p.Remediated)))
	}
	item("Remediations in window", b.count(int64(p.Remediated)))
	item("Failures still open (not in the median)", b.count(int64(p.StillOpen)))

	b.exceptionSummary(r.Exceptions, section, item)
	b.sinceLastWeekSummary(r.SinceLastWeek, section, item)

	section("This workbook")
	listed := func(what string, n int) {
		item(what+" listed", b.count(int64(min(n, maxDataRows))))
		if n > maxDataRows {
			item(what+" left out (Excel row limit; least severe)", b.count(int64(n-maxDataRows)))
		}
	}
	listed("Failed findings", len(r.FailedFindings))
	listed("Suppressed findings", len(r.Suppressed))
	return t.done()
}

// standardLabel is how a standard is named in headers: the short name when there is one.
func standardLabel(short, name, id string) string {
	switch {
	case short != "":
		return short
	case name != "":
		return name
	}
	return id
}

func (b *book) standards(_ context.Context, r *report.Report) error {
	t := b.newTable(sheetStandards, []column{
		{"Standard ID", 50}, {"Name", 46}, {"Score", 10}, {"Score without suppressions", 14},
		{"Passed", 9}, {"Failed", 9}, {"Unknown", 10}, {"No data", 9}, {"Disabled", 9},
		{"Baseline score", 11}, {"Change over window (points)", 14},
		{"Target reached by", 13}, {"On track", 9},
	}, 1)
	progress := make(map[string]report.StandardProgress, len(r.Progress.Standards))
	for _, p := range r.Progress.Standards {
		progress[p.ID] = p
	}
	for _, s := range r.Standards {
		row := []any{
			b.text(s.ID), b.text(s.Name), b.pct(s.Score), b.pct(s.ScoreWithoutSuppressions),
			b.count(int64(s.Passed)), b.count(int64(s.Failed)), b.count(int64(s.Unknown)), b.count(int64(s.NoData)),
			b.count(int64(s.Disabled)),
		}
		if p, ok := progress[s.ID]; ok {
			var projected any
			if p.ProjectedDate != nil {
				projected = b.day(*p.ProjectedDate)
			}
			row = append(row, b.pct(p.BaselineScore), b.points(p.Change), projected, yesNo(p.OnTrack))
		}
		t.add(row...)
	}
	t.autoFilter()
	return t.done()
}

// scaleColors are Excel's red-yellow-green color scale.
const scaleLow, scaleMid, scaleHigh = "#F8696B", "#FFEB84", "#63BE7B"

func (b *book) accounts(_ context.Context, r *report.Report) error {
	cols := []column{{"Account ID", 15}, {"Account name", 28}, {"OU", 24}, {"Owner", 26}, {"Overall score", 10}, {"Mean of standard scores", 12}, {"Failed controls", 10}}
	// Columns (1-based) of the overall score and of the first standard, for the color scales.
	const overallCol, firstStandardCol = 5, 8
	for _, s := range r.Standards {
		cols = append(cols, column{standardLabel(s.ShortName, s.Name, s.ID), 14})
	}
	// Freeze the account id and name: the matrix is read across.
	t := b.newTable(sheetAccounts, cols, 2)
	for _, a := range r.Accounts {
		byID := make(map[string]*float64, len(a.Standards))
		for _, s := range a.Standards {
			byID[s.ID] = s.Score
		}
		row := []any{b.text(a.AccountID), b.text(a.Name), b.text(a.OU), b.text(a.Owner), b.pct(a.SummaryScore), b.pct(a.SummaryScoreMeanOfStandards), b.count(int64(a.Failed))}
		for _, s := range r.Standards {
			row = append(row, b.pct(byID[s.ID]))
		}
		t.add(row...)
	}
	t.autoFilter()
	if t.err != nil || len(r.Accounts) == 0 {
		return t.done()
	}
	// Fixed thresholds rather than min/max of the sheet: relative colors would paint 85% red in
	// an estate where everything else is at 95%. Red at 50% and below, green from the target up.
	low, high := 0.5, min(r.Progress.TargetScore/100, 1)
	if high <= low {
		low = 0
	}
	if high <= low {
		high = 1
	}
	scale := []excelize.ConditionalFormatOptions{{
		Type: "3_color_scale", Criteria: "=",
		MinType: "num", MinValue: ftoa(low), MinColor: scaleLow,
		MidType: "num", MidValue: ftoa((low + high) / 2), MidColor: scaleMid,
		MaxType: "num", MaxValue: ftoa(high), MaxColor: scaleHigh,
	}}
	last := t.row
	colName := func(n int) string { c, _ := excelize.ColumnNumberToName(n); return c } // n >= 1 cannot fail
	ranges := []string{fmt.Sprintf("%[1]s2:%[1]s%d", colName(overallCol), last)}
	if n := len(r.Standards); n > 0 {
		ranges = append(ranges, fmt.Sprintf("%s2:%s%d", colName(firstStandardCol), colName(firstStandardCol+n-1), last))
	}
	for _, rng := range ranges {
		if err := b.f.SetConditionalFormat(sheetAccounts, rng, scale); err != nil {
			return fmt.Errorf("conditional format %s: %w", rng, err)
		}
	}
	return nil
}

func ftoa(v float64) string { return fmt.Sprintf("%g", v) }

func (b *book) topControls(_ context.Context, r *report.Report) error {
	t := b.newTable(sheetTopControls, []column{
		{"Rank", 6}, {"Control ID", 13}, {"Title", 60}, {"Severity", 11},
		{"Failed accounts", 10}, {"Total accounts", 10}, {"% of accounts", 10}, {"Failed resources", 10},
		{"Change vs 7 days ago (accounts)", 14}, {"Standards", 50},
	}, 2)
	names := make(map[string]string, len(r.Standards))
	for _, s := range r.Standards {
		names[s.ID] = standardLabel(s.ShortName, s.Name, s.ID)
	}
	for i, c := range r.TopFailedControls {
		var share, change any
		if c.TotalAccounts > 0 {
			share = excelize.Cell{StyleID: b.st.pct, Value: float64(c.FailedAccounts) / float64(c.TotalAccounts)}
		}
		if c.Change7d != nil {
			change = excelize.Cell{StyleID: b.st.signed, Value: *c.Change7d}
		}
		stds := make([]string, len(c.Standards))
		for j, id := range c.Standards {
			stds[j] = cmpOr(names[id], id)
		}
		t.add(b.count(int64(i+1)), b.text(c.ControlID), b.text(c.Title), b.text(c.Severity),
			b.count(int64(c.FailedAccounts)), b.count(int64(c.TotalAccounts)), share,
			b.count(int64(c.FailedResources)), change, b.text(strings.Join(stds, ", ")))
	}
	t.autoFilter()
	return t.done()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// failedFindings streams every failed finding: this is the sheet that runs to a million rows.
func (b *book) failedFindings(ctx context.Context, r *report.Report) error {
	t, err := b.newStreamTable(sheetFindings, []column{
		{"Account ID", 15}, {"Account name", 24}, {"Region", 15}, {"Control ID", 13},
		{"Title", 60}, {"Severity", 11}, {"Resource type", 24}, {"Resource ID", 60},
		{"First observed (UTC)", 17}, {"Days open", 9}, {"Workflow status", 14},
	})
	if err != nil {
		return err
	}
	return streamRows(ctx, t, r.FailedFindings, func(row []any, f *report.FailedFinding) {
		row[0], row[1], row[2], row[3] = b.text(f.AccountID), b.text(f.AccountName), b.text(f.Region), b.text(f.ControlID)
		row[4], row[5], row[6], row[7] = b.text(f.Title), b.text(f.Severity), b.text(f.ResourceType), b.text(f.ResourceID)
		row[8], row[9], row[10] = b.stamp(f.FirstObserved), b.count(int64(f.DaysOpen)), b.text(f.WorkflowStatus)
	})
}

func (b *book) suppressed(ctx context.Context, r *report.Report) error {
	t, err := b.newStreamTable(sheetSuppressed, []column{
		{"Account ID", 15}, {"Account name", 24}, {"Region", 15}, {"Control ID", 13},
		{"Title", 50}, {"Severity", 11}, {"Resource ID", 50}, {"Compliance status", 12},
		{"Suppression note", 60}, {"Set by", 28}, {"Set at (UTC)", 17}, {"Product", 18},
	})
	if err != nil {
		return err
	}
	return streamRows(ctx, t, r.Suppressed, func(row []any, s *report.SuppressedFinding) {
		row[0], row[1], row[2], row[3] = b.text(s.AccountID), b.text(s.AccountName), b.text(s.Region), b.text(s.ControlID)
		row[4], row[5], row[6], row[7] = b.text(s.Title), b.text(s.Severity), b.text(s.ResourceID), b.text(s.Compliance)
		row[8], row[9], row[10], row[11] = b.text(s.Note), b.text(s.NoteBy), b.stamp(s.NoteAt), b.text(s.ProductName)
	})
}

// streamRows writes one row per item through t, at most maxDataRows (Excel's limit; the lists
// are sorted most severe first, and the Summary says how many were left out), checking ctx as
// it goes. fill sets the cells of the reused row, one per column of t.
func streamRows[T any](ctx context.Context, t *streamTable, items []T, fill func(row []any, item *T)) error {
	row := make([]any, t.width)
	for i := range items[:min(len(items), maxDataRows)] {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		fill(row, &items[i])
		if err := t.add(row); err != nil {
			return fmt.Errorf("row %d: %w", t.row, err)
		}
	}
	return t.flush()
}

// trendKey identifies a row of the Trend sheet: a date, and which snapshot of that date (two
// runs on one day are two points).
type trendKey struct {
	date string
	nth  int
}

// trend writes one row per snapshot of the window. The rows are the union of the dates of all
// series, matched by date rather than by position, so a standard that has no point for a
// snapshot leaves its cell empty instead of shifting its line.
func (b *book) trend(_ context.Context, r *report.Report) error {
	p := r.Progress
	rows := map[trendKey]int{}
	var keys []trendKey
	index := func(dates []string) []int {
		seen := map[string]int{}
		at := make([]int, len(dates))
		for j, d := range dates {
			k := trendKey{d, seen[d]}
			seen[d]++
			i, ok := rows[k]
			if !ok {
				i = len(keys)
				rows[k] = i
				keys = append(keys, k)
			}
			at[j] = i
		}
		return at
	}
	dates := make([]string, len(p.Series))
	for j, pt := range p.Series {
		dates[j] = pt.Date
	}
	riskAt := index(dates)
	stdAt := make([][]int, len(p.Standards))
	for i, s := range p.Standards {
		dates := make([]string, len(s.Series))
		for j, pt := range s.Series {
			dates[j] = pt.Date
		}
		stdAt[i] = index(dates)
	}
	// Order rows by date; the sort is stable so the order of keys breaks ties.
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		if c := strings.Compare(keys[x].date, keys[y].date); c != 0 {
			return c
		}
		return keys[x].nth - keys[y].nth
	})
	rowOf := make([]int, len(keys)) // key index -> position in the sheet (0-based data row)
	for pos, k := range order {
		rowOf[k] = pos
	}

	nStd := len(p.Standards)
	grid := make([][]any, len(keys))
	for i := range grid {
		grid[i] = make([]any, nStd+6)
		grid[i][0] = b.day(keys[order[i]].date)
		grid[i][nStd+4] = b.pct(&p.TargetScore)
	}
	for si, s := range p.Standards {
		for j, pt := range s.Series {
			grid[rowOf[stdAt[si][j]]][1+si] = b.pct(pt.Score)
		}
	}
	for j, pt := range p.Series {
		g := grid[rowOf[riskAt[j]]]
		g[nStd+1], g[nStd+2], g[nStd+3] = b.count(int64(pt.FailedControlAccount)), b.count(pt.OpenCritical), b.count(pt.OpenHigh)
		g[nStd+5] = yesNo(pt.Partial)
	}

	cols := []column{{"Date", 12}}
	for _, s := range p.Standards {
		cols = append(cols, column{standardLabel(s.ShortName, s.Name, s.ID), 14})
	}
	cols = append(cols, column{"Failed control-account pairs", 14}, column{"Open critical", 10},
		column{"Open high", 10}, column{"Target score", 10}, column{"Partial snapshot", 10})
	t := b.newTable(sheetTrend, cols, 1)
	for _, g := range grid {
		t.add(g...)
	}
	t.autoFilter()
	if t.err != nil || len(grid) == 0 || nStd == 0 {
		// No points, no chart: a chart over an empty range is an error in Excel.
		return t.done()
	}
	return b.trendChart(p, len(grid)+1, len(cols))
}

// trendChart draws the standards' scores and the target as a native line chart beside the data,
// so that it follows the cells if the analyst edits them.
func (b *book) trendChart(p report.Progress, lastRow, nCols int) error {
	ref := func(col, row int) string {
		name, _ := excelize.ColumnNumberToName(col)
		return fmt.Sprintf("'%s'!$%s$%d", sheetTrend, name, row)
	}
	span := func(col int) string {
		name, _ := excelize.ColumnNumberToName(col)
		return fmt.Sprintf("'%s'!$%s$2:$%s$%d", sheetTrend, name, name, lastRow)
	}
	noMarker := excelize.ChartMarker{Symbol: "none"}
	var series []excelize.ChartSeries
	for i := range p.Standards {
		series = append(series, excelize.ChartSeries{
			Name: ref(2+i, 1), Categories: span(1), Values: span(2 + i),
			Marker: noMarker, Line: excelize.LineOptions{Width: 2},
		})
	}
	series = append(series, excelize.ChartSeries{
		Name: ref(nCols, 1), Categories: span(1), Values: span(nCols),
		Marker: noMarker, Line: excelize.LineOptions{Dash: excelize.LineDashDash, Width: 1.5},
	})
	zero, one := 0.0, 1.0
	anchor, err := excelize.CoordinatesToCellName(nCols+2, 2)
	if err != nil {
		return err
	}
	return b.f.AddChart(sheetTrend, anchor, &excelize.Chart{
		Type:      excelize.Line,
		Series:    series,
		Dimension: excelize.ChartDimension{Width: 860, Height: 440},
		Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{
			Text: fmt.Sprintf("Score by standard, last %d days", p.WindowDays),
		}}},
		Legend:       excelize.ChartLegend{Position: "bottom"},
		ShowBlanksAs: "gap", // a snapshot without a score is a gap, not a drop to 0%
		XAxis:        excelize.ChartAxis{NumFmt: excelize.ChartNumFmt{CustomNumFmt: "yyyy-mm-dd"}},
		YAxis: excelize.ChartAxis{
			Minimum: &zero, Maximum: &one, MajorGridLines: true,
			NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"},
		},
	})
}

// methodologyWidth is the Methodology column's width in characters.
const methodologyWidth = 120

func (b *book) methodology(_ context.Context, r *report.Report) error {
	t := b.newTable(sheetMethod, []column{{"How the numbers are computed", methodologyWidth}}, 0)
	for _, para := range methodText(r) {
		t.add(excelize.Cell{StyleID: b.st.wrap, Value: para})
		// Excel does not grow rows for wrapped text when it opens a file: size them here,
		// at about 15 points a line and a little under a character per width unit.
		lines := utf8.RuneCountInString(para)/(methodologyWidth+methodologyWidth/10) + 1
		t.fail(b.f.SetRowHeight(sheetMethod, t.row, float64(lines)*15+4))
	}
	return t.done()
}

// methodText is the method in prose, one paragraph a row. It follows docs/methodology.md; it
// lives here rather than in templates/ because only the workbook prints it this way, with the
// workbook's units.
func methodText(r *report.Report) []string {
	window := r.Progress.WindowDays
	return []string{
		"AWS has no public API for the Security Hub security score, so hubreport rebuilds it from the findings of one snapshot, " +
			"following the method of the Security Hub user guide (\"Calculating security scores\", \"Evaluating compliance status\").",
		"Units in this workbook: scores are fractions shown as percentages (0.875 shows as 87.5%); changes of a score are " +
			"percentage points shown the same way (+0.052 shows as +5.2%). An empty score cell means that no control of the " +
			"standard had data in that scope, which is not 0%. Dates and times are in UTC.",
		"Which findings. Control findings only: consolidated ones carry Compliance.SecurityControlId and Compliance.AssociatedStandards; " +
			"legacy per-standard ones carry ProductFields.StandardsArn and ControlId (for CIS 1.2.0, StandardsGuideArn and RuleId) and are " +
			"mapped to the security control id (PCI.CloudTrail.1 and CIS 1.2 rule 2.7 are both CloudTrail.2). Findings with RecordState " +
			"ARCHIVED and findings whose workflow is SUPPRESSED do not count.",
		"Control status in a scope (an account and region, an account, or the organization), from the findings of that scope and " +
			"standard: FAILED if any is FAILED; else UNKNOWN if any is WARNING or NOT_AVAILABLE; else PASSED if any is PASSED; else NO_DATA. " +
			"A control failing in one account fails for the organization. A control disabled in the snapshot's catalog is out of scope.",
		"Scores. A standard's score is PASSED / (PASSED + FAILED + UNKNOWN) over the standard's controls; NO_DATA controls are left out. " +
			"A control shared by several standards counts once in each. The summary score is the mean of the standard scores, and an " +
			"account's overall score the mean of its standard scores. \"Score without suppressions\" is the same with suppressed " +
			"findings counted, to show what suppressions hide.",
		"Top failed controls: the number of distinct accounts where the control is FAILED (in any standard) over the accounts " +
			"collected in the snapshot, ranked by that count, then severity, then failed resources. \"Change vs 7 days ago\" compares " +
			"with the snapshot nearest to 7 days earlier (within a day); it is empty when there is no such snapshot.",
		"Finding counts. Active = ACTIVE record, workflow NEW or NOTIFIED (missing means NEW), and no compliance status (GuardDuty, " +
			"Inspector, Macie, ...) or FAILED/WARNING, counted by severity label. Suppressed = ACTIVE and SUPPRESSED. Remediated this " +
			"month = control findings seen FAILED in one snapshot and PASSED, RESOLVED or archived in a later one taken in the report " +
			"date's calendar month (a finding counts once); auto-remediated = those whose fix carries an automation marker in " +
			"Note.UpdatedBy or UserDefinedFields.",
		"Failed Findings lists every active FAILED control finding of the snapshot, most severe first; Days open counts whole days " +
			"from the first observation (else the creation) to the snapshot. Suppressed lists every active finding whose workflow is " +
			"SUPPRESSED, with the note that justifies it, who set it and when.",
		fmt.Sprintf("Progress over %d days (Trend sheet): the score of each standard at every snapshot of the window; failed "+
			"control-account pairs and open critical/high findings over time; and the target score. On Scores by Standard, the "+
			"baseline is the window's first snapshot, and \"Target reached by\" is the date the target is reached at the current "+
			"rate (a least-squares line through the window's scores), empty when the trend is flat or falling; \"On track\" when "+
			"the target is met or that date is within the target horizon, otherwise the Summary sheet gives the reason. Fixed and "+
			"newly failing count only control-account pairs read and enabled in both snapshots; failures suppressed or disabled "+
			"since, accounts that left and pairs not read in both are counted on their own lines. Time to remediate runs from each "+
			"finding's FirstObservedAt; the median is shown over at least 5 remediations, beside the failures still open. The "+
			"Trend sheet marks partial snapshots.",
			window),
		"Exceptions: every suppressed finding is an accepted risk, listed with who suppressed it (Note.UpdatedBy), the " +
			"justification (Note.Text) and since when (the note's UpdatedAt, else the finding's). Its expiry is the date in the " +
			"UserDefinedFields key named on the Summary sheet, or, without one, the maximum age after since. Status, judged at " +
			"the snapshot's time: expired, expiring (within 30 days), active, no_expiry (no key and no maximum age), or invalid " +
			"(the key holds no date; the value is shown in the Expiry column).",
		"Remediation Plan: every control failing in at least one account (as Top Failed Controls, but not cut), most severe " +
			"first, then the most failed accounts, with the accounts and a link to the control's remediation page in the " +
			"Security Hub user guide.",
		"Coverage. Every snapshot records which account/region pairs were collected and which were not, and why (Summary sheet). " +
			"A pair that was not collected is listed and its controls are not counted, never silently taken as passing; the " +
			"snapshot is then marked partial.",
		"Why numbers can differ from the console. The console scores one account (or the aggregated view of the administrator) " +
			"from its live control states; hubreport scores a snapshot as it was collected. Differences come from findings updated " +
			"between the two, from controls AWS evaluates but has not yet written findings for (NO_DATA here), and from the " +
			"console's own rounding.",
	}
}
