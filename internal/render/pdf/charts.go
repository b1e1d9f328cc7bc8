package pdf

import (
	"fmt"
	"math"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/hubreport/hubreport/internal/report"
)

// The charts are drawn with fpdf's lines, rectangles and polygons, never as images, so they stay
// sharp at any zoom and cost a few hundred bytes.

// trendChart draws one standard's score over the window in the box (x, y, w, h): a title line,
// then the plot with the score axis 0-100%, dates along the bottom and the target dashed.
func (d *doc) trendChart(x, y, w, h float64, sp *report.StandardProgress, target float64) {
	f := d.f
	// Title: the standard on the left, where it went on the right.
	d.font(sans, "B", 11.5, ink)
	d.text(x, y, w*0.5, d.fit(shortName(sp.ShortName, sp.Name), w*0.5), "L")
	summary := pct(sp.BaselineScore) + " → " + pct(sp.CurrentScore)
	if !d.hasHistory() {
		summary = pct(sp.CurrentScore)
	} else if n, ok := points(sp); ok {
		summary += fmt.Sprintf("  (%s pts)", signed(n))
	}
	if st := targetStatus(sp, target); st != "" && d.hasHistory() {
		summary += " · " + st
	}
	d.font(sans, "", 9.5, muted)
	d.text(x+w*0.5, y+0.6, w*0.5, d.fit(summary, w*0.5), "R")

	// Plot area: room on the left for the score labels, on the right for the last value,
	// below for the dates.
	px0, px1 := x+10, x+w-11
	py0, py1 := y+lh(11.5)+3, y+h-6
	yOf := func(score float64) float64 {
		return py1 - math.Max(0, math.Min(100, score))/100*(py1-py0)
	}

	pts := d.seriesPoints(sp.Series, px0, px1)

	// Area under each unbroken run of the series, drawn first so the grid shows through.
	d.fill(tint)
	for _, run := range runs(pts) {
		if len(run) < 2 {
			continue
		}
		poly := make([]fpdf.PointType, 0, len(run)+2)
		for _, p := range run {
			poly = append(poly, fpdf.PointType{X: p.x, Y: yOf(p.v)})
		}
		poly = append(poly, fpdf.PointType{X: run[len(run)-1].x, Y: py1}, fpdf.PointType{X: run[0].x, Y: py1})
		f.Polygon(poly, "F")
	}

	// Score axis: grid lines every 25%.
	d.font(sans, "", 7.5, faint)
	for v := 0.0; v <= 100; v += 25 {
		gy := yOf(v)
		width := 0.15
		c := rule
		if v == 0 {
			width, c = 0.3, faint
		}
		d.hrule(px0, px1, gy, width, c)
		d.text(x, gy-lh(7.5)/2, px0-x-1.5, fmt.Sprintf("%.0f%%", v), "R")
	}

	// Date axis.
	for _, t := range d.dateTicks(sp.Series, px0, px1) {
		f.SetLineWidth(0.3)
		d.stroke(faint)
		f.Line(t.x, py1, t.x, py1+1.2)
		d.text(t.x-12, py1+1.5, 24, t.label, "C")
	}

	// Target.
	if target > 0 && target <= 100 {
		ty := yOf(target)
		f.SetLineWidth(0.35)
		d.stroke(good)
		f.SetDashPattern([]float64{1.6, 1.2}, 0)
		f.Line(px0, ty, px1, ty)
		f.SetDashPattern(nil, 0)
		d.font(sans, "", 7.5, good)
		d.text(px0+1, ty-lh(7.5)-0.2, 40, "target "+targetText(target), "L")
	}

	// The series: a line through each run, a dot where a run is a single point.
	f.SetLineWidth(0.6)
	d.stroke(accent)
	d.fill(accent)
	for _, run := range runs(pts) {
		if len(run) == 1 {
			f.Circle(run[0].x, yOf(run[0].v), 0.7, "F")
			continue
		}
		f.MoveTo(run[0].x, yOf(run[0].v))
		for _, p := range run[1:] {
			f.LineTo(p.x, yOf(p.v))
		}
		f.DrawPath("D")
	}
	// Partial snapshots: an open square, so a dip where accounts were not read is not taken for
	// a real one (the page's legend says so). The last point has its own marker below.
	for _, p := range pts {
		if p.partial && !p.last {
			d.partialMarker(p.x, yOf(p.v))
		}
	}
	if len(pts) == 0 {
		d.font(sans, "", 9, faint)
		d.text(px0, (py0+py1)/2-lh(9)/2, px1-px0, "no score in the window", "C")
		return
	}
	// The latest score, labelled at the end of the line.
	if last := pts[len(pts)-1]; last.last {
		ly := yOf(last.v)
		if last.partial {
			d.partialMarker(last.x, ly)
		} else {
			d.fill(white)
			f.SetLineWidth(0.5)
			f.Circle(last.x, ly, 1.1, "FD")
		}
		d.font(sans, "B", 8.5, accent)
		d.text(last.x+1.8, ly-lh(8.5)/2, x+w-last.x-1.8, pct(&last.v), "L")
	}
}

