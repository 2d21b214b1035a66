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
