// Package metric defines, once, every number read out of a summary that
// runs are compared by: baselines (--baseline), comparisons (compare
// --repeat) and trends; and how each is printed.
package metric

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// Direction says which way a metric gets worse.
type Direction int

const (
	// HigherIsWorse is every cost: latency, load on the database, staleness.
	HigherIsWorse Direction = iota
	// Neutral metrics describe the load given, not how it was served: more
	// or fewer is neither better nor worse.
	Neutral
)

// Metric is one number read out of a summary, compared across runs by
// baselines (--baseline), comparisons (compare --repeat) and trends
// (trend). Every such number is defined here once.
type Metric struct {
	// Name is how flags name it (--max-regression p99=25%, --metrics p99).
	Name  string
	Label string
	Unit  string
	Prec  int
	Worse Direction
	// Checked metrics are held against a baseline unless --max-regression
	// names others too.
	Checked bool
	// Floor is the smallest rise, in Unit, that may count as a regression:
	// below it a change is the measurement's own resolution or the
	// machine's noise, however large it is in percent (0 → 0.1 is not an
	// infinite regression).
	Floor float64
	// FloorWhy says where the floor comes from, for the reader of a
	// regression.
	FloorWhy string
	// WallClock metrics are timed on this machine's own clock, so a busier
	// machine moves them with no change in the target: a baseline holds
	// them only against a run whose load generator kept its schedule about
	// as well as the baseline's did (see regression.Baseline.Check).
	WallClock bool
	// JudgedBy names the invariants that judge this metric: a comparison
	// colours it red where one of them failed.
	JudgedBy []string
	// Value reads the metric; false when the run did not measure it (no
	// faults, so no recovery; no keys, so nothing per key).
	Value func(summary.Summary) (float64, bool)
}

// All lists every metric in report order. The five Checked ones are
// issue 10's regression gate.
func All() []Metric {
	return []Metric{
		{Name: "p99", Label: "p99 latency", Unit: "ms", Prec: 2, Checked: true, WallClock: true,
			Floor: 5, FloorWhy: "a 2-core machine's scheduling noise on a request is a few ms",
			Value: func(s summary.Summary) (float64, bool) { return s.Requests.P99MS, s.Requests.Total > 0 }},
		{Name: "writes", Label: "db writes / key / window", Unit: "", Prec: 3, Checked: true,
			Floor: 0.1, FloorWhy: "one more write per key in a run of 10 windows",
			Value: func(s summary.Summary) (float64, bool) { return perKeyPerWindow(s, s.DBWritesTotal) }},
		{Name: "dispatches", Label: "dispatches / key / window", Unit: "", Prec: 3, Checked: true,
			Floor: 0.1, FloorWhy: "one more dispatch per key in a run of 10 windows",
			JudgedBy: []string{verify.AtMostOnePerWindow, verify.RateNearExpected},
			Value:    func(s summary.Summary) (float64, bool) { return perKeyPerWindow(s, s.DispatchesTotal) }},
		{Name: "staleness", Label: "worst staleness", Unit: "s", Prec: 2, Checked: true,
			Floor: 1, FloorWhy: "staleness is known to one sample period (1 s by default)",
			JudgedBy: []string{verify.LastSeenNeverStale},
			Value:    func(s summary.Summary) (float64, bool) { return s.MaxStalenessS, len(s.Services) > 0 }},
		{Name: "recovery", Label: "worst recovery", Unit: "s", Prec: 1, Checked: true,
			Floor: 5, FloorWhy: "recovery waits for the next poll, 5 s apart by default",
			JudgedBy: []string{verify.RecoversAfterFault},
			Value:    worstRecovery},
		{Name: "p50", Label: "p50 latency", Unit: "ms", Prec: 2, WallClock: true,
			Floor: 2, FloorWhy: "a 2-core machine's scheduling noise on a request is a few ms",
			Value: func(s summary.Summary) (float64, bool) { return s.Requests.P50MS, s.Requests.Total > 0 }},
		{Name: "errors", Label: "request errors", Unit: "%", Prec: 3,
			Floor: 0.1, FloorWhy: "one request in a thousand",
			JudgedBy: []string{verify.RequestsSucceed},
			Value: func(s summary.Summary) (float64, bool) {
				if s.Requests.Total == 0 {
					return 0, false
				}
				return 100 * float64(s.Requests.Errors) / float64(s.Requests.Total), true
			}},
		{Name: "rps", Label: "requests / s (model)", Unit: "", Prec: 1, Worse: Neutral,
			Value: func(s summary.Summary) (float64, bool) { return s.Requests.RPSModel, s.Requests.Total > 0 }},
	}
}

