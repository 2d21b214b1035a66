package reports

import (
	"github.com/hbharness/hbharness/reports/metric"
	"math"
	"strconv"
	"strings"
	"time"
)

// chart is one inline SVG plot: a Width×Height pixel canvas whose plot area,
// inside the margins, shows data coordinates [x0,x1]×[y0,y1] (y grows
// upwards). Charts are plain data; the page template draws them, so every
// string in them is escaped by html/template like the rest of the page.
type chart struct {
	ID      string // unique within a page; prefixes clip-path ids
	Title   string
	Caption string
	Width   float64
	Height  float64
	Left    float64
	Right   float64
	Top     float64
	Bottom  float64
	Clips   []svgClip
	Els     []svgEl

	x0, x1, y0, y1 float64
}

// svgClip is a rectangular clip path, in pixels.
type svgClip struct {
	ID         string
	X, Y, W, H float64
}

// svgEl is one drawing primitive; Kind selects which fields apply.
type svgEl struct {
	Kind   string  // "rect", "line", "polyline" or "text"
	X, Y   float64 // rect corner, line start, text anchor
	W, H   float64 // rect size
	X2, Y2 float64 // line end
	Points string  // polyline, "x,y x,y ..."
	Text   string
	Class  string
	Color  string // fill of rects and text, stroke of lines and polylines
	Anchor string // text-anchor: "start", "middle" or "end"
	Clip   string // clip path id
	Tip    string // hover tooltip
}

// seriesColor picks from Tableau 10, distinct on white and for most
// color-blind readers; red is left out because plots use it for violations.
func seriesColor(i int) string {
	palette := [...]string{"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2",
		"#edc948", "#9c755f", "#ff9da7", "#bab0ac"}
	return palette[i%len(palette)]
}

func newChart(id, title string, width, height float64) *chart {
	return &chart{ID: id, Title: title, Width: width, Height: height,
		Left: 60, Right: 20, Top: 36, Bottom: 42, x0: 0, x1: 1, y0: 0, y1: 1}
}

// setRange sets the data window; an empty range is widened so that mapping
// never divides by zero.
func (c *chart) setRange(x0, x1, y0, y1 float64) {
	if !(x1 > x0) {
		x1 = x0 + 1
	}
	if !(y1 > y0) {
		y1 = y0 + 1
	}
	c.x0, c.x1, c.y0, c.y1 = x0, x1, y0, y1
}

func (c *chart) plotW() float64 { return c.Width - c.Left - c.Right }
func (c *chart) plotH() float64 { return c.Height - c.Top - c.Bottom }

// px and py map data coordinates to pixels, clamped to the plot area so that
// an outlier cannot draw over the axes.
func (c *chart) px(x float64) float64 {
	f := clamp01((x - c.x0) / (c.x1 - c.x0))
	return c.Left + f*c.plotW()
}

func (c *chart) py(y float64) float64 {
	f := clamp01((y - c.y0) / (c.y1 - c.y0))
	return c.Top + (1-f)*c.plotH()
}

func clamp01(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return math.Max(0, math.Min(1, f))
}

// rect draws a data-space rectangle between (x0,y0) and (x1,y1).
func (c *chart) rect(x0, y0, x1, y1 float64, class, color, tip string) {
	ax, bx := c.px(x0), c.px(x1)
	ay, by := c.py(y0), c.py(y1)
	c.rectPx(math.Min(ax, bx), math.Min(ay, by), math.Abs(bx-ax), math.Abs(by-ay), class, color, tip)
}

func (c *chart) rectPx(x, y, w, h float64, class, color, tip string) {
	c.Els = append(c.Els, svgEl{Kind: "rect", X: x, Y: y, W: w, H: h, Class: class, Color: color, Tip: tip})
}

func (c *chart) linePx(x1, y1, x2, y2 float64, class, color string) {
	c.Els = append(c.Els, svgEl{Kind: "line", X: x1, Y: y1, X2: x2, Y2: y2, Class: class, Color: color})
}

// polyline draws connected data points; clip, when set, names a clip path.
func (c *chart) polyline(pts [][2]float64, class, color, clip string) {
	if len(pts) == 0 {
		return
	}
	var b strings.Builder
	for i, p := range simplify(c.toPx(pts), 0.25) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fmtPx(p[0]))
		b.WriteByte(',')
		b.WriteString(fmtPx(p[1]))
	}
	c.Els = append(c.Els, svgEl{Kind: "polyline", Points: b.String(), Class: class, Color: color, Clip: clip})
}

