// Package chart is the SVG chart kit the reports draw with: a canvas with
// data coordinates, primitives, axes and their ticks. Charts are plain data;
// the page's template draws them, so html/template escapes every string.
package chart

import (
	"math"
	"strconv"
	"strings"
)

// Chart is one inline SVG plot: a Width×Height pixel canvas whose plot area,
// inside the margins, shows data coordinates [x0,x1]×[y0,y1] (y grows
// upwards). Charts are plain data; the page template draws them, so every
// string in them is escaped by html/template like the rest of the page.
type Chart struct {
	ID      string // unique within a page; prefixes clip-path ids
	Title   string
	Caption string
	Width   float64
	Height  float64
	Left    float64
	Right   float64
	Top     float64
	Bottom  float64
	Clips   []Clip
	Els     []El
	// Above are drawn over the plot without Lower's shift: labels stacked
	// in the room Lower made above it.
	Above []El
	// Lower moves everything but the title and Above down by this many
	// pixels, making room above the plot; Height includes it.
	Lower float64
	// YScale, when set, maps data y to axis units before the linear
	// mapping to pixels (LogAbove); nil is a linear axis.
	YScale func(float64) float64

	x0, x1, y0, y1 float64
}

// Clip is a rectangular clip path, in pixels.
type Clip struct {
	ID         string
	X, Y, W, H float64
}

// El is one drawing primitive; Kind selects which fields apply.
type El struct {
	Kind   string  // "rect", "line", "polyline" or "text"
	X, Y   float64 // Rect corner, line start, text anchor
	W, H   float64 // Rect size
	X2, Y2 float64 // line end
	Points string  // polyline, "x,y x,y ..."
	Text   string
	Class  string
	Color  string // fill of rects and text, stroke of lines and polylines
	Anchor string // text-anchor: "start", "middle" or "end"
	Clip   string // clip path id
	Tip    string // hover tooltip
}

// SeriesColor picks a data series' colour, from Tableau 10 and its darker
// kin, distinct on white and for most colour-blind readers. Red, orange,
// yellow, pink and grey are left out: every page keeps red for a violation
// nobody expected, amber for an expected one and grey for what was not
// judged, and violet for faults, so that a series never reads as a verdict.
func SeriesColor(i int) string {
	palette := [...]string{"#4e79a7", "#59a14f", "#76b7b2", "#9c755f", "#1f3b73", "#17becf", "#2e6b30"}
	return palette[i%len(palette)]
}

func New(id, title string, width, height float64) *Chart {
	return &Chart{ID: id, Title: title, Width: width, Height: height,
		Left: 60, Right: 20, Top: 36, Bottom: 42, x0: 0, x1: 1, y0: 0, y1: 1}
}

// SetRange sets the data window; an empty range is widened so that mapping
// never divides by zero.
func (c *Chart) SetRange(x0, x1, y0, y1 float64) {
	if !(x1 > x0) {
		x1 = x0 + 1
	}
	if !(y1 > y0) {
		y1 = y0 + 1
	}
	c.x0, c.x1, c.y0, c.y1 = x0, x1, y0, y1
}

func (c *Chart) PlotW() float64 { return c.Width - c.Left - c.Right }
func (c *Chart) PlotH() float64 { return c.Height - c.Top - c.Bottom }

// Px and py map data coordinates to pixels, clamped to the plot area so that
// an outlier cannot draw over the axes.
func (c *Chart) Px(x float64) float64 {
	f := clamp01((x - c.x0) / (c.x1 - c.x0))
	return c.Left + f*c.PlotW()
}

func (c *Chart) Py(y float64) float64 {
	u := func(v float64) float64 { return v }
	if c.YScale != nil {
		u = c.YScale
	}
	f := clamp01((u(y) - u(c.y0)) / (u(c.y1) - u(c.y0)))
	return c.Top + (1-f)*c.PlotH()
}

// LogAbove is an axis linear up to b and logarithmic past it, each decade
// above b as tall as 0..b: a staleness of an hour then leaves room for the
// 30 s sawtooth below it, instead of flattening it to the floor.
func LogAbove(b float64) func(float64) float64 {
	return func(y float64) float64 {
		if y <= b || b <= 0 {
			return y
		}
		return b * (1 + math.Log10(y/b))
	}
}

func clamp01(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return math.Max(0, math.Min(1, f))
}

// Rect draws a data-space rectangle between (x0,y0) and (x1,y1).
func (c *Chart) Rect(x0, y0, x1, y1 float64, class, color, tip string) {
	ax, bx := c.Px(x0), c.Px(x1)
	ay, by := c.Py(y0), c.Py(y1)
	c.RectPx(math.Min(ax, bx), math.Min(ay, by), math.Abs(bx-ax), math.Abs(by-ay), class, color, tip)
}

func (c *Chart) RectPx(x, y, w, h float64, class, color, tip string) {
	c.Els = append(c.Els, El{Kind: "rect", X: x, Y: y, W: w, H: h, Class: class, Color: color, Tip: tip})
}

func (c *Chart) LinePx(x1, y1, x2, y2 float64, class, color string) {
	c.Els = append(c.Els, El{Kind: "line", X: x1, Y: y1, X2: x2, Y2: y2, Class: class, Color: color})
}