// Names lists the metrics' names, for flag help and errors.
func Names() []string {
	var names []string
	for _, m := range All() {
		names = append(names, m.Name)
	}
	return names
}

// Named finds a metric by name, or says which names there are.
func Named(name string) (Metric, error) {
	ms := All()
	i := slices.IndexFunc(ms, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, fmt.Errorf("no metric %q: the metrics are %s", name, strings.Join(Names(), ", "))
	}
	return ms[i], nil
}

// Format prints a value of the metric with its unit.
func (m Metric) Format(v float64) string {
	if m.Unit == "" {
		return Num(v, m.Prec)
	}
	if m.Unit == "%" {
		return Num(v, m.Prec) + "%"
	}
	return Num(v, m.Prec) + " " + m.Unit
}

// perKeyPerWindow is a count spread over the gate keys and the run's
// throttle windows: about 1 when the gate does its job, whatever the
// scenario's size and length.
//
// The windows are those each key was polled through (its expected maximum
// less the one a window boundary may add), not the run's length times the
// number of keys: a key polled for a moment (an active worker's one list
// call) would otherwise count as a whole run of windows in one run and be
// absent from the next, and halve the figure between two runs of the same
// target. Summaries without expectations fall back to the run's length.
func perKeyPerWindow(s summary.Summary, n int) (float64, bool) {
	if len(s.Keys) == 0 || s.ThrottleS <= 0 || s.ModelDurationS <= 0 {
		return 0, false
	}
	windows := 0
	for _, k := range s.Keys {
		// The ceiling is ceil(active / throttle) + 1; a key polled once
		// (a list between rounds of work) has ceiling 1 and may still
		// open one window, which counts.
		if k.ExpectedMax > 0 {
			windows += max(1, k.ExpectedMax-1)
		}
	}
	if windows == 0 {
		return float64(n) / float64(len(s.Keys)) / (s.ModelDurationS / s.ThrottleS), true
	}
	return float64(n) / float64(windows), true
}

// worstRecovery is the slowest recovery among the faults that were got
// over; a fault never got over is recovers_after_fault's to judge.
func worstRecovery(s summary.Summary) (float64, bool) {
	worst, any := 0.0, false
	for _, f := range s.Faults {
		if f.RecoveryS != nil {
			worst, any = max(worst, *f.RecoveryS), true
		}
	}
	return worst, any
}

// Checked are the metrics a baseline checks unless --max-regression names
// others, and what a trend shows unless told.
func Checked() []Metric {
	var out []Metric
	for _, m := range All() {
		if m.Checked {
			out = append(out, m)
		}
	}
	return out
}

// Parse reads a comma-separated list of metric names.
func Parse(s string) ([]Metric, error) {
	var out []Metric
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		m, err := Named(name)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(out, func(o Metric) bool { return o.Name == m.Name }) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no metrics named: give some of %s", strings.Join(Names(), ", "))
	}
	return out, nil
}

// Num prints a measurement with at most `prec` decimals and no trailing zeros.
func Num(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Median of sorted values: what a baseline and a comparison of repeated
// runs take as a metric's value.
func Median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
