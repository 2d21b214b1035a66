package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/runfolder"
)

// Done-when of issue 10, item 2: a rerun of the same strategy held against
// its own baseline does not fail, and a planted regression fails exactly
// the metrics that got worse: named in the table, on stderr, in
// summary.json and in JUnit as its own test case.
//
// p99 is left out (p99=off): it is wall time, and on this shared 2-core
// machine one scenario's p99 moved from 5 to 112 ms between three runs, which
// no limit on a single baseline run covers (a repeated baseline's spread
// does). Every other checked metric is held to 25%, not the default 10%:
// beside two CPU hogs a rerun's worst staleness came out 13% above its
// baseline's (34.4 s against 30.5 s; tasks a few hundred ms of wall late at
// 0.055). The planted regression doubles what it plants, far past either.
func TestBaselineCatchesAPlantedRegression(t *testing.T) {
	gentler(t, 0.055, func(t *testing.T, scale string) string {
		steady := []string{"run", "--scenario", "steady", "--strategy", "view-gate", "--time-scale", scale}
		base := t.TempDir()
		code, stdout, stderr := cli(t, nil, append(steady, "--out", base)...)
		if why := saturatedRun(code, stderr) + starvedRun(t, code, base); why != "" {
			return why
		}
		require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
		steady = append(steady, "--max-regression", "25%,p99=off")

		again := t.TempDir()
		code, stdout, stderr = cli(t, nil, append(steady, "--out", again, "--baseline", base)...)
		if why := saturatedRun(code, stderr) + starvedRun(t, code, again); why != "" {
			return why
		}
		require.Equal(t, 0, code, "a rerun is no regression\nstdout: %s\nstderr: %s", stdout, stderr)
		assert.Contains(t, stdout, "0 regression(s) in 1 run(s) held against the baseline")
		s := readSummary(t, again)
		require.NotNil(t, s.Baseline, "summary.json carries the check")
		assert.Equal(t, 1, s.Baseline.Runs)
		var checked []string
		for _, m := range s.Baseline.Metrics {
			checked = append(checked, m.Metric)
		}
		assert.Equal(t, []string{"writes", "dispatches", "staleness"}, checked, "no faults, so no recovery; p99 off")
		junit, err := os.ReadFile(filepath.Join(again, runfolder.JUnitFile))
		require.NoError(t, err)
		assert.Contains(t, string(junit), `<testcase name="baseline" classname="steady/view-gate" time="0"></testcase>`)

		// Plant a baseline that dispatched half as often and never went half as
		// stale as this run will: those two, and nothing else, regress.
		planted := readSummary(t, base)
		planted.DispatchesTotal /= 2
		planted.MaxStalenessS /= 2
		for i := range planted.Services {
			planted.Services[i].MaxStalenessS /= 2
		}
		plantedDir := t.TempDir()
		writeSummary(t, plantedDir, planted)
		third := t.TempDir()
		code, stdout, stderr = cli(t, nil, append(steady, "--out", third, "--baseline", plantedDir)...)
		if why := saturatedRun(code, stderr); why != "" {
			return why
		}
		require.Equal(t, 1, code, "stdout: %s\nstderr: %s", stdout, stderr)
		s = readSummary(t, third)
		var regressed []string
		for _, m := range s.Baseline.Regressions() {
			regressed = append(regressed, m.Metric)
		}
		assert.Equal(t, []string{"dispatches", "staleness"}, regressed)
		assert.Contains(t, stderr, "regressions against the baseline")
		assert.Contains(t, stderr, "dispatches / key / window")
		assert.NotContains(t, stderr, "p99 latency")
		assert.Regexp(t, `steady\s+view-gate\s+view-gate\s+worst staleness .*REGRESSED`, stdout)
		junit, err = os.ReadFile(filepath.Join(third, runfolder.JUnitFile))
		require.NoError(t, err)
		assert.Contains(t, string(junit), `message="regressed against view-gate: dispatches, staleness" type="regression"`)
		return ""
	})
}
