package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/chart"
)

// maxLiveRows bounds the liveness plot to the strips a reader can compare;
// the worst are kept.
const maxLiveRows = 12

// Liveness strip geometry, in pixels: each row holds a thin band for the
// service's polling above a taller strip for what the sampler read.
const (
	liveRowH     = 20
	liveBandY    = 3
	liveBandH    = 3
	liveStripY   = 8
	liveStripH   = 10
	liveFaultPad = 14 // room for the fault labels above the first strip
)

// liveState is what one read of last_seen_live says, judged the way
// no_false_liveness judges it. Higher is worse: a pixel that has to stand
// for several reads shows the worst.
type liveState int

const (
	liveNull   liveState = iota // last_seen_live was NULL
	liveOff                     // read not live
	liveOn                      // read live while its own workers polled
	liveLate                    // read live while silent, after the run's end: not judged
	liveSilent                  // read live while silent, within the allowance
	liveFalse                   // read live while silent past the allowance: no_false_liveness fails
)

// class is the read's class on the chart; paint is how no_false_liveness's
// violations are drawn (red, or amber when the scenario expects them).
func (s liveState) class(paint string) string {
	switch s {
	case liveNull:
		return "live-null"
	case liveOff:
		return "live-off"
	case liveOn:
		return "live-on"
	case liveFalse:
		return "live-false " + paint
	case liveLate:
		return "live-late"
	}
	return "live-silent"
}

// liveRun is consecutive reads of one service in one state.
type liveRun struct {
	from, to  time.Duration
	state     liveState
	maxSilent time.Duration // the longest silence among its reads
}

// liveRow is one service's strip.
type liveRow struct {
	id         int64
	key        string
	listed     bool // in h.Services
	runs       []liveRun
	polled     []history.Interval // with the poll gap, merged
	liveSilent time.Duration      // read live while silent, judged reads
	falseLive  time.Duration      // of which past the allowance
}

