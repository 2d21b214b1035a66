package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
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
	return "services " + g.idList()
}

// label is the legend's: short enough for the right margin.
func (g staleGroup) label() string {
	switch {
	case len(g.ids) == 1:
		return fmt.Sprintf("svc %d", g.ids[0])
	case len(g.ids) <= 3:
		return "svc " + g.idList()
	}
	return fmt.Sprintf("svc %d +%d", slices.Min(g.ids), len(g.ids)-1)
}

// idList lists the group's services in id order.
func (g staleGroup) idList() string {
	ids := slices.Sorted(slices.Values(g.ids))
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ", ")
}

// groupSeries puts the services, stalest first, into at most maxGroups
// groups of coinciding lines; a service that matches none once the groups
// are full is hidden.
func groupSeries(c *chart.Chart, ids []int64, bySvc map[int64][]history.Sample, polledAt func(int64) func(time.Duration) bool, maxGroups int) ([]staleGroup, []int64) {
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
// each other: all but a few of the points of each lie within sameLinePx of
// the other's line. Distances are to the line, not between points, so that
// reads a pixel column apart still count as one line; and a few points may
// differ, so that services whose polling began a moment apart (a short
// dashed start on one of them) are still one line to the eye.
func sameLine(c *chart.Chart, a, b []staleSeg) bool {
	pa, pb := segmentsPx(c, a), segmentsPx(c, b)
	return mostlyNear(pa, pb) && mostlyNear(pb, pa)
}

// segmentsPx is a series' segments in pixels.
func segmentsPx(c *chart.Chart, segs []staleSeg) [][][2]float64 {
	out := make([][][2]float64, len(segs))
	for i, s := range segs {
		out[i] = c.ToPx(s.pts)
	}
	return out
}

// mostlyNear reports whether all but 2% (at least 2) of the points of a
// lie within sameLinePx of the lines b.
func mostlyNear(a, b [][][2]float64) bool {
	// Bucket b's pieces by the pixel columns they cross, so that each point
	// only measures the pieces around it.
	type piece struct{ p, q [2]float64 }
	cols := map[int][]piece{}
	for _, line := range b {
		if len(line) == 1 {
			line = [][2]float64{line[0], line[0]}
		}
		for k := 0; k+1 < len(line); k++ {
			pc := piece{line[k], line[k+1]}
			lo := int(math.Floor(min(pc.p[0], pc.q[0]) - sameLinePx))
			hi := int(math.Floor(max(pc.p[0], pc.q[0]) + sameLinePx))
			for x := lo; x <= hi; x++ {
				cols[x] = append(cols[x], pc)
			}
		}
	}
	points, far := 0, 0
	for _, line := range a {
		for _, p := range line {
			points++
			near := false
			for _, pc := range cols[int(math.Floor(p[0]))] {
				if chart.DistToLine(p, pc.p, pc.q) <= sameLinePx {
					near = true
					break
				}
			}
			if !near {
				far++
			}
		}
	}
	return far <= max(2, points/50)
}

// drawStaleEnvelope shades, per pixel column, the range of the hidden
// services' staleness while polled, so that services past the legend still
// show as a band behind the lines.
func drawStaleEnvelope(c *chart.Chart, hidden []int64, bySvc map[int64][]history.Sample, polledAt func(int64) func(time.Duration) bool) {
	type span struct{ lo, hi float64 }
	cols := map[int]span{}
	first, last := math.MaxInt, math.MinInt
	for _, id := range hidden {
		polled := polledAt(id)
		for _, s := range bySvc[id] {
			if s.Null || !polled(s.At) {
				continue
			}
			col := int(math.Floor(c.Px(sec(s.At))))
			v := sec(s.Fresh())
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
			c.Polygon(pts, "envelope")
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
		upper = append(upper, [2]float64{x, c.Py(sp.hi)})
		lower = append(lower, [2]float64{x, c.Py(sp.lo)})
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
