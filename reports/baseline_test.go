package reports

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reports/regression"
	"github.com/hbharness/hbharness/summary"
	"github.com/hbharness/hbharness/summary/summarytest"
)

// The regression shows in the table, in the exit line and in JUnit as its
// own test case; a run with nothing to be held against is skipped there.
func TestBaselineReports(t *testing.T) {
	base := summarytest.Steady("two-tier", 20, 33)
	b, err := regression.NewBaseline("out/base", []summary.Summary{base})
	require.NoError(t, err)
	run := summarytest.Steady("view-gate", 30, 33)
	run.Baseline = b.Check(run, regression.DefaultLimits())
	lonely := summarytest.Steady("view-gate", 30, 33)
	lonely.Scenario = "many-keys"
	lonely.Baseline = b.Check(lonely, regression.DefaultLimits())

	var buf bytes.Buffer
	require.NoError(t, WriteBaselineTable(&buf, []summary.Summary{run}))
	out := buf.String()
	assert.Contains(t, out, "baseline out/base · max regression 10%")
	assert.Regexp(t, `steady\s+view-gate\s+two-tier\s+p99 latency\s+20 ms\s+30 ms\s+\+50%\s+25 ms \(floor\)\s+REGRESSED`, out)
	assert.Regexp(t, `steady\s+view-gate\s+two-tier\s+worst staleness\s+33 s\s+33 s\s+\+0%\s+36.3 s \(\+10%\)\s+ok`, out)
	assert.Contains(t, out, "holds steady only as two-tier")
	assert.Contains(t, out, "1 regression(s) in 1 run(s)")

	buf.Reset()
	require.NoError(t, WriteBaselineTable(&buf, []summary.Summary{run, lonely, summarytest.Steady("x", 1, 1)}))
	out = buf.String()
	assert.NotContains(t, out, "worst staleness", "several runs: regressions only")
	assert.Contains(t, out, "1 run(s) had none to be held against")

	buf.Reset()
	require.NoError(t, WriteBaselineTable(&buf, []summary.Summary{summarytest.Steady("x", 1, 1)}))
	assert.Zero(t, buf.Len(), "no baseline, no section")

	assert.Equal(t, []string{"steady/view-gate against two-tier: p99 latency 30 ms, baseline 20 ms (+50%), limit 25 ms (floor)"},
		RegressionLines([]summary.Summary{run, lonely}))

	buf.Reset()
	require.NoError(t, WriteJUnit(&buf, []summary.Summary{run, lonely}))
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc))
	find := func(suite junitSuite) junitCase {
		for _, c := range suite.Cases {
			if c.Name == "baseline" {
				return c
			}
		}
		t.Fatalf("no baseline case in %s", suite.Name)
		return junitCase{}
	}
	c := find(doc.Suites[0])
	require.NotNil(t, c.Failure)
	assert.Equal(t, "regressed against two-tier: p99", c.Failure.Message)
	assert.Contains(t, c.Failure.Body, "limit 25 ms")
	assert.Equal(t, 1, doc.Suites[0].Failures)
	assert.NotNil(t, find(doc.Suites[1]).Skipped)
}

// A busier machine is said, in the check and in the table, not hidden.
func TestBaselineSaysWhyLatencyWasNotJudged(t *testing.T) {
	base := summarytest.Steady("two-tier", 20, 33)
	base.LoadGenerator.ScheduleLagP99MS = 3
	b, err := regression.NewBaseline("base", []summary.Summary{base})
	require.NoError(t, err)
	lim, err := regression.ParseLimits("")
	require.NoError(t, err)
	run := summarytest.Steady("two-tier", 200, 33)
	run.LoadGenerator.ScheduleLagP99MS = 90
	run.Baseline = b.Check(run, lim)
	require.Empty(t, run.Baseline.Regressions())
	var p99 summary.MetricCheck
	for _, m := range run.Baseline.Metrics {
		if m.Metric == "p99" {
			p99 = m
		}
	}
	assert.Contains(t, p99.NotJudged, "schedule lag p99 was 90 ms, against at most 3 ms")
	var buf bytes.Buffer
	require.NoError(t, WriteBaselineTable(&buf, []summary.Summary{run}))
	assert.Contains(t, buf.String(), "not judged (busier machine)")
	assert.Contains(t, buf.String(), "p99: not judged")
}
