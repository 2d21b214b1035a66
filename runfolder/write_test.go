package runfolder

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// What Write leaves, Read finds: the summary, its history, and the pages
// rendered from them.
func TestWriteThenRead(t *testing.T) {
	dir := t.TempDir()
	s := summary.Summary{Scenario: "steady", Strategy: "view-gate", ModelDurationS: 60}
	require.NoError(t, Write(dir, s, &history.History{Duration: time.Minute}))
	for _, name := range []string{SummaryFile, HistoryFile, ReportFile, JUnitFile} {
		require.FileExists(t, filepath.Join(dir, name))
	}
	f, err := Read(dir)
	require.NoError(t, err)
	require.Equal(t, KindRun, f.Kind)
	require.Len(t, f.Runs, 1)
	require.Equal(t, "steady", f.Runs[0].Summary.Scenario)
	require.Equal(t, dir, f.Runs[0].Summary.OutDir)
	h, err := f.Runs[0].History()
	require.NoError(t, err)
	require.Equal(t, time.Minute, h.Duration)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 4, "no temporary file is left behind")
}

// A render that fails leaves the file it was writing as it was.
func TestWriteFileLeavesNothingHalfWritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SummaryFile)
	require.NoError(t, os.WriteFile(path, []byte("before"), 0o644))
	err := WriteFile(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return errors.New("render failed")
	})
	require.ErrorContains(t, err, "render failed")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "before", string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}

// A suite's folder gets its index, which links every run that ran; each
// run's page links back to it and to the run's own files, and rendering
// one run again (report DIR/run) keeps the link.
func TestWriteSuiteLinksIndexAndRuns(t *testing.T) {
	dir := t.TempDir()
	var runs []summary.Summary
	for _, name := range []string{"steady", "broker-outage"} {
		s := summary.Summary{Scenario: name, Strategy: "view-gate", ModelDurationS: 60, OutDir: filepath.Join(dir, name)}
		require.NoError(t, os.MkdirAll(s.OutDir, 0o755))
		require.NoError(t, Write(s.OutDir, s, &history.History{Duration: time.Minute}))
		runs = append(runs, s)
	}
	runs = append(runs, summary.Summary{Scenario: "replica-kill", Strategy: "view-gate", Skipped: "needs replicas"})
	require.NoError(t, WriteSuite(dir, runs, nil))

	index := read(t, filepath.Join(dir, IndexFile))
	for _, want := range []string{`href="steady/report.html"`, `href="broker-outage/report.html"`, `href="junit.xml"`, "replica-kill", "1 skipped"} {
		require.Contains(t, index, want)
	}
	page := read(t, filepath.Join(dir, "steady", ReportFile))
	require.Contains(t, page, `href="../index.html"`, "the run's page links back to its suite")
	for _, f := range []string{SummaryFile, JUnitFile, HistoryFile} {
		require.Contains(t, page, `href="`+f+`"`, "and to its own files")
	}
	require.NotContains(t, page, `href="`+LogFile+`"`, "but not to one it does not have")

	require.Equal(t, filepath.Join(dir, IndexFile), Up(filepath.Join(dir, "steady")))
	require.Empty(t, Up(dir), "a folder whose parent has no index stands alone")
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
