package reports

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// column is one strategy of a comparison (one run name) with every run of
// it, in the order they ran.
type column struct {
	Name   string
	Runs   []summary.Summary
	usable []summary.Summary
}

// usableRun says whether a run measured its target: a saturated,
// unusable or interrupted one is inconclusive and left out of the numbers.
func usableRun(s summary.Summary) bool {
	return s.Unusable == "" && !s.LoadGenerator.Saturated && !s.Interrupted
}

// comparisonColumns checks that the runs compare like with like and groups
// them by strategy (and label), in the order the strategies first ran:
// repeats of one strategy are one column.
func comparisonColumns(runs []summary.Summary) ([]*column, error) {
	if len(runs) == 0 {
		return nil, errors.New("compare: no runs to compare; pass at least one strategy")
	}
	var cols []*column
	for _, s := range runs {
		if s.Scenario != runs[0].Scenario {
			return nil, fmt.Errorf("compare: runs are of different scenarios (%q and %q); compare one scenario across strategies", runs[0].Scenario, s.Scenario)
		}
		i := slices.IndexFunc(cols, func(c *column) bool { return c.Name == s.RunName() })
		if i < 0 {
			cols = append(cols, &column{Name: s.RunName()})
			i = len(cols) - 1
		}
		cols[i].Runs = append(cols[i].Runs, s)
		if usableRun(s) {
			cols[i].usable = append(cols[i].usable, s)
		}
	}
	return cols, nil
}

// Spread is one metric of one strategy over its usable runs.
type Spread struct {
	Metric string  `json:"metric"`
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Best marks the lowest median of a metric that has a worse direction;
	// WithinNoise, a strategy whose difference from the best is not shown
	// to be real (see within).
	Best        bool `json:"best"`
	WithinNoise bool `json:"within_noise"`
}

// StrategyAggregate is one strategy's numbers in compare.json.
type StrategyAggregate struct {
	Strategy string   `json:"strategy"`
	Runs     int      `json:"runs"`
	Usable   int      `json:"usable"`
	Metrics  []Spread `json:"metrics"`
}

// aggregate computes every metric's spread per column and marks the best
// and what is within noise of it. A metric a column did not measure is
// left out of that column.
func aggregate(cols []*column) []StrategyAggregate {
	out := make([]StrategyAggregate, len(cols))
	for i, c := range cols {
		out[i] = StrategyAggregate{Strategy: c.Name, Runs: len(c.Runs), Usable: len(c.usable), Metrics: []Spread{}}
	}
	for _, m := range metric.All() {
		spreads := make([]*Spread, len(cols))
		for i, c := range cols {
			var vs []float64
			for _, s := range c.usable {
				if v, ok := m.Value(s); ok {
					vs = append(vs, v)
				}
			}
			if len(vs) == 0 {
				continue
			}
			slices.Sort(vs)
			spreads[i] = &Spread{Metric: m.Name, N: len(vs), Median: metric.Median(vs), Min: vs[0], Max: vs[len(vs)-1]}
		}
		markBest(m, spreads)
		for i, sp := range spreads {
			if sp != nil {
				out[i].Metrics = append(out[i].Metrics, *sp)
			}
		}
	}
	return out
}

// markBest marks the lowest median, and every other strategy within noise
// of it, for a metric where lower is better.
func markBest(m metric.Metric, spreads []*Spread) {
	if m.Worse == metric.Neutral {
		return
	}
	var best *Spread
	for _, sp := range spreads {
		if sp != nil && (best == nil || sp.Median < best.Median) {
			best = sp
		}
	}
	if best == nil {
		return
	}
	best.Best = true
	for _, sp := range spreads {
		if sp != nil && sp != best {
			sp.WithinNoise = within(m, *sp, *best)
		}
	}
}

// within says a strategy's difference from the best is noise: their
// min–max ranges overlap, or the gap between the ranges is below the
// metric's floor (the resolution it is measured to). With one run each the
// ranges are points, so only the floor can say so.
func within(m metric.Metric, sp, best Spread) bool {
	return sp.Min <= best.Max || sp.Min-best.Max < m.Floor
}

// spreadOf finds a metric in an aggregate.
func (a StrategyAggregate) spreadOf(name string) (Spread, bool) {
	i := slices.IndexFunc(a.Metrics, func(s Spread) bool { return s.Metric == name })
	if i < 0 {
		return Spread{}, false
	}
	return a.Metrics[i], true
}

// repeated says whether any strategy has more than one usable run: only
// then do ranges say anything about noise.
func repeated(cols []*column) bool {
	for _, c := range cols {
		if len(c.usable) > 1 {
			return true
		}
	}
	return false
}
