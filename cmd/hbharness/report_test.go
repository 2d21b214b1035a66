package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// saveRun writes a run's folder as `run` does: summary.json, and its history
// when h is not nil.
func saveRun(t *testing.T, dir string, s summary.Summary, h *history.History) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, writeFile(filepath.Join(dir, summaryFile), func(w io.Writer) error { return summary.WriteJSON(w, s) }))
	if h != nil {
		require.NoError(t, writeFile(filepath.Join(dir, historyFile), func(w io.Writer) error { return history.Save(w, h) }))
	}
}

func TestReadFolderTellsKindsApart(t *testing.T) {
	sum := func(scenario, strategy string) summary.Summary {
		return summary.Summary{Scenario: scenario, Strategy: strategy, ModelDurationS: 60}
	}
	h := &history.History{Duration: time.Minute}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		kind  folderKind
		runs  int
		hist  int // runs with a history
	}{
		{"one run", func(t *testing.T, dir string) { saveRun(t, dir, sum("steady", "view-gate"), h) }, kindRun, 1, 1},
		{"one run saved before histories", func(t *testing.T, dir string) { saveRun(t, dir, sum("steady", "view-gate"), nil) }, kindRun, 1, 0},
		{"a suite", func(t *testing.T, dir string) {
			first := sum("steady", "view-gate")
			first.StartedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			then := sum("broker-outage", "view-gate")
			then.StartedAt = first.StartedAt.Add(time.Minute)
			saveRun(t, filepath.Join(dir, "steady"), first, h)
			saveRun(t, filepath.Join(dir, "broker-outage"), then, nil)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "junit.xml"), nil, 0o644))
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "not-a-run"), 0o755))
		}, kindSuite, 2, 1},
		{"a comparison, by its page", func(t *testing.T, dir string) {
			saveRun(t, filepath.Join(dir, "a"), sum("steady", "view-gate"), h)
			saveRun(t, filepath.Join(dir, "b"), sum("steady", "inline"), h)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "comparison.html"), nil, 0o644))
		}, kindComparison, 2, 2},
		{"a comparison, by its folder names", func(t *testing.T, dir string) {
			saveRun(t, filepath.Join(dir, "view-gate"), sum("steady", "view-gate"), h)
			saveRun(t, filepath.Join(dir, "inline"), sum("steady", "inline"), h)
		}, kindComparison, 2, 2},
		{"a suite of one scenario's runs", func(t *testing.T, dir string) {
			saveRun(t, filepath.Join(dir, "redis-blackhole-view-gate"), sum("redis-blackhole", "view-gate"), h)
			saveRun(t, filepath.Join(dir, "redis-blackhole-two-tier"), sum("redis-blackhole", "two-tier"), h)
		}, kindSuite, 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			kind, runs, err := readFolder(dir)
			require.NoError(t, err)
			require.Equal(t, tc.kind, kind)
			require.Len(t, runs, tc.runs)
			n := 0
			for _, r := range runs {
				require.Equal(t, r.dir, r.summary.OutDir)
				if r.history != nil {
					n++
				}
			}
			require.Equal(t, tc.hist, n)
			if tc.kind == kindSuite && tc.name == "a suite" {
				require.Equal(t, "steady", runs[0].summary.Scenario, "in the order they ran, not by folder name")
			}
		})
	}
}

