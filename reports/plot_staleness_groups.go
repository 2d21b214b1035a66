package reports

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

// sameLinePx is how far apart, in pixels, two services' staleness lines may
// run and still be one line to the eye.
const sameLinePx = 1

// staleGroup is services whose staleness lines coincide on the plot, drawn
// once: the services of one gate key are written by the same heartbeat, and
// drawn one by one the last would hide the others.
type staleGroup struct {
	ids  []int64
	segs []staleSeg
}

// name is how tooltips name the group.
func (g staleGroup) name() string {
	if len(g.ids) == 1 {
		return fmt.Sprintf("service %d", g.ids[0])
	}
	parts := make([]string, len(g.ids))
	for i, id := range g.ids {
		parts[i] = fmt.Sprint(id)
	}
	return "services " + strings.Join(parts, ", ")
}

// label is the legend's: short enough for the right margin.
func (g staleGroup) label() string {
	switch {
	case len(g.ids) == 1:
		return fmt.Sprintf("svc %d", g.ids[0])
	case len(g.ids) <= 3:
		parts := make([]string, len(g.ids))
		for i, id := range g.ids {
			parts[i] = fmt.Sprint(id)
		}
		return "svc " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("svc %d +%d", g.ids[0], len(g.ids)-1)
}

// groupSeries puts the services, stalest first, into at most maxGroups
// groups of coinciding lines; a service that matches none once the groups
// are full is hidden.
func groupSeries(c *chart, ids []int64, bySvc map[int64][]history.Sample, polledAt func(int64) func(time.Duration) bool, maxGroups int) ([]staleGroup, []int64) {
	var groups []staleGroup
	var hidden []int64
	nulls := func(id int64) int {
		n := 0
		for _, s := range bySvc[id] {
			if s.Null {
				n++
			}
		}
		return n
	}
	for _, id := range ids {
		segs := staleSegments(c, bySvc[id], polledAt(id))
		joined := false
		for i := range groups {
			if nulls(groups[i].ids[0]) == nulls(id) && sameLine(c, groups[i].segs, segs) {
				groups[i].ids = append(groups[i].ids, id)
				joined = true
				break
			}
		}
		switch {
		case joined:
		case len(groups) < maxGroups:
			groups = append(groups, staleGroup{ids: []int64{id}, segs: segs})
		default:
			hidden = append(hidden, id)
		}
	}
	return groups, hidden
}

// sameLine reports whether two services' lines would be drawn on top of
// each other: the same breaks, and every point within sameLinePx.
func sameLine(c *chart, a, b []staleSeg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].polled != b[i].polled || len(a[i].pts) != len(b[i].pts) {
			return false
		}
		for j, p := range a[i].pts {
			q := b[i].pts[j]
			if math.Abs(c.px(p[0])-c.px(q[0])) > sameLinePx || math.Abs(c.py(p[1])-c.py(q[1])) > sameLinePx {
				return false
			}
		}
	}
	return true
}

// drawStaleEnvelope shades, per pixel column, the range of the hidden
// services' staleness while polled, so that services past the legend still
// show as a band behind the lines.
func drawStaleEnvelope(c *chart, hidden []int64, bySvc map[int64][]history.Sample, polledAt func(int64) func(time.Duration) bool) {
	type span struct{ lo, hi float64 }
	cols := map[int]span{}
	first, last := math.MaxInt, math.MinInt
	for _, id := range hidden {
		polled := polledAt(id)
		for _, s := range bySvc[id] {
			if s.Null || !polled(s.At) {
				continue
			}
			col := int(math.Floor(c.px(sec(s.At))))
			v := sec(s.Staleness)
			sp, ok := cols[col]
			if !ok {
				sp = span{v, v}
			}
			cols[col] = span{min(sp.lo, v), max(sp.hi, v)}
			first, last = min(first, col), max(last, col)
		}
	}
	// One polygon per run of neighbouring columns: the upper edge left to
	// right, the lower one back.
	var upper, lower [][2]float64
	flush := func() {
		if len(upper) > 0 {
			pts := append(upper, reversed(lower)...)
			c.polygon(pts, "envelope")
		}
		upper, lower = nil, nil
	}
	gap := 0
	for col := first; col <= last; col++ {
		sp, ok := cols[col]
		if !ok {
			// A sample period wider than a pixel leaves columns empty
			// between reads; only a longer gap breaks the band.
			if gap++; gap > 8 {
				flush()
			}
			continue
		}
		gap = 0
		x := float64(col) + 0.5
		upper = append(upper, [2]float64{x, c.py(sp.hi)})
		lower = append(lower, [2]float64{x, c.py(sp.lo)})
	}
	flush()
}

func reversed(pts [][2]float64) [][2]float64 {
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		out[len(pts)-1-i] = p
	}
	return out
}

// polygon draws a closed, filled shape through pixel points.
func (c *chart) polygon(pts [][2]float64, class string) {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fmtPx(p[0]))
		b.WriteByte(',')
		b.WriteString(fmtPx(p[1]))
	}
	c.Els = append(c.Els, svgEl{Kind: "polygon", Points: b.String(), Class: class})
}
