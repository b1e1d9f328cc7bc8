package pdf

// column is a table column: its share of the content width and its alignment.
type column struct {
	title string
	share float64
	align string
}

func (c column) width(d *doc) float64 { return c.share * d.cw }

// table draws rows under a header that repeats on every page the table spans. A row never
// splits, and the header never ends a page: it moves to the next page with the first row.
func (d *doc) table(cols []column, rows int, height func(i int) float64, draw func(i int, y float64, xs []float64)) {
	xs := make([]float64, len(cols))
	x := marginX
	for i, c := range cols {
		xs[i] = x
		x += c.width(d)
	}
	const size = 8.5
	d.font(sans, "B", size, muted)
	heads := make([][]string, len(cols))
	lines := 1
	for i, c := range cols {
		heads[i] = d.wrap(c.title, c.width(d)-3, 2) // keep a gap between neighbouring titles
		lines = max(lines, len(heads[i]))
	}
	hh := float64(lines)*lh(size) + 3
	header := func() {
		d.font(sans, "B", size, muted)
		for i, c := range cols {
			top := d.y + hh - 1.5 - float64(len(heads[i]))*lh(size) // bottom-aligned
			for j, l := range heads[i] {
				w := c.width(d) - 1
				if c.align != "R" {
					w = c.width(d)
				}
				d.text(xs[i], top+float64(j)*lh(size), w, l, c.align)
			}
		}
		d.y += hh
		d.hrule(marginX, marginX+d.cw, d.y, 0.35, navy)
	}
	if rows > 0 {
		d.need(hh + height(0))
	}
	header()
	for i := range rows {
		h := height(i)
		if d.room() < h {
			d.newPage()
			header()
		}
		if i%2 == 1 {
			d.fill(zebra)
			d.f.Rect(marginX, d.y, d.cw, h, "F")
		}
		draw(i, d.y, xs)
		d.y += h
	}
	d.hrule(marginX, marginX+d.cw, d.y, 0.2, rule)
	d.y += 2
}