// partialMarker marks the point of a partial snapshot: an open square in the series' colour.
func (d *doc) partialMarker(x, y float64) {
	d.fill(white)
	d.stroke(accent)
	d.f.SetLineWidth(0.45)
	d.f.Rect(x-1.2, y-1.2, 2.4, 2.4, "FD")
}

// point is a plotted score: its x position, its value, whether it follows a gap and whether it
// is the series' last point.
type point struct {
	x, v    float64
	after   bool // a snapshot without a score precedes it
	last    bool
	partial bool // a partial snapshot: drawn hollow
}

// seriesPoints places the scored points of a series between x0 and x1: by date when every date
// parses (snapshots need not be daily), else evenly.
func (d *doc) seriesPoints(series []report.ScorePoint, x0, x1 float64) []point {
	pos := positions(series, x0, x1)
	var pts []point
	gap := false
	for i, s := range series {
		if !validScore(s.Score) {
			gap = true
			continue
		}
		pts = append(pts, point{x: pos[i], v: *s.Score, after: gap, last: i == len(series)-1, partial: s.Partial})
		gap = false
	}
	return pts
}

// positions returns the x position of each point of the series.
func positions(series []report.ScorePoint, x0, x1 float64) []float64 {
	xs := make([]float64, len(series))
	if len(series) == 1 {
		xs[0] = x1 // a single snapshot is today: the right edge
		return xs
	}
	days, ok := seriesDays(series)
	span := 0.0
	if ok {
		span = days[len(days)-1] - days[0]
	}
	for i := range series {
		switch {
		case ok && span > 0:
			xs[i] = x0 + (days[i]-days[0])/span*(x1-x0)
		default:
			xs[i] = x0 + float64(i)/float64(len(series)-1)*(x1-x0)
		}
	}
	return xs
}

// seriesDays returns each point's date in days since the epoch; ok is false unless every date
// parses and they ascend.
func seriesDays(series []report.ScorePoint) ([]float64, bool) {
	days := make([]float64, len(series))
	for i, s := range series {
		t, err := time.Parse(time.DateOnly, s.Date)
		if err != nil {
			return nil, false
		}
		days[i] = float64(t.Unix() / 86400)
		if i > 0 && days[i] < days[i-1] {
			return nil, false
		}
	}
	return days, true
}

