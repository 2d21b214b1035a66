// Package regression holds a run against a baseline of past runs: which
// metrics got worse, beyond what limits, and which could not be judged on a
// busier machine. It is the one place that judges a run against another.
package regression

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// Baseline is a set of past runs a new run is held against: one summary,
// or every summary of a run, suite or compare folder.
type Baseline struct {
	Source string
	runs   []summary.Summary
	// Skipped counts runs left out because they proved nothing
	// (unusable, saturated, interrupted): no reference for anything.
	Skipped int
}

// NewBaseline keeps the runs that can serve as a reference. It fails when
// none can, since a baseline that holds nothing would pass every run.
func NewBaseline(source string, runs []summary.Summary) (*Baseline, error) {
	b := &Baseline{Source: source}
	for _, s := range runs {
		if s.Unusable != "" || s.LoadGenerator.Saturated || s.Interrupted {
			b.Skipped++
			continue
		}
		b.runs = append(b.runs, s)
	}
	if len(b.runs) == 0 {
		if b.Skipped > 0 {
			return nil, fmt.Errorf("baseline %s: its %d run(s) were unusable, saturated or interrupted, so they measure nothing to hold a run against", source, b.Skipped)
		}
		return nil, errors.New("baseline " + source + ": no summary.json in it")
	}
	return b, nil
}

