package regression

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/summary"
	"github.com/hbharness/hbharness/summary/summarytest"
)

func regressed(c *summary.BaselineCheck) []string {
	var out []string
	for _, m := range c.Regressions() {
		out = append(out, m.Metric)
	}
	return out
}

// A planted regression fails exactly the metrics that got worse beyond
// their limit, and the same run again fails none.
func TestBaselineFailsExactlyWhatGotWorse(t *testing.T) {
	base := summarytest.Steady("two-tier", 20, 33)
	base.LoadGenerator.ScheduleLagP99MS = 2
	worse := func(f func(*summary.Summary)) summary.Summary {
		s := summarytest.Steady("two-tier", 20, 33)
		s.LoadGenerator.ScheduleLagP99MS = 2
		f(&s)
		return s
	}
	slower := 30.0
	tests := []struct {
		name string
		run  summary.Summary
		lim  string
		want []string
	}{
		{"the same run", base, "", nil},
		{"p99 +50%", worse(func(s *summary.Summary) { s.Requests.P99MS = 30 }), "", []string{"p99"}},
		{"p99 +50% allowed by its own limit", worse(func(s *summary.Summary) { s.Requests.P99MS = 30 }), "10%,p99=60%", nil},
		{"p99 +9%: within 10%", worse(func(s *summary.Summary) { s.Requests.P99MS = 21.8 }), "", nil},
		{"p99 better", worse(func(s *summary.Summary) { s.Requests.P99MS = 2 }), "", nil},
		{"twice the dispatches and writes", worse(func(s *summary.Summary) { s.DispatchesTotal, s.DBWritesTotal = 24, 24 }), "", []string{"writes", "dispatches"}},
		{"one more dispatch: under the floor", worse(func(s *summary.Summary) { s.DispatchesTotal = 13 }), "", nil},
		{"staleness +5 s", worse(func(s *summary.Summary) { s.MaxStalenessS = 38 }), "", []string{"staleness"}},
		{"staleness +5 s within 20%", worse(func(s *summary.Summary) { s.MaxStalenessS = 38 }), "20%", nil},
		{"slower recovery", worse(func(s *summary.Summary) { s.Faults[0].RecoveryS = &slower }), "", []string{"recovery"}},
		{"everything", worse(func(s *summary.Summary) {
			s.Requests.P99MS, s.DispatchesTotal, s.DBWritesTotal, s.MaxStalenessS, s.Faults[0].RecoveryS = 40, 30, 30, 50, &slower
		}), "", []string{"p99", "writes", "dispatches", "staleness", "recovery"}},
		{"p50 only when named", worse(func(s *summary.Summary) { s.Requests.P50MS = 10 }), "", nil},
		{"p50 named", worse(func(s *summary.Summary) { s.Requests.P50MS = 10 }), "p50=10%", []string{"p50"}},
		{"p99 +50% on a machine as quiet as the baseline's", worse(func(s *summary.Summary) { s.Requests.P99MS, s.LoadGenerator.ScheduleLagP99MS = 30, 6 }), "", []string{"p99"}},
		{"p99 +500% on a busier machine: latency not judged, the rest is", worse(func(s *summary.Summary) {
			s.Requests.P99MS, s.LoadGenerator.ScheduleLagP99MS, s.MaxStalenessS = 120, 40, 38
		}), "", []string{"staleness"}},
		{"p99 +500% with many late sends, the lag p99 unmoved (a burst)", worse(func(s *summary.Summary) {
			s.Requests.P99MS, s.LoadGenerator.LateSends = 120, 120
		}), "", nil},
		{"p99 +50% with a few late sends more: judged", worse(func(s *summary.Summary) {
			s.Requests.P99MS, s.LoadGenerator.LateSends = 30, 6
		}), "", []string{"p99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBaseline("base", []summary.Summary{base})
			require.NoError(t, err)
			lim, err := ParseLimits(tt.lim)
			require.NoError(t, err)
			c := b.Check(tt.run, lim)
			require.Equal(t, 1, c.Runs)
			assert.Equal(t, tt.want, regressed(c))
		})
	}
}

// Floors keep a change that is large in percent but tiny in its unit from
// failing: 0 → 0.4 s of staleness is not an infinite
func TestBaselineFloors(t *testing.T) {
	base := summarytest.Steady("view-gate", 0.5, 0)
	run := summarytest.Steady("view-gate", 4, 0.4)
	b, err := NewBaseline("base", []summary.Summary{base})
	require.NoError(t, err)
	c := b.Check(run, DefaultLimits())
	assert.Empty(t, regressed(c), "p99 0.5 → 4 ms and staleness 0 → 0.4 s are under their floors")
	for _, mc := range c.Metrics {
		if mc.Metric == "staleness" {
			assert.Equal(t, "floor", mc.LimitBy)
			assert.InDelta(t, 1.0, mc.Limit, 1e-9)
		}
	}
	run.MaxStalenessS = 1.5
	assert.Equal(t, []string{"staleness"}, regressed(b.Check(run, DefaultLimits())))
}