func TestReadFolderRefusesWhatItCannotRead(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) string
		want  string
	}{
		{"missing", func(t *testing.T, dir string) string { return filepath.Join(dir, "gone") }, "no such file"},
		{"a file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "summary.json")
			require.NoError(t, os.WriteFile(p, []byte("{}"), 0o644))
			return p
		}, "is not a folder"},
		{"empty", func(t *testing.T, dir string) string { return dir }, "holds no summary.json"},
		{"not a summary", func(t *testing.T, dir string) string {
			require.NoError(t, os.WriteFile(filepath.Join(dir, summaryFile), []byte(`{"hello": 1}`), 0o644))
			return dir
		}, "not an hbharness summary"},
		{"a broken history", func(t *testing.T, dir string) string {
			saveRun(t, dir, summary.Summary{Scenario: "steady"}, nil)
			require.NoError(t, os.WriteFile(filepath.Join(dir, historyFile), []byte("garbage"), 0o644))
			return dir
		}, "history.json.gz: history is not gzip data"},
		{"a broken run in a suite", func(t *testing.T, dir string) string {
			saveRun(t, filepath.Join(dir, "a"), summary.Summary{Scenario: "steady"}, nil)
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "b"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "b", summaryFile), []byte(`{"schema":"hbharness.summary/v0"}`), 0o644))
			return dir
		}, "summary/v0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readFolder(tc.setup(t, t.TempDir()))
			require.Error(t, err)
			var ue usageError
			require.ErrorAs(t, err, &ue, "a bad folder is a usage error: exit 2")
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// `report` renders a real run's files again from what it saved: the same
// page, and the broker outage's 5xx answers drawn inside its fault band.
// A folder it cannot read exits 2 and says why.
func TestReportRendersARunAgain(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "run", "--scenario", "broker-outage", "--time-scale", "0.055", "--out", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	page := filepath.Join(out, "report.html")
	first, err := os.ReadFile(page)
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(out, historyFile))
	require.NoError(t, err)
	t.Logf("history.json.gz: %d bytes", fi.Size())

	require.NoError(t, os.Remove(page))
	require.NoError(t, os.Remove(filepath.Join(out, "junit.xml")))
	code, stdout, stderr = cli(t, nil, "report", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stdout, "broker-outage · view-gate", "the run's table")
	again, err := os.ReadFile(page)
	require.NoError(t, err)
	require.Equal(t, string(first), string(again), "the same page, drawn from the saved data")
	require.FileExists(t, filepath.Join(out, "junit.xml"))
	sum := readSummary(t, out)
	require.NotNil(t, sum.Views, "the run's views are in its summary")
	require.Len(t, sum.Faults, 1)
	requireErrorsInFaultBand(t, string(again), sum.Views.ByRoute["result"].MaxS/sum.Faults[0].ForS)

	// Without its history: the tables, and a note naming what is missing.
	require.NoError(t, os.Remove(filepath.Join(out, historyFile)))
	code, stdout, stderr = cli(t, nil, "report", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stdout, "no history.json.gz")
	require.Contains(t, stdout, "not the charts of")
	bare, err := os.ReadFile(page)
	require.NoError(t, err)
	require.NotContains(t, string(bare), "<svg")
	require.Contains(t, string(bare), `id="headline"`)

	for _, args := range [][]string{{"report"}, {"report", filepath.Join(out, "missing")}, {"report", t.TempDir()}, {"report", out, "extra"}} {
		code, stdout, stderr = cli(t, nil, args...)
		require.Equal(t, 2, code, "%v: stdout %s stderr %s", args, stdout, stderr)
		require.Contains(t, stderr, "report")
	}
}

var (
	svgRe   = regexp.MustCompile(`(?s)<svg[^>]*aria-label="failed requests per[^"]*".*?</svg>`)
	faultRe = regexp.MustCompile(`<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" class="fault">`)
	errRe   = regexp.MustCompile(`<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" class="err-bar" fill="[^"]+"><title>([^<]*5xx[^<]*)</title>`)
)

// requireErrorsInFaultBand checks the Done-when of the reports issue on a
// page: its errors chart draws 5xx answers, and they lie inside the fault
// band (the broker being down, /result cannot queue and answers 503).
//
// inFlight is the longest /result view as a share of the fault's length: a
// /result sent before the outage whose view reached the broker after it
// went down is answered 503 and drawn at its send, up to that far before
// the band (a loaded machine stretches views in model time).
func requireErrorsInFaultBand(t *testing.T, page string, inFlight float64) {
	t.Helper()
	svg := svgRe.FindString(page)
	require.NotEmpty(t, svg, "the page has an errors chart")
	band := faultRe.FindStringSubmatch(svg)
	require.NotNil(t, band, "the errors chart shades the fault")
	from, w := atof(t, band[1]), atof(t, band[2])
	slack := w * inFlight
	bars := errRe.FindAllStringSubmatch(svg, -1)
	require.NotEmpty(t, bars, "5xx answers are drawn")
	inside, before := 0, 0
	for _, b := range bars {
		x, bw := atof(t, b[1]), atof(t, b[2])
		switch {
		// A /result sent before the outage whose view reached the broker
		// after it went down: one bar and the longest view of slack.
		case x+bw < from-bw-slack-1:
			before++
		case x >= from-1 && x+bw <= from+w+1:
			inside++
		}
	}
	// No 5xx before the broker goes down (but for views sent just before it
	// that ran into it), and most of them while it is down.
	// The rest come just after the heal, until the publisher has
	// reconnected, which under -race on a busy runner spans more model time
	// (70 of 81 bars inside, once, in CI).
	require.Zero(t, before, "5xx bars before the band [%v, %v]", from, from+w)
	require.Greater(t, 2*inside, len(bars), "%d of %d 5xx bars lie within the band [%v, %v]", inside, len(bars), from, from+w)
	var tips bytes.Buffer
	for _, b := range bars {
		tips.WriteString(b[3] + "\n")
	}
	require.True(t, strings.Contains(tips.String(), "result"), "the 5xx are /result's: %s", tips.String())
}

func atof(t *testing.T, s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v
}
