package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/runfolder"
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
		logs, err := os.ReadFile(filepath.Join(dir, runfolder.LogFile))
		require.NoError(t, err)
		require.Regexp(t, logLine, string(logs), "the run's logs are in its run.log")
		require.Contains(t, string(logs), "scenario="+name)

		sum := readSummary(t, dir)
		require.Positive(t, sum.Requests.Total)
		all := readResults(t, filepath.Join(dir, runfolder.ResultsFile))
		require.Len(t, all, int(sum.Requests.Total), "results.bin holds every request summary.json counts")
		// As vegeta plot needs them: each attack numbered from 0 in order
		// of the intended sends.
		next := map[string]uint64{}
		for i, r := range all {
			require.Equal(t, next[r.Attack], r.Seq)
			next[r.Attack]++
			require.True(t, i == 0 || !r.Timestamp.Before(all[i-1].Timestamp))
		}
	}
}

func readResults(t *testing.T, path string) []vegeta.Result {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []vegeta.Result
	dec := vegeta.NewDecoder(f)
	for {
		var r vegeta.Result
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err, "result %d", len(out)+1)
		out = append(out, r)
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
	logs, err := os.ReadFile(filepath.Join(out, runfolder.LogFile))
	require.NoError(t, err)
	require.Regexp(t, logLine, string(logs))
}
