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

// Write writes a run's artefacts into dir: summary.json, the history they
// were drawn from (when h is not nil), junit.xml and report.html.
func Write(dir string, s summary.Summary, h *history.History) error {
	if err := WriteFile(filepath.Join(dir, SummaryFile), func(w io.Writer) error { return summary.WriteJSON(w, s) }); err != nil {
		return err
	}
	if h != nil {
		if err := WriteFile(filepath.Join(dir, HistoryFile), func(w io.Writer) error { return history.Save(w, h) }); err != nil {
			return err
		}
	}
	return Render(dir, s, h, "")
}

// Render writes a run's junit.xml and report.html from its summary and
// history (nil: the page has its tables but no charts). up is the page of
// the suite or comparison the run belongs to, which its page links back
// to ("": none). summary.json is left as it is.
func Render(dir string, s summary.Summary, h *history.History, up string) error {
	if err := WriteFile(filepath.Join(dir, JUnitFile), func(w io.Writer) error { return reports.WriteJUnit(w, []summary.Summary{s}) }); err != nil {
		return err
	}
	links := runLinks(dir, up)
	return WriteFile(filepath.Join(dir, ReportFile), func(w io.Writer) error { return reports.WriteHTML(w, s, h, links) })
}

// Up is the page of the suite or comparison whose folder holds the run in
// dir, for its page to link back to; "" when its parent folder has none.
func Up(dir string) string {
	parent := filepath.Dir(filepath.Clean(dir))
	for _, name := range []string{IndexFile, ComparisonFile} {
		if p := filepath.Join(parent, name); exists(p) {
			return p
		}
	}
	return ""
}

// runLinks are the links of a run's page in dir: back to up (a suite's
// index or a comparison page; "" for none), and to the run's own files it
// has.
func runLinks(dir, up string) reports.RunLinks {
	var l reports.RunLinks
	if up != "" {
		if rel, err := filepath.Rel(dir, up); err == nil {
			text := "the suite's index"
			if filepath.Base(up) == ComparisonFile {
				text = "the comparison"
			}
			l.Up = reports.Link{Text: text, Href: filepath.ToSlash(rel)}
		}
	}
	for _, name := range runFiles() {
		if exists(filepath.Join(dir, name)) {
			l.Files = append(l.Files, reports.Link{Text: name, Href: name})
		}
	}
	return l
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
// junit.xml of them all, and index.html, to which each run's page is
// rendered again to link back. hists holds each run's history in runs'
// order; nil reads them from the runs' folders.
func WriteSuite(dir string, runs []summary.Summary, hists []*history.History) error {
	if err := WriteFile(filepath.Join(dir, JUnitFile), func(w io.Writer) error { return reports.WriteJUnit(w, runs) }); err != nil {
		return err
	}
	if hists == nil {
		var err error
		if hists, err = readHistories(runs); err != nil {
			return err
		}
	}
	index := filepath.Join(dir, IndexFile)
	if err := relink(runs, hists, index); err != nil {
		return err
	}
	files := []reports.Link{{Text: JUnitFile, Href: JUnitFile}}
	return WriteFile(index, func(w io.Writer) error { return reports.WriteSuiteHTML(w, runs, hists, dir, ReportFile, files) })
}

// readHistories reads each run's history from its folder: nil for a run
// that kept none or has no folder (skipped, refused).
func readHistories(runs []summary.Summary) ([]*history.History, error) {
	hists := make([]*history.History, len(runs))
	for i, s := range runs {
		if s.OutDir == "" || !exists(filepath.Join(s.OutDir, SummaryFile)) {
			continue
		}
		h, err := Run{Dir: s.OutDir, Summary: s}.History()
		if err != nil {
			return nil, err
		}
		hists[i] = h
	}
	return hists, nil
}

// relink renders each run's page again, linking back to up.
func relink(runs []summary.Summary, hists []*history.History, up string) error {
	for i, s := range runs {
		if s.OutDir == "" || !exists(filepath.Join(s.OutDir, SummaryFile)) {
			continue
		}
		var h *history.History
		if i < len(hists) {
			h = hists[i]
		}
		if err := Render(s.OutDir, s, h, up); err != nil {
			return err
		}
	}
	return nil
}

// WriteComparison writes what a comparison's folder holds beside its runs:
// comparison.html (hists, one per run or nil, draw the strategies over
// time), compare.json and the junit.xml of them all.
func WriteComparison(dir string, runs []summary.Summary, hists []*history.History) error {
	if err := relink(runs, hists, filepath.Join(dir, ComparisonFile)); err != nil {
		return err
	}
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
