package runfolder

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/summary"
)

// Write writes a run's artefacts into dir: summary.json, report.html,
// junit.xml and, when h is not nil, the history they were drawn from.
func Write(dir string, s summary.Summary, h *history.History) error {
	if err := WriteFile(filepath.Join(dir, SummaryFile), func(w io.Writer) error { return summary.WriteJSON(w, s) }); err != nil {
		return err
	}
	if err := Render(dir, s, h); err != nil {
		return err
	}
	if h == nil {
		return nil
	}
	return WriteFile(filepath.Join(dir, HistoryFile), func(w io.Writer) error { return history.Save(w, h) })
}

// Render writes a run's report.html and junit.xml from its summary and
// history (nil: the page has its tables but no charts). summary.json is left
// as it is.
func Render(dir string, s summary.Summary, h *history.History) error {
	if err := WriteFile(filepath.Join(dir, ReportFile), func(w io.Writer) error { return reports.WriteHTML(w, s, h) }); err != nil {
		return err
	}
	return WriteFile(filepath.Join(dir, JUnitFile), func(w io.Writer) error { return reports.WriteJUnit(w, []summary.Summary{s}) })
}

// WriteVerdicts rewrites what carries a run's verdicts, summary.json and
// junit.xml, once something was added to them after the run (its check
// against a baseline).
func WriteVerdicts(dir string, s summary.Summary) error {
	if err := WriteFile(filepath.Join(dir, SummaryFile), func(w io.Writer) error { return summary.WriteJSON(w, s) }); err != nil {
		return err
	}
	return WriteFile(filepath.Join(dir, JUnitFile), func(w io.Writer) error { return reports.WriteJUnit(w, []summary.Summary{s}) })
}

// WriteSuite writes what a suite's folder holds beside its runs: the
// junit.xml of them all.
func WriteSuite(dir string, runs []summary.Summary) error {
	return WriteFile(filepath.Join(dir, JUnitFile), func(w io.Writer) error { return reports.WriteJUnit(w, runs) })
}

// WriteComparison writes what a comparison's folder holds beside its runs:
// comparison.html (hists, one per run or nil, draw the strategies over
// time), compare.json and the junit.xml of them all.
func WriteComparison(dir string, runs []summary.Summary, hists []*history.History) error {
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{ComparisonFile, func(w io.Writer) error { return reports.WriteComparisonHTML(w, runs, dir, ReportFile, hists) }},
		{ComparisonJSONFile, func(w io.Writer) error { return reports.WriteComparisonJSON(w, runs, dir) }},
		{JUnitFile, func(w io.Writer) error { return reports.WriteJUnit(w, runs) }},
	}
	for _, f := range files {
		if err := WriteFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes through a temporary file so a failed render never
// leaves a truncated file behind.
func WriteFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