// With repeated baseline runs, their spread widens the limit: a value the
// baseline's own runs come near is noise.
func TestBaselineSpread(t *testing.T) {
	var runs []summary.Summary
	for _, p99 := range []float64{20, 35, 26} {
		runs = append(runs, summarytest.Steady("view-gate", p99, 33))
	}
	b, err := NewBaseline("base", runs)
	require.NoError(t, err)
	check := func(p99 float64) summary.MetricCheck {
		c := b.Check(summarytest.Steady("view-gate", p99, 33), DefaultLimits())
		require.Equal(t, 3, c.Runs)
		for _, mc := range c.Metrics {
			if mc.Metric == "p99" {
				return mc
			}
		}
		t.Fatal("no p99 check")
		return summary.MetricCheck{}
	}
	mc := check(45)
	assert.Equal(t, 26.0, mc.Baseline, "the median")
	assert.Equal(t, [2]float64{20, 35}, [2]float64{mc.BaselineMin, mc.BaselineMax})
	assert.Equal(t, "spread", mc.LimitBy)
	assert.InDelta(t, 50, mc.Limit, 1e-9, "max 35 + spread 15")
	assert.False(t, mc.Regressed, "45 ms is inside what the baseline's own runs do")
	assert.True(t, check(51).Regressed)
}

func TestBaselineMatching(t *testing.T) {
	gate := summarytest.Steady("view-gate", 20, 33)
	tier := summarytest.Steady("two-tier", 20, 33)
	other := summarytest.Steady("two-tier", 20, 33)
	other.Scenario = "many-keys"
	tests := []struct {
		name     string
		baseline []summary.Summary
		run      summary.Summary
		against  string
		runs     int
		note     string
	}{
		{"same strategy", []summary.Summary{gate, tier}, gate, "view-gate", 1, ""},
		{"the scenario's only strategy", []summary.Summary{tier, tier}, gate, "two-tier", 2, "holds steady only as two-tier"},
		{"two others: ambiguous", []summary.Summary{tier, func() summary.Summary { s := gate; s.Label = "x"; return s }()}, gate, "", 0, "no baseline"},
		{"another scenario", []summary.Summary{other}, gate, "", 0, "holds no run of steady (it holds many-keys/two-tier)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBaseline("base", tt.baseline)
			require.NoError(t, err)
			c := b.Check(tt.run, DefaultLimits())
			assert.Equal(t, tt.against, c.Against)
			assert.Equal(t, tt.runs, c.Runs)
			if tt.note != "" {
				assert.Contains(t, strings.Join(c.Notes, "\n"), tt.note)
			}
			if tt.runs == 0 {
				assert.Empty(t, c.Metrics)
			}
		})
	}
}

func TestNewBaselineRefusesRunsThatProvedNothing(t *testing.T) {
	s := summarytest.Steady("view-gate", 20, 33)
	s.LoadGenerator.Saturated = true
	_, err := NewBaseline("out/x", []summary.Summary{s})
	require.ErrorContains(t, err, "unusable, saturated or interrupted")
	_, err = NewBaseline("out/x", nil)
	require.ErrorContains(t, err, "no summary.json")
	b, err := NewBaseline("out/x", []summary.Summary{s, summarytest.Steady("view-gate", 20, 33)})
	require.NoError(t, err)
	assert.Equal(t, 1, b.Skipped)
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		in      string
		def     float64
		per     map[string]float64
		metrics int
		err     string
	}{
		{"", 10, map[string]float64{}, 5, ""},
		{"25%", 25, map[string]float64{}, 5, ""},
		{"10%,p99=25%,staleness=5%", 10, map[string]float64{"p99": 25, "staleness": 5}, 5, ""},
		{"p99=0%, errors=1%", 10, map[string]float64{"p99": 0, "errors": 1}, 6, ""},
		{"10", 0, nil, 0, "write it with a % sign"},
		{"p99=25", 0, nil, 0, "p99: \"25\" is not a percentage"},
		{"-5%", 0, nil, 0, "0 or more"},
		{"10%,20%", 0, nil, 0, "two default percentages"},
		{"latency=5%", 0, nil, 0, "no metric \"latency\": the metrics are p99, writes"},
		{"rps=5%", 0, nil, 0, "cannot regress"},
		{"p99=5%,p99=6%", 0, nil, 0, "given twice"},
		{"p99=off,p99=6%", 0, nil, 0, "given twice"},
		{"p99=off", 10, map[string]float64{}, 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := ParseLimits(tt.in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.def, l.Default)
			assert.Equal(t, tt.per, l.PerMetric)
			assert.Len(t, l.Metrics(), tt.metrics)
		})
	}
}