// Polyline draws connected data points; clip, when set, names a clip path.
func (c *Chart) Polyline(pts [][2]float64, class, color, clip string) {
	if len(pts) == 0 {
		return
	}
	var b strings.Builder
	for i, p := range simplify(c.ToPx(pts), 0.25) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(FmtPx(p[0]))
		b.WriteByte(',')
		b.WriteString(FmtPx(p[1]))
	}
	c.Els = append(c.Els, El{Kind: "polyline", Points: b.String(), Class: class, Color: color, Clip: clip})
}

func (c *Chart) ToPx(pts [][2]float64) [][2]float64 {
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		out[i] = [2]float64{c.Px(p[0]), c.Py(p[1])}
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
		if DistToLine(pts[i], out[len(out)-1], pts[i+1]) > tol {
			out = append(out, pts[i])
		}
	}
	return append(out, pts[len(pts)-1])
}

// DistToLine is the distance from p to the segment a–b, in pixels.
func DistToLine(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return math.Hypot(p[0]-a[0], p[1]-a[1])
	}
	t := math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

func (c *Chart) TextPx(x, y float64, s, anchor, class, tip string) {
	c.Els = append(c.Els, El{Kind: "text", X: x, Y: y, Text: s, Anchor: anchor, Class: class, Tip: tip})
}

// ClipAbove adds a clip path covering the plot area above data height y and
// returns its id.
func (c *Chart) ClipAbove(name string, y float64) string {
	id := c.ID + "-" + name
	c.Clips = append(c.Clips, Clip{ID: id, X: c.Left, Y: c.Top, W: c.PlotW(), H: c.Py(y) - c.Top})
	return id
}

// XAxis draws the bottom axis with labelled ticks and a title.
func (c *Chart) XAxis(ticks []float64, label func(float64) string, title string) {
	base := c.Top + c.PlotH()
	c.LinePx(c.Left, base, c.Left+c.PlotW(), base, "axis", "")
	for _, t := range ticks {
		x := c.Px(t)
		c.LinePx(x, base, x, base+4, "axis", "")
		c.TextPx(x, base+16, label(t), "middle", "tick", "")
	}
	c.TextPx(c.Left+c.PlotW()/2, c.Height-6, title, "middle", "axis-title", "")
}

// YAxis draws the left axis with labelled ticks, light grid lines across the
// plot and a title above the axis.
func (c *Chart) YAxis(ticks []float64, label func(float64) string, title string) {
	c.LinePx(c.Left, c.Top, c.Left, c.Top+c.PlotH(), "axis", "")
	for _, t := range ticks {
		y := c.Py(t)
		c.LinePx(c.Left, y, c.Left+c.PlotW(), y, "grid", "")
		c.TextPx(c.Left-6, y+4, label(t), "end", "tick", "")
	}
	c.TextPx(c.Left, c.Top-8, title, "start", "axis-title", "")
}

// NiceTicks returns at most maxTicks round values (1, 2 or 5 × 10^k apart)
// covering [lo, hi].
func NiceTicks(lo, hi float64, maxTicks int) []float64 {
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

// TimeTicks is NiceTicks for model seconds: steps a reader counts in
// (15 s, 1 m, 5 m, ...), labelled as durations.
func TimeTicks(lo, hi float64, maxTicks int) []float64 {
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
	return NiceTicks(lo, hi, maxTicks)
}

func ticksEvery(lo, hi, step float64) []float64 {
	// Multiplying rather than accumulating keeps 0.1 steps at 0.3, not 0.30000000000000004.
	var out []float64
	for k := math.Ceil(lo / step); k*step <= hi+step*1e-9; k++ {
		out = append(out, k*step)
	}
	return out
}

// FmtPx prints a pixel coordinate to a tenth of a pixel, which keeps the file
// small without visible loss.
func FmtPx(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// Polygon draws a closed, filled shape through pixel points.
func (c *Chart) Polygon(pts [][2]float64, class string) {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(FmtPx(p[0]))
		b.WriteByte(',')
		b.WriteString(FmtPx(p[1]))
	}
	c.Els = append(c.Els, El{Kind: "polygon", Points: b.String(), Class: class})
}

// StackAbove writes lines of text right-aligned above the plot, one under
// the other, moving the plot down to make room for all but the first, so
// that no two of them can run into each other however long they are.
func (c *Chart) StackAbove(lines []El) {
	if len(lines) == 0 {
		return
	}
	const lineH = 13
	extra := lineH * float64(len(lines)-1)
	c.Lower += extra
	c.Height += extra
	for i, l := range lines {
		l.Kind, l.Anchor = "text", "end"
		l.X, l.Y = c.Left+c.PlotW(), c.Top-8+float64(i)*lineH
		c.Above = append(c.Above, l)
	}
}

// X0, X1, Y0 and Y1 are the data window: what the plot area shows.
func (c *Chart) X0() float64 { return c.x0 }
func (c *Chart) X1() float64 { return c.x1 }
func (c *Chart) Y0() float64 { return c.y0 }
func (c *Chart) Y1() float64 { return c.y1 }