func (c *chart) toPx(pts [][2]float64) [][2]float64 {
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		out[i] = [2]float64{c.px(p[0]), c.py(p[1])}
	}
	return out
}

// simplify drops pixel points that lie within tol pixels of the line between
// their neighbours: a sampled straight ramp (staleness growing between two
// heartbeats) becomes its two ends, which keeps long runs small.
func simplify(pts [][2]float64, tol float64) [][2]float64 {
	if len(pts) < 3 {
		return pts
	}
	out := [][2]float64{pts[0]}
	for i := 1; i < len(pts)-1; i++ {
		if distToLine(pts[i], out[len(out)-1], pts[i+1]) > tol {
			out = append(out, pts[i])
		}
	}
	return append(out, pts[len(pts)-1])
}

// distToLine is the distance from p to the segment a–b, in pixels.
func distToLine(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return math.Hypot(p[0]-a[0], p[1]-a[1])
	}
	t := math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

func (c *chart) textPx(x, y float64, s, anchor, class, tip string) {
	c.Els = append(c.Els, svgEl{Kind: "text", X: x, Y: y, Text: s, Anchor: anchor, Class: class, Tip: tip})
}

// clipAbove adds a clip path covering the plot area above data height y and
// returns its id.
func (c *chart) clipAbove(name string, y float64) string {
	id := c.ID + "-" + name
	c.Clips = append(c.Clips, svgClip{ID: id, X: c.Left, Y: c.Top, W: c.plotW(), H: c.py(y) - c.Top})
	return id
}

// xAxis draws the bottom axis with labelled ticks and a title.
func (c *chart) xAxis(ticks []float64, label func(float64) string, title string) {
	base := c.Top + c.plotH()
	c.linePx(c.Left, base, c.Left+c.plotW(), base, "axis", "")
	for _, t := range ticks {
		x := c.px(t)
		c.linePx(x, base, x, base+4, "axis", "")
		c.textPx(x, base+16, label(t), "middle", "tick", "")
	}
	c.textPx(c.Left+c.plotW()/2, c.Height-6, title, "middle", "axis-title", "")
}

// yAxis draws the left axis with labelled ticks, light grid lines across the
// plot and a title above the axis.
func (c *chart) yAxis(ticks []float64, label func(float64) string, title string) {
	c.linePx(c.Left, c.Top, c.Left, c.Top+c.plotH(), "axis", "")
	for _, t := range ticks {
		y := c.py(t)
		c.linePx(c.Left, y, c.Left+c.plotW(), y, "grid", "")
		c.textPx(c.Left-6, y+4, label(t), "end", "tick", "")
	}
	c.textPx(c.Left, c.Top-8, title, "start", "axis-title", "")
}

// niceTicks returns at most maxTicks round values (1, 2 or 5 × 10^k apart)
// covering [lo, hi].
func niceTicks(lo, hi float64, maxTicks int) []float64 {
	if !(hi > lo) || maxTicks < 2 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(maxTicks-1)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return ticksEvery(lo, hi, step)
}

// timeTicks is niceTicks for model seconds: steps a reader counts in
// (15 s, 1 m, 5 m, ...), labelled as durations.
func timeTicks(lo, hi float64, maxTicks int) []float64 {
	steps := []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400}
	if !(hi > lo) || maxTicks < 2 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(maxTicks-1)
	for _, s := range steps {
		if s >= raw {
			return ticksEvery(lo, hi, s)
		}
	}
	return niceTicks(lo, hi, maxTicks)
}

func ticksEvery(lo, hi, step float64) []float64 {
	// Multiplying rather than accumulating keeps 0.1 steps at 0.3, not 0.30000000000000004.
	var out []float64
	for k := math.Ceil(lo / step); k*step <= hi+step*1e-9; k++ {
		out = append(out, k*step)
	}
	return out
}

// timeLabel prints a time axis tick.
func timeLabel(s float64) string {
	if s == 0 {
		return "0"
	}
	return modelDuration(s)
}

// countLabel prints a count or measurement axis tick.
func countLabel(v float64) string { return metric.Num(v, 2) }

// fmtPx prints a pixel coordinate to a tenth of a pixel, which keeps the file
// small without visible loss.
func fmtPx(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// seconds of model time as a float, the unit every plot's x axis uses.
func sec(d time.Duration) float64 { return d.Seconds() }
