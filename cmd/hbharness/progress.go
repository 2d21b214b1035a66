package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/hbharness/hbharness/harness/runner"
)

// plainEvery is how often a run not shown on a terminal prints a line:
// often enough that a CI log shows it is alive, seldom enough to read.
const plainEvery = 10 * time.Second

// progressView shows one run's progress while it goes on. update is called
// from the runner's progress goroutine, one call at a time; logs is where
// -v shows log lines while the view is up; finish takes the view down
// once the run has returned.
type progressView interface {
	update(runner.Progress)
	logs() io.Writer
	finish()
}

// isTerminal says whether w is a terminal, by mpb's own test, so the live
// line is drawn exactly where mpb would draw it.
func isTerminal(w io.Writer) bool { return cupwriter.New(w, false).IsTerminal() }

// colourOn says whether verdicts printed to w are painted: on a terminal,
// unless NO_COLOR is set (no-color.org).
func colourOn(w io.Writer) bool { return isTerminal(w) && os.Getenv("NO_COLOR") == "" }

// newProgressView picks the live line on a terminal, plain lines elsewhere.
// A live line that completes stays on the screen when keep is set; a suite
// replaces it with its one line per run.
func newProgressView(w io.Writer, name string, keep bool) progressView {
	if isTerminal(w) {
		return newLiveView(w, name, keep)
	}
	return &plainView{w: w, name: name, every: plainEvery, now: time.Now}
}

// plainView prints one line every `every` of wall time: nothing that
// redraws, so a log file reads top to bottom.
type plainView struct {
	w     io.Writer
	name  string
	every time.Duration
	now   func() time.Time

	last time.Time
	prev runner.Progress
}

func (v *plainView) update(p runner.Progress) {
	now := v.now()
	switch {
	case v.last.IsZero():
		v.last, v.prev = now, p
	case now.Sub(v.last) >= v.every:
		fmt.Fprintf(v.w, "%s  %s\n", v.name, figures(p, rate(v.prev, p)))
		v.last, v.prev = now, p
	}
}

func (v *plainView) logs() io.Writer { return v.w }
func (v *plainView) finish()         {}

// liveView is one mpb bar over the run's model time, its figures after it.
// mpb rather than progressbar/v3: mpb prints writes to its container above
// the bar while it redraws (Progress.Write), so -v logs and the live line
// share stderr without tearing each other, and a finished bar stays on the
// screen as the run's last state; progressbar draws one bar and has no safe
// way to print above it.
type liveView struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	text atomic.Pointer[string]

	total           time.Duration
	done            bool
	rateFrom        runner.Progress
	rateAt, started time.Time
	rps             float64
}

func newLiveView(w io.Writer, name string, keep bool) *liveView {
	v := &liveView{p: mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(200*time.Millisecond))}
	empty := "starting"
	v.text.Store(&empty)
	// Total 0: the bar completes only when finish says so, whatever
	// SetTotal later puts on its scale.
	v.bar = v.p.New(0, mpb.BarStyle().Lbound("[").Rbound("]"),
		mpb.BarWidth(24),
		mpb.BarOptional(mpb.BarRemoveOnComplete(), !keep),
		mpb.PrependDecorators(decor.Name(name+" ")),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return " " + *v.text.Load() })))
	return v
}

func (v *liveView) update(p runner.Progress) {
	now := time.Now()
	if v.started.IsZero() {
		v.started, v.rateAt, v.rateFrom = now, now, p
		v.total = p.Duration
		v.bar.SetTotal(max(int64(p.Duration/time.Millisecond), 1), false)
	}
	// A rate over a second or more of wall time, so it does not flicker.
	if now.Sub(v.rateAt) >= time.Second || p.Done {
		v.rps = rate(v.rateFrom, p)
		v.rateFrom, v.rateAt = p, now
	}
	text := figures(p, v.rps)
	v.text.Store(&text)
	v.bar.SetCurrent(int64(p.Elapsed / time.Millisecond))
	v.done = p.Done && p.Elapsed >= p.Duration
}

func (v *liveView) logs() io.Writer { return v.p }

func (v *liveView) finish() {
	if v.done {
		v.bar.SetTotal(-1, true)
	} else {
		// Interrupted: keep the line as it stood. A run refused before it
		// started has nothing to show.
		v.bar.Abort(v.started.IsZero())
	}
	v.p.Wait()
}

// rate is requests per model second between two reports.
func rate(from, to runner.Progress) float64 {
	dt := (to.Elapsed - from.Elapsed).Seconds()
	if dt <= 0 || to.Requests < from.Requests {
		return 0
	}
	return float64(to.Requests-from.Requests) / dt
}

// figures is the status line: model time, request rate (per model second,
// as the summary counts it), the target's dispatches and writes, the worst
// staleness so far, late sends and the faults under way.
func figures(p runner.Progress, rps float64) string {
	parts := []string{
		fmt.Sprintf("model %s/%s", p.Elapsed.Round(time.Second), p.Duration.Round(time.Second)),
		fmt.Sprintf("%.0f req/s (model)", rps),
	}
	if p.Dispatches >= 0 {
		parts = append(parts, fmt.Sprintf("%d dispatches", p.Dispatches))
	}
	if p.Writes >= 0 {
		parts = append(parts, fmt.Sprintf("%d writes", p.Writes))
	}
	if p.WorstStaleness >= 0 {
		parts = append(parts, fmt.Sprintf("worst staleness %.1f s", p.WorstStaleness.Seconds()))
	} else {
		parts = append(parts, "worst staleness -")
	}
	parts = append(parts, fmt.Sprintf("%d late", p.Late))
	if len(p.Faults) > 0 {
		parts = append(parts, "faults: "+strings.Join(p.Faults, ", "))
	} else {
		parts = append(parts, "no fault")
	}
	return strings.Join(parts, " · ")
}
