package reports

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
	"github.com/hbharness/hbharness/summary/summarytest"
)

// repeatedRuns is compare --repeat 3 of three strategies, interleaved:
// view-gate and two-tier overlap on p99 and differ on staleness; none
// dispatches 60 times a window, failing its dispatch invariants, and one of
// its runs saturated.
func repeatedRuns(dir string) []summary.Summary {
	mk := func(strategy string, i int, p99, staleness float64, perWindow int) summary.Summary {
		s := summarytest.Steady(strategy, p99, staleness)
		s.DispatchesTotal, s.DBWritesTotal = 12*perWindow, 12*perWindow
		s.Invariants = []summary.Verdict{{Name: verify.AtMostOnePerWindow, Outcome: summary.Pass, Expected: summary.Pass, Passed: true}}
		if perWindow > 1 {
			s.Invariants[0] = summary.Verdict{Name: verify.AtMostOnePerWindow, Outcome: summary.Fail, Expected: summary.Fail, Passed: true}
		}
		s.OutDir = filepath.Join(dir, strategy, string(rune('1'+i)))
		return s
	}
	var runs []summary.Summary
	for i, v := range []struct{ gate, tier, none float64 }{{10, 11, 30}, {14, 13, 31}, {12, 12.5, 32}} {
		runs = append(runs,
			mk("view-gate", i, v.gate, 33+float64(i)/2, 1),
			mk("two-tier", i, v.tier, 40+float64(i), 1),
			mk("none", i, v.none, 33, 60))
	}
	runs[8].LoadGenerator.Saturated = true
	runs[8].Requests.P99MS = 9000
	return runs
}

func cells(t *testing.T, table, label string) []string {
	t.Helper()
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, label+"  ") {
			var out []string
			for _, c := range strings.Split(strings.TrimSpace(strings.TrimPrefix(l, label)), "  ") {
				if c = strings.TrimSpace(c); c != "" {
					out = append(out, c)
				}
			}
			return out
		}
	}
	t.Fatalf("no row %q in\n%s", label, table)
	return nil
}

// compare --repeat 3 marks "within noise" exactly where the ranges
// overlap (or lie closer than the metric's floor), against the best.
func TestComparisonMarksWithinNoise(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteComparison(&buf, repeatedRuns("out")))
	out := buf.String()
	assert.Contains(t, out, "3 runs per strategy, interleaved")
	assert.Equal(t, []string{"view-gate", "two-tier", "none"}, strings.Fields(strings.Split(out, "\n")[2]))
	assert.Equal(t, []string{"12 (10–14) best", "12.5 (11–13) ≈", "30.5 (30–31)"}, cells(t, out, "p99 latency ms"),
		"two-tier's range overlaps the best's; none's, 16 ms above it, does not; the saturated run is left out")
	assert.Equal(t, []string{"33.5 (33–34) ≈", "41 (40–42)", "33 best"}, cells(t, out, "worst staleness s"),
		"the best by median; view-gate's range reaches down to it")
	assert.Equal(t, []string{"1 best", "1 ≈", "60"}, cells(t, out, "dispatches / key / window"))
	assert.Equal(t, []string{"—", "—", "—"}, cells(t, out, verify.RecoversAfterFault), "judged by none of them")
	assert.Equal(t, []string{"PASS ×3", "PASS ×3", "PASS 2 · UNUSABLE 1"}, cells(t, out, "verdict"))
	assert.Equal(t, []string{"pass ✓ ×3", "pass ✓ ×3", "fail ✓ ×2"}, cells(t, out, verify.AtMostOnePerWindow))
	assert.Contains(t, out, "none: 1 of 3 run(s) inconclusive")
	assert.Contains(t, out, "≈ within noise: its range overlaps the best's")
}

// One run per strategy keeps the plain table: values, no ranges, no marks.
func TestComparisonOfSingleRunsHasNoMarks(t *testing.T) {
	runs := repeatedRuns("out")[:3]
	var buf bytes.Buffer
	require.NoError(t, WriteComparison(&buf, runs))
	out := buf.String()
	assert.Equal(t, []string{"10", "11", "30"}, cells(t, out, "p99 latency ms"))
	assert.NotContains(t, out, "best")
	assert.NotContains(t, out, "runs per strategy")
}

func TestComparisonJSONCarriesEveryRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteComparisonJSON(&buf, repeatedRuns("out"), "out"))
	var f struct {
		Schema     string `json:"schema"`
		Repeat     int    `json:"repeat"`
		Strategies []StrategyAggregate
		Runs       []struct {
			Strategy string
			Repeat   int
			Dir      string
			Summary  summary.Summary
		}
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &f))
	assert.Equal(t, CompareSchema, f.Schema)
	assert.Equal(t, 3, f.Repeat)
	require.Len(t, f.Runs, 9)
	assert.Equal(t, "two-tier", f.Runs[1].Strategy, "in the order they ran: interleaved")
	assert.Equal(t, 2, f.Runs[4].Repeat)
	assert.Equal(t, "two-tier/2", f.Runs[4].Dir)
	assert.Equal(t, 13.0, f.Runs[4].Summary.Requests.P99MS)
	require.Len(t, f.Strategies, 3)
	assert.Equal(t, 2, f.Strategies[2].Usable)
	p99, ok := f.Strategies[1].spreadOf("p99")
	require.True(t, ok)
	assert.Equal(t, Spread{Metric: "p99", N: 3, Median: 12.5, Min: 11, Max: 13, WithinNoise: true}, p99)
}

func TestComparisonHTML(t *testing.T) {
	runs := repeatedRuns("out")
	var buf bytes.Buffer
	require.NoError(t, WriteComparisonHTML(&buf, runs, "out", "report.html", nil))
	p := parsePage(t, buf.String())
	require.Len(t, p.svgs, 5, "dispatches, writes, staleness, recovery, p99")
	assert.Contains(t, p.svgs[0], `<text x="67.6" y="52" text-anchor="end" class="key-label">view-gate</text>
<rect x="73.6" y="40.8" width="92.1"`, "a value of 1 on the log axis is a visible bar: the axis starts a decade lower")
	assert.Contains(t, p.svgs[0], "log scale", "1 beside 60 per window is drawn on a log axis")
	assert.Contains(t, p.svgs[0], `class="bar expected"`, "none's dispatches are amber: its invariant failed, as expected")
	assert.Contains(t, p.svgs[len(p.svgs)-1], `class="bar over"`, "none's p99 is worse than the best beyond noise")
	assert.Contains(t, p.raw, `href="view-gate/2/report.html"`)
	assert.Contains(t, p.text(), "p99 latency ms")

	// A strategy whose every run saturated is inconclusive, and the page
	// still renders.
	for i := range runs {
		if runs[i].Strategy == "none" {
			runs[i].LoadGenerator.Saturated = true
		}
	}
	buf.Reset()
	require.NoError(t, WriteComparisonHTML(&buf, runs, "out", "report.html", nil))
	p = parsePage(t, buf.String())
	assert.Contains(t, p.text(), "inconclusive: UNUSABLE ×3")
	assert.Contains(t, p.svgs[0], ">inconclusive<")
}