// Holds lists the runs the baseline holds, as scenario/strategy[label].
func (b *Baseline) Holds() []string {
	var out []string
	for _, s := range b.runs {
		if n := s.Scenario + "/" + s.RunName(); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Match finds the baseline runs for a run: those of the same scenario,
// strategy and label (several when the baseline repeated them). Failing
// that, when the baseline holds the scenario under one strategy only, those
// runs, and a note that says so: a baseline of two-tier read against a run
// of view-gate is a deliberate question. Nil when nothing fits.
func (b *Baseline) Match(scenario, strategy, label string) ([]summary.Summary, string) {
	var same, scen []summary.Summary
	for _, s := range b.runs {
		if s.Scenario != scenario {
			continue
		}
		scen = append(scen, s)
		if s.Strategy == strategy && s.Label == label {
			same = append(same, s)
		}
	}
	if len(same) > 0 {
		return same, ""
	}
	if len(scen) == 0 {
		return nil, ""
	}
	other := scen[0].RunName()
	for _, s := range scen {
		if s.RunName() != other {
			return nil, ""
		}
	}
	this := summary.Summary{Strategy: strategy, Label: label}.RunName()
	return scen, fmt.Sprintf("held against %s: the baseline holds %s only as %s, not as %s", other, scenario, other, this)
}

// busierLag and busierLate say how much worse than the baseline's the load
// generator may have kept its schedule before wall-clock latencies stop
// being comparable. Its p99 lag: twice the baseline's worst, and at least
// 5 ms more (a quiet 2-core machine keeps it at 1–4 ms from run to run, two
// CPU hogs push it to 30–150 ms). Its late sends, for bursty scenarios whose
// lag p99 is the burst itself (1,000 workers in lockstep read ~96 ms quiet):
// three times the baseline's worst share of requests, and at least 0.05 points
// more (quiet: 2–4 late in 31,612; beside two hogs: 54).
const (
	busierLag  = 5.0    // ms
	busierLate = 0.0005 // share of requests
)

// busier says whether run s's machine was busier than the baseline runs',
// judged by the one clock-independent witness both carry: how late the load
// generator sent what it had scheduled.
func busier(s summary.Summary, runs []summary.Summary) (bool, string) {
	baseLag, baseLate := 0.0, 0.0
	for _, r := range runs {
		baseLag = max(baseLag, r.LoadGenerator.ScheduleLagP99MS)
		baseLate = max(baseLate, lateShare(r))
	}
	lag, late := s.LoadGenerator.ScheduleLagP99MS, lateShare(s)
	const tail = ": this machine was busier, and wall-clock latency would measure that, not the target"
	switch {
	case lag > max(2*baseLag, baseLag+busierLag):
		return true, fmt.Sprintf("the load generator's schedule lag p99 was %s ms, against at most %s ms in the baseline%s",
			metric.Num(lag, 2), metric.Num(baseLag, 2), tail)
	case late > max(3*baseLate, baseLate+busierLate):
		return true, fmt.Sprintf("the load generator sent %s%% of its requests late, against at most %s%% in the baseline%s",
			metric.Num(100*late, 3), metric.Num(100*baseLate, 3), tail)
	}
	return false, ""
}

// lateShare is the share of a run's requests its generator sent late.
func lateShare(s summary.Summary) float64 {
	if s.Requests.Total == 0 {
		return 0
	}
	return float64(s.LoadGenerator.LateSends) / float64(s.Requests.Total)
}

// Check holds s against the baseline under the limits. A metric regresses
// when it rose above the largest of:
//   - the baseline's median plus the allowed percentage;
//   - the median plus the metric's floor (Metric.Floor);
//   - with repeated baseline runs, their maximum plus their spread
//     (max − min): a rise the baseline's own runs show the machine makes
//     without any change is noise, whatever the percentage says.
//
// So a regression must be larger than the tolerance asked for, the
// measurement's resolution and the baseline's own noise, all three.
func (b *Baseline) Check(s summary.Summary, l Limits) *summary.BaselineCheck {
	c := &summary.BaselineCheck{Source: b.Source, Limits: l.String(), Metrics: []summary.MetricCheck{}, Notes: []string{}}
	runs, note := b.Match(s.Scenario, s.Strategy, s.Label)
	if len(runs) == 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("no baseline: %s holds no run of %s (it holds %s)", b.Source, s.Scenario, strings.Join(b.Holds(), ", ")))
		return c
	}
	c.Against, c.Runs, c.TimeScale = runs[0].RunName(), len(runs), runs[0].TimeScale
	if note != "" {
		c.Notes = append(c.Notes, note)
	}
	if c.TimeScale != s.TimeScale {
		c.Notes = append(c.Notes, fmt.Sprintf("the baseline ran at time scale %s, this run at %s: latency is wall time, and may differ by the scale alone",
			metric.Num(c.TimeScale, 4), metric.Num(s.TimeScale, 4)))
	}
	for _, m := range l.Metrics() {
		now, ok := m.Value(s)
		var base []float64
		for _, r := range runs {
			if v, ok := m.Value(r); ok {
				base = append(base, v)
			}
		}
		switch {
		case !ok && len(base) > 0:
			c.Notes = append(c.Notes, m.Name+": the baseline measured it, this run did not")
			continue
		case !ok:
			continue // neither measured it: nothing to say (no faults, no recovery)
		case len(base) == 0:
			c.Notes = append(c.Notes, m.Name+": not in the baseline, so not checked")
			continue
		}
		mc := checkMetric(m, base, now, l.Percent(m.Name))
		if m.WallClock {
			if busy, why := busier(s, runs); busy {
				mc.Regressed, mc.NotJudged = false, why
				c.Notes = append(c.Notes, m.Name+": not judged: "+why)
			}
		}
		c.Metrics = append(c.Metrics, mc)
	}
	return c
}

func checkMetric(m metric.Metric, base []float64, now, pct float64) summary.MetricCheck {
	slices.Sort(base)
	mc := summary.MetricCheck{Metric: m.Name, Baseline: metric.Median(base), BaselineMin: base[0], BaselineMax: base[len(base)-1], Now: now}
	mc.Limit, mc.LimitBy = mc.Baseline*(1+pct/100), "+"+metric.Num(pct, 3)+"%"
	if f := mc.Baseline + m.Floor; f > mc.Limit {
		mc.Limit, mc.LimitBy = f, "floor"
	}
	if len(base) > 1 {
		if sp := mc.BaselineMax + (mc.BaselineMax - mc.BaselineMin); sp > mc.Limit {
			mc.Limit, mc.LimitBy = sp, "spread"
		}
	}
	// A hair of slack keeps a value printed equal to its limit from failing
	// on float rounding.
	mc.Regressed = now > mc.Limit*(1+1e-9)+1e-12
	return mc
}