// livenessChart draws one strip per service over model time: when its own
// workers polled it, and what the sampler read of last_seen_live, coloured
// by no_false_liveness's rule: a service silent (none of its own workers
// polling, past the poll gap) for longer than its allowance (offline_after
// plus what the checks as they ran took: verify.FalseLivenessAfter) must not
// read live. Silence comes from verify.SilentFor, so the red here (amber,
// paint, when the scenario expects the failure) is exactly what the verdict
// counts.
func livenessChart(h *history.History, left float64, paint string) *chart.Chart {
	limit := verify.FalseLivenessAfter(*h)
	silentFor := verify.SilentFor(*h)
	end := runEnd(h)

	bySvc := make(map[int64][]history.Sample)
	for _, s := range h.Samples {
		bySvc[s.ServiceID] = append(bySvc[s.ServiceID], s)
	}
	rows := make(map[int64]*liveRow)
	var ids []int64
	row := func(id int64) *liveRow {
		if r, ok := rows[id]; ok {
			return r
		}
		r := &liveRow{id: id}
		rows[id] = r
		ids = append(ids, id)
		return r
	}
	for _, svc := range h.Services {
		r := row(svc.ID)
		r.listed, r.key = true, svc.Key
		for _, iv := range svc.Polled {
			r.polled = append(r.polled, history.Interval{From: iv.From, To: iv.To + h.MaxPollGap})
		}
	}
	var totalSilent, totalFalse time.Duration
	late := false // a read live while silent after the run's end
	for id, ss := range bySvc {
		r := row(id)
		slices.SortStableFunc(ss, func(a, b history.Sample) int { return cmp.Compare(a.At, b.At) })
		w := sampleWidth(h.SampleEvery, ss)
		for _, s := range ss {
			st, silent := liveStateOf(s, silentFor(id, s.At), limit, h.Duration)
			switch st {
			case liveLate:
				late = true
			case liveSilent:
				r.liveSilent += w
			case liveFalse:
				r.liveSilent += w
				r.falseLive += w
			}
			r.runs = addLiveRead(r.runs, s.At, w, st, silent)
		}
		totalSilent += r.liveSilent
		totalFalse += r.falseLive
	}
	for _, r := range rows {
		r.polled = mergeIntervals(r.polled)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		ra, rb := rows[a], rows[b]
		if c := cmp.Compare(rb.falseLive, ra.falseLive); c != 0 {
			return c
		}
		if c := cmp.Compare(rb.liveSilent, ra.liveSilent); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if len(h.Samples) == 0 {
		ids = nil // nothing was read: polling alone says nothing about liveness
	}
	shown := ids[:min(len(ids), maxLiveRows)]

	pad := 0.0
	if len(h.Faults) > 0 {
		pad = liveFaultPad
	}
	c := chart.New("liveness", "liveness over time (last_seen_live)", plotWidth, 0)
	c.Left = left
	c.Right = plotRight
	c.Height = c.Top + pad + float64(max(len(shown), 1)*liveRowH) + c.Bottom
	c.SetRange(0, end, 0, 1)
	shadeFaults(c, h.Faults)
	markEvents(c, h.Events)

	allowance := modelDuration(sec(limit))
	for i, id := range shown {
		r := rows[id]
		y := c.Top + pad + float64(i*liveRowH)
		for _, iv := range r.polled {
			x0, x1 := c.Px(sec(iv.From)), c.Px(sec(iv.To))
			tip := fmt.Sprintf("service %d, %s–%s: its own workers polling", id, timeLabel(sec(iv.From)), timeLabel(min(sec(iv.To), end)))
			c.RectPx(x0, y+liveBandY, max(x1-x0, 1), liveBandH, "live-polled", "", tip)
		}
		for _, d := range compactLiveRuns(c, r.runs) {
			tip := fmt.Sprintf("service %d, %s–%s: ", id, timeLabel(sec(d.from)), timeLabel(min(sec(d.to), end)))
			if d.runs > 1 {
				tip += fmt.Sprintf("%d changes too close to tell apart at this scale; worst: ", d.runs)
			}
			tip += liveStateText(d.liveRun, allowance)
			c.RectPx(d.x0, y+liveStripY, max(d.x1-d.x0, 1), liveStripH, d.state.class(paint), "", tip)
		}

		tip := fmt.Sprintf("service %d", id)
		if r.key != "" {
			tip += " (" + r.key + ")"
		}
		if !r.listed {
			tip += " (not among the run's services, so counted as never polled)"
		}
		tip += fmt.Sprintf(": read live while silent for %s, %s of it past the %s allowance", modelDuration(sec(r.liveSilent)), modelDuration(sec(r.falseLive)), allowance)
		mid := y + liveStripY + liveStripH/2
		c.TextPx(c.Left-6, mid+4, fmt.Sprintf("svc %d", id), "end", "key-label", tip)
		value, class := "0", "value"
		if r.liveSilent > 0 {
			value = modelDuration(sec(r.liveSilent))
		}
		if r.falseLive > 0 {
			class = "value " + paint
		}
		c.TextPx(c.Left+c.PlotW()+8, mid+4, value, "start", class, tip)
	}
	if len(shown) == 0 {
		// Every sample names a service, so only a run without samples gets here.
		c.TextPx(c.Left+c.PlotW()/2, c.Top+pad+liveRowH/2+4, "no samples were recorded", "middle", "empty", "")
	}
	c.XAxis(chart.TimeTicks(0, end, 12), timeLabel, "model time")

	rule := fmt.Sprintf("a service silent for longer than offline_after plus the offline check's delay = %s must not read live", allowance)
	if len(shown) == 0 {
		c.Caption = "No reads of last_seen_live were recorded, so liveness cannot be shown (no_false_liveness: " + rule + "). "
	} else {
		every := ""
		if h.SampleEvery > 0 {
			every = " (every " + modelDuration(sec(h.SampleEvery)) + ")"
		}
		c.Caption = fmt.Sprintf("One strip per service, one cell per read of last_seen_live%s: green read live, grey offline, pale NULL; the thin blue band above is when its own workers were polling, to the last poll plus the %s max poll gap. ",
			every, modelDuration(sec(h.MaxPollGap)))
		c.Caption += fmt.Sprintf("Teal: read live while silent, still within the allowance; %s: read live while silent past it, which fails no_false_liveness (%s). ",
			strings.ToLower(paintWord(paint)), rule)
		if late {
			c.Caption += "Reads after the run's end (a drain) are not judged: read live while silent, they are dark grey. "
		}
		c.Caption += fmt.Sprintf("Read live while silent: %s in all, %s of it past the allowance (each service's on its right). ",
			modelDuration(sec(totalSilent)), modelDuration(sec(totalFalse)))
		if len(ids) > len(shown) {
			c.Caption += fmt.Sprintf("Showing the %d worst of %d services (most time read live while silent past the allowance, then in all). ", len(shown), len(ids))
		} else {
			c.Caption += fmt.Sprintf("Showing all %d services, worst first. ", len(shown))
		}
	}
	c.Caption += eventCaption(h.Events)
	if len(h.Faults) > 0 {
		c.Caption += faultCaption
	}
	return c
}

// liveStateOf classifies one read, with the silence it was judged at.
func liveStateOf(s history.Sample, silent, limit, runEnd time.Duration) (liveState, time.Duration) {
	switch {
	case s.LiveNull:
		return liveNull, silent
	case !s.Live:
		return liveOff, silent
	case silent <= 0:
		return liveOn, 0
	case s.At > runEnd:
		return liveLate, silent
	case silent > limit:
		return liveFalse, silent
	}
	return liveSilent, silent
}

func liveStateText(r liveRun, allowance string) string {
	switch r.state {
	case liveNull:
		return "last_seen_live NULL"
	case liveOff:
		return "read offline"
	case liveOn:
		return "read live"
	case liveLate:
		return "read live while silent, after the run's end (not judged)"
	case liveSilent:
		return fmt.Sprintf("read live while silent for up to %s, within the %s allowance", modelDuration(sec(r.maxSilent)), allowance)
	}
	return fmt.Sprintf("read live while silent for up to %s, past the %s allowance: no_false_liveness fails", modelDuration(sec(r.maxSilent)), allowance)
}

// sampleWidth is the model time one read stands for: the sampler's period,
// or when the history does not say, the closest two reads of the service.
func sampleWidth(every time.Duration, sorted []history.Sample) time.Duration {
	if every > 0 {
		return every
	}
	var w time.Duration
	for i := 1; i < len(sorted); i++ {
		if d := sorted[i].At - sorted[i-1].At; d > 0 && (w == 0 || d < w) {
			w = d
		}
	}
	return w
}

// addLiveRead extends the last run with a read in the same state that
// follows it without a gap (a missed read breaks the strip), or starts a new
// run.
func addLiveRead(runs []liveRun, at, w time.Duration, st liveState, silent time.Duration) []liveRun {
	if n := len(runs); n > 0 {
		last := &runs[n-1]
		if last.state == st && at <= last.to+w/2 {
			last.to = max(last.to, at+w)
			last.maxSilent = max(last.maxSilent, silent)
			return runs
		}
	}
	return append(runs, liveRun{from: at, to: at + w, state: st, maxSilent: silent})
}

// mergeIntervals sorts intervals and joins those that overlap or touch.
func mergeIntervals(ivs []history.Interval) []history.Interval {
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b history.Interval) int { return cmp.Compare(a.From, b.From) })
	var out []history.Interval
	for _, iv := range ivs {
		if iv.To <= iv.From {
			continue
		}
		if n := len(out); n > 0 && iv.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, iv.To)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// liveRect is a run as drawn: runs narrower than a pixel that follow each
// other are drawn as one rectangle of up to two pixels, in the worst state
// among them, so that a flapping service cannot blow up the page.
type liveRect struct {
	liveRun
	x0, x1 float64
	runs   int
	narrow bool
}

func compactLiveRuns(c *chart.Chart, runs []liveRun) []liveRect {
	var out []liveRect
	for _, r := range runs {
		x0, x1 := c.Px(sec(r.from)), c.Px(sec(r.to))
		narrow := x1-x0 < 1
		if n := len(out); narrow && n > 0 {
			last := &out[n-1]
			if last.narrow && last.x1-last.x0 < 2 && x0-last.x1 < 0.5 {
				last.x1, last.to, last.runs = max(last.x1, x1), max(last.to, r.to), last.runs+1
				if r.state > last.state {
					last.state = r.state
				}
				last.maxSilent = max(last.maxSilent, r.maxSilent)
				continue
			}
		}
		out = append(out, liveRect{liveRun: r, x0: x0, x1: x1, runs: 1, narrow: narrow})
	}
	return out
}
