package runfolder

import (
	"io"
	"os"
	"path/filepath"
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
	require.NoError(t, WriteFile(filepath.Join(dir, SummaryFile), func(w io.Writer) error { return summary.WriteJSON(w, s) }))
	if h != nil {
		require.NoError(t, WriteFile(filepath.Join(dir, HistoryFile), func(w io.Writer) error { return history.Save(w, h) }))
	}
}

func TestReadTellsKindsApart(t *testing.T) {
	sum := func(scenario, strategy string) summary.Summary {
		return summary.Summary{Scenario: scenario, Strategy: strategy, ModelDurationS: 60}
	}
	h := &history.History{Duration: time.Minute}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		kind  Kind
		runs  int
		hist  int // runs with a history
	}{
		{"one run", func(t *testing.T, dir string) { saveRun(t, dir, sum("steady", "view-gate"), h) }, KindRun, 1, 1},
		{"one run saved before histories", func(t *testing.T, dir string) { saveRun(t, dir, sum("steady", "view-gate"), nil) }, KindRun, 1, 0},
		{"a suite", func(t *testing.T, dir string) {
			first := sum("steady", "view-gate")
			first.StartedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			then := sum("broker-outage", "view-gate")
			then.StartedAt = first.StartedAt.Add(time.Minute)
			saveRun(t, filepath.Join(dir, "steady"), first, h)
			saveRun(t, filepath.Join(dir, "broker-outage"), then, nil)
			require.NoError(t, os.WriteFile(filepath.Join(dir, JUnitFile), nil, 0o644))
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "not-a-run"), 0o755))
		}, KindSuite, 2, 1},
		{"a comparison, by its page", func(t *testing.T, dir string) {
			saveRun(t, filepath.Join(dir, "a"), sum("steady", "view-gate"), h)
			saveRun(t, filepath.Join(dir, "b"), sum("steady", "inline"), h)
			require.NoError(t, os.WriteFile(filepath.Join(dir, ComparisonFile), nil, 0o644))
		}, KindComparison, 2, 2},
		{"a comparison, by its table", func(t *testing.T, dir string) {
			saveRun(t, filepath.Join(dir, "view-gate", "1"), sum("steady", "view-gate"), h)
			saveRun(t, filepath.Join(dir, "view-gate", "2"), sum("steady", "view-gate"), h)
			saveRun(t, filepath.Join(dir, "inline", "1"), sum("steady", "inline"), nil)
			require.NoError(t, os.WriteFile(filepath.Join(dir, ComparisonJSONFile), nil, 0o644))
		}, KindComparison, 3, 2},
		{"a comparison without its page and table, by folder names alone", func(t *testing.T, dir string) {
			saveRun(t, filepath.Join(dir, "view-gate"), sum("steady", "view-gate"), h)
			saveRun(t, filepath.Join(dir, "inline"), sum("steady", "inline"), h)
		}, KindSuite, 2, 2},
		{"nightly folders of runs", func(t *testing.T, dir string) {
			saveRun(t, filepath.Join(dir, "2026-01-01", "steady"), sum("steady", "view-gate"), nil)
			saveRun(t, filepath.Join(dir, "2026-01-02", "steady"), sum("steady", "view-gate"), nil)
			saveRun(t, filepath.Join(dir, ".hidden", "steady"), sum("steady", "view-gate"), nil)
		}, KindSuite, 2, 0},
		{"one summary.json", func(t *testing.T, dir string) { saveRun(t, dir, sum("steady", "view-gate"), h) }, KindRun, 1, 1},
		{"a suite of one scenario's runs", func(t *testing.T, dir string) {
			saveRun(t, filepath.Join(dir, "redis-blackhole-view-gate"), sum("redis-blackhole", "view-gate"), h)
			saveRun(t, filepath.Join(dir, "redis-blackhole-two-tier"), sum("redis-blackhole", "two-tier"), h)
		}, KindSuite, 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			path := dir
			if tc.name == "one summary.json" {
				path = filepath.Join(dir, SummaryFile)
			}
			f, err := Read(path)
			require.NoError(t, err)
			require.Equal(t, tc.kind, f.Kind)
			require.Len(t, f.Runs, tc.runs)
			require.Len(t, f.Summaries(), tc.runs)
			n := 0
			for _, r := range f.Runs {
				require.Equal(t, r.Dir, r.Summary.OutDir)
				hist, err := r.History()
				require.NoError(t, err)
				if hist != nil {
					n++
				}
			}
			require.Equal(t, tc.hist, n)
			if tc.kind == KindSuite && tc.name == "a suite" {
				require.Equal(t, "steady", f.Runs[0].Summary.Scenario, "in the order they ran, not by folder name")
			}
		})
	}
}

func TestReadRefusesWhatItCannotRead(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) string
		want  string
	}{
		{"missing", func(t *testing.T, dir string) string { return filepath.Join(dir, "gone") }, "no such file"},
		{"a file that is no summary", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "notes.txt")
			require.NoError(t, os.WriteFile(p, []byte("{}"), 0o644))
			return p
		}, `notes.txt: summary has no "schema" field`},
		{"empty", func(t *testing.T, dir string) string { return dir }, "holds no summary.json"},
		{"not a summary", func(t *testing.T, dir string) string {
			require.NoError(t, os.WriteFile(filepath.Join(dir, SummaryFile), []byte(`{"hello": 1}`), 0o644))
			return dir
		}, "not an hbharness summary"},
		{"a broken history", func(t *testing.T, dir string) string {
			saveRun(t, dir, summary.Summary{Scenario: "steady"}, nil)
			require.NoError(t, os.WriteFile(filepath.Join(dir, HistoryFile), []byte("garbage"), 0o644))
			return dir
		}, "history.json.gz: history is not gzip data"},
		{"a broken run in a suite", func(t *testing.T, dir string) string {
			saveRun(t, filepath.Join(dir, "a"), summary.Summary{Scenario: "steady"}, nil)
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "b"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "b", SummaryFile), []byte(`{"schema":"hbharness.summary/v0"}`), 0o644))
			return dir
		}, "summary/v0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Read(tc.setup(t, t.TempDir()))
			for _, r := range f.Runs {
				if err == nil {
					_, err = r.History()
				}
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