// runs splits the points at the gaps, where the line must break.
func runs(pts []point) [][]point {
	var out [][]point
	for i, p := range pts {
		if i == 0 || p.after {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
	}
	return out
}

type tick struct {
	x     float64
	label string
}

// dateTicks labels the date axis: the first of each month for a long window, Mondays for a few
// weeks, every day for a few days; about five labels whatever the window.
func (d *doc) dateTicks(series []report.ScorePoint, x0, x1 float64) []tick {
	days, ok := seriesDays(series)
	if !ok || len(series) < 2 || days[len(days)-1] == days[0] {
		if len(series) > 0 { // one point (or unparseable dates): label the ends only
			out := []tick{{x1, dateAs(series[len(series)-1].Date, "Jan 2")}}
			if len(series) > 1 {
				out = append([]tick{{x0, dateAs(series[0].Date, "Jan 2")}}, out...)
			}
			return out
		}
		return nil
	}
	first := time.Unix(int64(days[0])*86400, 0).UTC()
	last := time.Unix(int64(days[len(days)-1])*86400, 0).UTC()
	span := last.Sub(first).Hours() / 24
	xOf := func(t time.Time) float64 {
		return x0 + t.Sub(first).Hours()/24/span*(x1-x0)
	}
	var out []tick
	add := func(t time.Time, label string) { out = append(out, tick{xOf(t), label}) }
	switch {
	case span > 45:
		step := max(1, int(math.Ceil(span/30/6))) // months between labels
		t := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
		if t.Before(first) {
			t = t.AddDate(0, 1, 0)
		}
		for ; !t.After(last); t = t.AddDate(0, step, 0) {
			label := t.Format("Jan 2")
			if t.Month() == time.January {
				label = t.Format("Jan 2006")
			}
			add(t, label)
		}
	case span > 10:
		t := first
		for t.Weekday() != time.Monday {
			t = t.AddDate(0, 0, 1)
		}
		step := max(1, int(math.Ceil(span/7/6))) * 7
		for ; !t.After(last); t = t.AddDate(0, 0, step) {
			add(t, t.Format("Jan 2"))
		}
	default:
		step := max(1, int(math.Ceil(span/6)))
		for t := first; !t.After(last); t = t.AddDate(0, 0, step) {
			add(t, t.Format("Jan 2"))
		}
	}
	return out
}

// Bars and gaps of the severity chart, in mm.
const sevBar, sevGap = 5.5, 2.5

// severityChartHeight is the height of the severity chart: its bars, then 5 mm of axis labels.
func severityChartHeight() float64 { return float64(len(severes))*(sevBar+sevGap) + 5 }

// severityChart draws horizontal bars of counts per severity, with the count at each bar's end,
// in the box of width w whose top is y.
func (d *doc) severityChart(x, y, w float64, counts []int64) {
	f := d.f
	const bar, gap = sevBar, sevGap
	labelW := 30.0
	px0, px1 := x+labelW, x+w-18
	var top int64
	for _, c := range counts {
		top = max(top, c)
	}
	step := niceStep(top)
	scale := float64(step) * math.Max(1, math.Ceil(float64(top)/float64(step)))
	xOf := func(v int64) float64 { return px0 + float64(v)/scale*(px1-px0) }
	bottom := y + float64(len(severes))*(bar+gap)

	// Grid and its labels first, under the bars.
	d.font(sans, "", 7.5, faint)
	for v := int64(0); float64(v) <= scale; v += step {
		gx := xOf(v)
		width, c := 0.15, rule
		if v == 0 {
			width, c = 0.3, faint
		}
		f.SetLineWidth(width)
		d.stroke(c)
		f.Line(gx, y-1, gx, bottom)
		d.text(gx-12, bottom+0.5, 24, d.count(v), "C")
	}
	for i, s := range severes {
		by := y + float64(i)*(bar+gap)
		d.font(sans, "", 9.5, ink)
		d.text(x, by+bar/2-lh(9.5)/2, labelW-3, s.name, "L")
		if bw := xOf(counts[i]) - px0; bw > 0 {
			d.fill(s.color)
			f.Rect(px0, by, bw, bar, "F")
		}
		d.font(sans, "B", 9.5, ink)
		d.text(xOf(counts[i])+1.5, by+bar/2-lh(9.5)/2, 20, d.count(counts[i]), "L")
	}
}

// niceStep returns a grid step of 1, 2 or 5 times a power of ten giving about four lines up to
// top.
func niceStep(top int64) int64 {
	if top <= 4 {
		return 1
	}
	raw := float64(top) / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return int64(m * p)
		}
	}
	return int64(10 * p)
}

// scoreBar is a thin horizontal gauge of a score with a tick at the target.
func (d *doc) scoreBar(x, y, w float64, score *float64, target float64) {
	f := d.f
	const h = 1.8
	d.fill(rgb{228, 232, 238})
	f.Rect(x, y, w, h, "F")
	if validScore(score) {
		d.fill(accent)
		f.Rect(x, y, math.Max(0, math.Min(100, *score))/100*w, h, "F")
	}
	if target > 0 && target <= 100 {
		tx := x + target/100*w
		f.SetLineWidth(0.45)
		d.stroke(navy)
		f.Line(tx, y-1, tx, y+h+1)
	}
}

// arrow draws a small triangle centred at (x, y), pointing up for n > 0, down for n < 0, and a
// bar for no change.
func (d *doc) arrow(x, y float64, n int, c rgb) {
	const s = 1.9
	d.fill(c)
	switch {
	case n > 0:
		d.f.Polygon([]fpdf.PointType{{X: x - s, Y: y + s*0.8}, {X: x + s, Y: y + s*0.8}, {X: x, Y: y - s*0.9}}, "F")
	case n < 0:
		d.f.Polygon([]fpdf.PointType{{X: x - s, Y: y - s*0.8}, {X: x + s, Y: y - s*0.8}, {X: x, Y: y + s*0.9}}, "F")
	default:
		d.f.Rect(x-s, y-0.45, 2*s, 0.9, "F")
	}
}
