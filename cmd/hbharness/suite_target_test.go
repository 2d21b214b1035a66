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
// Beside two CPU hogs, `serve` in its own process answered a few requests
// too late even at 0.1 (2 and 9 of about 2,500 failed requests_succeed,
// p99 1.4-1.5 s of wall), or its load generator saturated: a suite that
// fails on that alone gets one gentler try at 0.2, on a target of its own,
// which must pass whole.
func TestSuiteJudgesATargetServedElsewhere(t *testing.T) {
	s, out, code, stdout, stderr := suiteAgainstServe(t, "0.1")
	lateAnswers := strings.Contains(stdout, "FAIL (requests_succeed)") && strings.Count(stdout, "· FAIL (") == 1
	// Or the load generator saturated (26 of 1,443 sends late beside two
	// hogs): the suite rightly judged nothing, and exits 2.
	saturated := strings.Contains(stdout, " 0 failed, ") && strings.Contains(stderr, "load generator saturated")
	if code != 0 && (lateAnswers || saturated) {
		t.Logf("too busy a machine at 0.1 (late answers or a saturated load generator)? again at 0.2:\n%s", stdout)
		s, out, code, stdout, stderr = suiteAgainstServe(t, "0.2")
	}
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

// suiteAgainstServe serves the reference at scale in another process, on a
// database of its own, and runs the pre-deploy suite against it.
func suiteAgainstServe(t *testing.T, scale string) (s *server, out string, code int, stdout, stderr string) {
	t.Helper()
	env := testenv.New(t)
	s = serve(t, env, nil, "--seed", "default", "--time-scale", scale)
	out = t.TempDir()
	code, stdout, stderr = cli(t, nil, "suite", "--scenarios", "predeploy-steady,predeploy-idle,broker-outage",
		"--target", s.url, "--token", "dev-token", "--observe-db", env.DSN, "--slugs", "default",
		"--time-scale", scale, "--out", out)
	return s, out, code, stdout, stderr
}
