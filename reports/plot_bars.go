package reports

// bar is one labelled value of a comparison chart.
type bar struct {
	Label  string
	Value  float64
	Text   string // the value as printed
	Failed bool   // the run's verdicts did not all match; drawn red
}

// barChart draws horizontal bars, one per run, so that long strategy names
// fit as labels.
func barChart(id, title, axis string, bars []bar) *chart {
	const rowH = 24
	chars := 8
	for _, b := range bars {
		chars = max(chars, len([]rune(b.Label)))
	}
	c := newChart(id, title, 460, 0)
	c.Left = 16 + 6.4*float64(chars)
	c.Right = 70 // room for the value printed past the longest bar
	c.Height = c.Top + float64(max(len(bars), 1)*rowH) + c.Bottom
	top := 0.0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	if top <= 0 {
		top = 1
	}
	rows := float64(max(len(bars), 1))
	c.setRange(0, top, 0, rows)
	ticks := niceTicks(0, top, 5)
	for _, t := range ticks {
		x := c.px(t)
		c.linePx(x, c.Top, x, c.Top+c.plotH(), "grid", "")
	}
	c.linePx(c.Left, c.Top, c.Left, c.Top+c.plotH(), "axis", "")
	for i, b := range bars {
		upper := rows - float64(i)
		class := "bar"
		if b.Failed {
			class = "bar bad"
		}
		c.rect(0, upper-0.8, b.Value, upper-0.2, class, "", b.Label+": "+b.Text)
		c.textPx(c.Left-6, c.py(upper-0.5)+4, b.Label, "end", "key-label", "")
		c.textPx(c.px(b.Value)+4, c.py(upper-0.5)+4, b.Text, "start", "value", "")
	}
	c.xAxis(ticks, countLabel, axis)
	return c
}
