package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/summary"
)

const reportUsage = `usage: hbharness report DIR

Renders again every output of the runs saved in DIR, from their summary.json
and history.json.gz, so that old runs gain new charts without running again:
  a run's folder         report.html, junit.xml, and its table on stdout
  a suite's folder       each run's files, the suite's junit.xml and its table
  a comparison's folder  each run's files, comparison.html, junit.xml and its table
summary.json is read, never rewritten. A run saved without its history gets
the tables but not the charts, and report says so.
`

// cmdReport re-renders saved runs: `hbharness report DIR`. It judges
// nothing again: verdicts are read from summary.json as the run wrote them.
// It exits 0 once everything is rendered, whatever the verdicts, and 2 for
// a folder it cannot read.
func cmdReport(_ context.Context, args []string, stdout io.Writer, _ *slog.Logger) error {
	fs := newFlags("report", stdout)
	fs.Usage = func() { fmt.Fprint(fs.Output(), reportUsage) }
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return errHelpShown
	} else if err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usagef("report takes one folder, got %d arguments\n\n%s", fs.NArg(), reportUsage)
	}
	dir := fs.Arg(0)
	kind, runs, err := readFolder(dir)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if err := renderRun(r); err != nil {
			return err
		}
		if r.history == nil {
			fmt.Fprintln(stdout, "note:", missingCharts(r))
		}
	}
	sums := make([]summary.Summary, len(runs))
	hists := make([]*history.History, len(runs))
	for i, r := range runs {
		sums[i], hists[i] = r.summary, r.history
	}
	switch kind {
	case kindRun:
		if err := reports.WriteTable(stdout, sums[0]); err != nil {
			return err
		}
	case kindSuite:
		if err := reports.WriteSuiteTable(stdout, sums); err != nil {
			return err
		}
		if err := reports.WriteSuiteFindings(stdout, sums); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, "junit.xml"), func(w io.Writer) error { return reports.WriteJUnit(w, sums) }); err != nil {
			return usageError{err}
		}
	case kindComparison:
		if err := reports.WriteComparison(stdout, sums); err != nil {
			return usageError{err}
		}
		if err := writeFile(filepath.Join(dir, "comparison.html"), func(w io.Writer) error { return reports.WriteComparisonHTML(w, sums, dir, hists) }); err != nil {
			return usageError{err}
		}
		if err := writeFile(filepath.Join(dir, "junit.xml"), func(w io.Writer) error { return reports.WriteJUnit(w, sums) }); err != nil {
			return usageError{err}
		}
	}
	fmt.Fprintf(stdout, "rendered %s (%s of %d run(s)): %s\n", dir, kind, len(runs), renderedFiles(kind))
	return nil
}

// renderRun writes a saved run's report.html and junit.xml again.
func renderRun(r savedRun) error {
	if err := writeFile(filepath.Join(r.dir, "report.html"), func(w io.Writer) error { return reports.WriteHTML(w, r.summary, r.history) }); err != nil {
		return usageError{err}
	}
	if err := writeFile(filepath.Join(r.dir, "junit.xml"), func(w io.Writer) error { return reports.WriteJUnit(w, []summary.Summary{r.summary}) }); err != nil {
		return usageError{err}
	}
	return nil
}

func renderedFiles(k folderKind) string {
	switch k {
	case kindSuite:
		return "each run's report.html and junit.xml, and the suite's junit.xml"
	case kindComparison:
		return "each run's report.html and junit.xml, comparison.html and junit.xml"
	}
	return "report.html and junit.xml"
}
