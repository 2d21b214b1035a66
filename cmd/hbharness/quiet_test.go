package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/results"
)

// A log line as slog's text handler writes it.
var logLine = regexp.MustCompile(`(?m)^time=\S+ level=`)

// Issue 10's done-when: a suite shows one line per scenario, then the
// table, with the logs in files; every request is in results.bin, as many
// as summary.json counts.
func TestSuiteIsQuietAndKeepsLogsAndResultsInFiles(t *testing.T) {
	a := writeScenario(t, "brief", brief)
	b := writeScenario(t, "other", strings.Replace(brief, "name: brief", "name: other", 1))
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "suite", "--scenarios", a+","+b, "--out", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)

	require.NotRegexp(t, logLine, stdout, "no log line on stdout")
	require.NotRegexp(t, logLine, stderr, "no log line on stderr without -v")
	table := strings.LastIndex(stdout, "SCENARIO")
	require.Positive(t, table)
	lines := strings.Split(strings.TrimSpace(stdout[:table]), "\n")
	require.Len(t, lines, 2, "one line per scenario before the table: %q", stdout[:table])
	require.Regexp(t, `^brief · view-gate · PASS · \d+ dispatches · max staleness [\d.]+ s · p99 [\d.]+ ms · [\d.]+s wall$`, lines[0])
	require.Regexp(t, `^other · view-gate · PASS · `, lines[1])
	require.NotContains(t, stdout, "requests    ", "no run's own table in a suite")

	for _, name := range []string{"brief", "other"} {
		dir := filepath.Join(out, name)
		logs, err := os.ReadFile(filepath.Join(dir, "run.log"))
		require.NoError(t, err)
		require.Regexp(t, logLine, string(logs), "the run's logs are in its run.log")
		require.Contains(t, string(logs), "scenario="+name)

		f, err := os.Open(filepath.Join(dir, "results.bin"))
		require.NoError(t, err)
		n, err := results.Count(f)
		f.Close()
		require.NoError(t, err)
		sum := readSummary(t, dir)
		require.Positive(t, sum.Requests.Total)
		require.EqualValues(t, sum.Requests.Total, n, "results.bin holds every request summary.json counts")
	}
}

// -v shows the logs on stderr too, and they still go to run.log.
func TestVerboseShowsTheLogs(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "run", "-v", "--scenario", writeScenario(t, "brief", brief), "--out", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Regexp(t, logLine, stderr)
	require.NotRegexp(t, logLine, stdout)
	require.Contains(t, stdout, "requests    ", "run prints its table")
	logs, err := os.ReadFile(filepath.Join(out, "run.log"))
	require.NoError(t, err)
	require.Regexp(t, logLine, string(logs))
}
