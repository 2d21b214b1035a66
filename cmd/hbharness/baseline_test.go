package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reports/regression"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/summary"
)

// writeSummary puts a summary.json in dir, as a run would.
func writeSummary(t *testing.T, dir string, s summary.Summary) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	f, err := os.Create(filepath.Join(dir, runfolder.SummaryFile))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	require.NoError(t, summary.WriteJSON(f, s))
}

func pastRun(scenario, strategy string, started time.Time, p99 float64) summary.Summary {
	return summary.Summary{Scenario: scenario, Strategy: strategy, TimeScale: 0.03, ModelDurationS: 360, ThrottleS: 30,
		Passed: true, StartedAt: started, Requests: summary.Requests{Total: 100, OK: 100, P99MS: p99},
		Keys: []summary.KeyStats{{Key: "k", Dispatches: 12, DBWrites: 12}}, DispatchesTotal: 12, DBWritesTotal: 12,
		Services: []summary.ServiceStats{{ID: 1, MaxStalenessS: 33}}, MaxStalenessS: 33}
}

// A bad baseline or limit is refused before anything runs (these would
// otherwise take seconds each), naming what is wrong.
func TestBaselineUsageErrorsExit2(t *testing.T) {
	other := t.TempDir()
	writeSummary(t, filepath.Join(other, "many-keys"), pastRun("many-keys", "view-gate", time.Now(), 5))
	unusable := t.TempDir()
	bad := pastRun("steady", "view-gate", time.Now(), 5)
	bad.Unusable = "every request was refused"
	writeSummary(t, unusable, bad)
	good := t.TempDir()
	writeSummary(t, good, pastRun("steady", "view-gate", time.Now(), 5))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"limit without a baseline", []string{"run", "--scenario", "steady", "--max-regression", "20%"}, "--max-regression needs --baseline"},
		{"missing baseline", []string{"run", "--scenario", "steady", "--baseline", "/nonexistent/base"}, "--baseline /nonexistent/base"},
		{"empty folder", []string{"suite", "--scenarios", "steady", "--baseline", t.TempDir()}, "holds no summary.json"},
		{"other scenarios", []string{"run", "--scenario", "steady", "--baseline", other},
			"holds many-keys/view-gate: nothing to hold steady/view-gate against"},
		{"only unusable runs", []string{"run", "--scenario", "steady", "--baseline", unusable}, "measure nothing"},
		{"limit without %", []string{"run", "--scenario", "steady", "--baseline", good, "--max-regression", "10"}, "with a % sign"},
		{"unknown metric", []string{"run", "--scenario", "steady", "--baseline", good, "--max-regression", "p98=5%"}, `no metric "p98"`},
		{"repeat 0", []string{"compare", "--scenario", "steady", "--strategies", "view-gate", "--repeat", "0"}, "--repeat 0"},
		{"a strategy twice", []string{"compare", "--scenario", "steady", "--strategies", "view-gate,view-gate"}, "use --repeat"},
		{"history of nothing", []string{"history"}, "give one or more"},
		{"history of a missing folder", []string{"history", "/nonexistent/runs"}, "/nonexistent/runs"},
		{"history of an unknown metric", []string{"history", good, "--metrics", "p98"}, `no metric "p98"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, nil, tt.args...)
			require.Equal(t, 2, code, "stdout: %s\nstderr: %s", stdout, stderr)
			assert.Contains(t, stdout+stderr, tt.want)
		})
	}
	code, stdout, _ := cli(t, nil, "history", "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "-metrics")
}

// history walks run and suite folders for summaries, whichever order they
// are found in, and prints them oldest first; flags may follow the folders.
func TestHistory(t *testing.T) {
	nightly := t.TempDir()
	day := func(d int) time.Time { return time.Date(2026, 11, d, 2, 0, 0, 0, time.UTC) }
	writeSummary(t, filepath.Join(nightly, "a", "steady"), pastRun("steady", "view-gate", day(3), 7))
	writeSummary(t, filepath.Join(nightly, "b", "steady"), pastRun("steady", "view-gate", day(1), 5))
	single := t.TempDir()
	writeSummary(t, single, pastRun("steady", "two-tier", day(2), 6))
	page := filepath.Join(t.TempDir(), "trend.html")

	code, stdout, stderr := cli(t, nil, "history", nightly, single, "--csv", "--metrics", "p99,dispatches")
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 4)
	assert.Equal(t, []string{"p99_ms", "dispatches"}, recs[0][5:7])
	for i, want := range []string{"5", "6", "7"} {
		assert.Equal(t, want, recs[i+1][5], "row %d: oldest first", i+1)
	}
	assert.Equal(t, "two-tier", recs[2][2])

	code, stdout, stderr = cli(t, nil, "history", "--html", page, nightly)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "WORST STALENESS S")
	raw, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.Equal(t, 5, strings.Count(string(raw), "<svg"))
}

// A regression exits 1 beside the verdicts' own misses, and never hides a
// run that proved nothing (exit 2).
func TestWithRegressions(t *testing.T) {
	base, err := regression.NewBaseline("base", []summary.Summary{pastRun("steady", "view-gate", time.Now(), 5)})
	require.NoError(t, err)
	slow := pastRun("steady", "view-gate", time.Now(), 50)
	slow.Baseline = base.Check(slow, regression.DefaultLimits())
	same := pastRun("steady", "view-gate", time.Now(), 5)
	same.Baseline = base.Check(same, regression.DefaultLimits())

	require.NoError(t, withRegressions(nil, []summary.Summary{same}))
	var ve verdictError
	require.ErrorAs(t, withRegressions(nil, []summary.Summary{slow}), &ve)
	assert.Contains(t, ve.msg, "steady/view-gate against view-gate: p99 latency 50 ms, baseline 5 ms (+900%), limit 10 ms (floor)")
	require.ErrorAs(t, withRegressions(verdictError{"verdicts did not match"}, []summary.Summary{slow}), &ve)
	assert.Contains(t, ve.msg, "verdicts did not match\nregressions against the baseline")
	var ue usageError
	require.ErrorAs(t, withRegressions(usagef("the run tested nothing"), []summary.Summary{slow}), &ue)
}
