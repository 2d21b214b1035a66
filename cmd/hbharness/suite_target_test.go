package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/runfolder"
)

// Done-when of issue 10, compressed: suite --target against `serve` in
// another process runs pre-deploy built-ins, judges them on that target,
// and skips a fault scenario with a note. At real time the same command is
// `make loadtest TARGET=…`, about 10 minutes. The scale is 0.1 (42 s): at
// 0.05, under -race beside the other packages' tests, the list path's
// answers came late enough for the fleet to miss its schedule (saturated).
func TestSuiteJudgesATargetServedElsewhere(t *testing.T) {
	env := testenv.New(t)
	s := serve(t, env, nil, "--seed", "default", "--time-scale", "0.1")
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "suite", "--scenarios", "predeploy-steady,predeploy-idle,broker-outage",
		"--target", s.url, "--token", "dev-token", "--observe-db", env.DSN, "--slugs", "default",
		"--time-scale", "0.1", "--out", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)

	assert.Contains(t, stdout, "suite against "+s.url+": 2 run(s) judged, 1 skipped")
	assert.Contains(t, stdout, "broker-outage/view-gate: skipped: it injects faults (broker-down)")
	table := stdout[strings.LastIndex(stdout, "target: "):]
	assert.True(t, strings.HasPrefix(table, "target: "+s.url+" (external deployment)\n"), table)
	assert.Regexp(t, `predeploy-steady\s+view-gate\s+PASS`, table)
	assert.Regexp(t, `predeploy-idle\s+view-gate\s+PASS`, table)
	assert.Regexp(t, `broker-outage\s+view-gate\s+SKIPPED`, table)
	assert.Contains(t, table, "2 passed, 0 failed, 1 skipped")
	for _, name := range []string{"predeploy-steady", "predeploy-idle"} {
		sum := readSummary(t, filepath.Join(out, name))
		require.Equal(t, s.url, sum.Target, name)
		require.True(t, sum.Passed, name)
		require.Positive(t, sum.DBWritesTotal, "%s: writes were seen on the target's database", name)
	}
	_, err := os.Stat(filepath.Join(out, "broker-outage"))
	require.ErrorIs(t, err, os.ErrNotExist, "a skipped run leaves no folder")
	raw, err := os.ReadFile(filepath.Join(out, runfolder.JUnitFile))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `<skipped message="not run: it injects faults (broker-down)`)
}
