package summary

// BaselineCheck is a run held against its baseline, as summary.json
// carries it.
type BaselineCheck struct {
	Source string `json:"source"`
	// Against names the baseline runs' strategy; Runs counts them (0: the
	// baseline held no run of this scenario, and nothing was checked).
	Against   string        `json:"against"`
	Runs      int           `json:"runs"`
	TimeScale float64       `json:"time_scale"`
	Limits    string        `json:"max_regression"`
	Metrics   []MetricCheck `json:"metrics"`
	Notes     []string      `json:"notes"`
}

// MetricCheck is one metric of a run beside its baseline.
type MetricCheck struct {
	Metric string `json:"metric"`
	// Baseline is the baseline runs' median; BaselineMin and BaselineMax
	// their range (equal for a single run).
	Baseline    float64 `json:"baseline"`
	BaselineMin float64 `json:"baseline_min"`
	BaselineMax float64 `json:"baseline_max"`
	Now         float64 `json:"now"`
	// Limit is the highest value that is not a regression; LimitBy says
	// which rule set it: "+N%", "floor" or "spread".
	Limit     float64 `json:"limit"`
	LimitBy   string  `json:"limit_by"`
	Regressed bool    `json:"regressed"`
	// NotJudged says why a measured metric was not held to its limit: a
	// wall-clock latency on a machine busier than the baseline's.
	NotJudged string `json:"not_judged,omitempty"`
}

// Regressions lists the metrics that got worse beyond their limit.
func (c *BaselineCheck) Regressions() []MetricCheck {
	if c == nil {
		return nil
	}
	var out []MetricCheck
	for _, m := range c.Metrics {
		if m.Regressed {
			out = append(out, m)
		}
	}
	return out
}
