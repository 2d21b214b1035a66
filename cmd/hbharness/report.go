package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/runfolder"
)

const reportUsage = `usage: hbharness report DIR

Renders again every output of the runs saved in DIR, from their summary.json
and history.json.gz, so that old runs gain new charts without running again:
  a run's folder         report.html, junit.xml, and its table on stdout
  a suite's folder       each run's files, the suite's junit.xml and its table
  a comparison's folder  each run's files, comparison.html, compare.json, junit.xml and its table
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
	folder, err := runfolder.Read(dir)
	if err != nil {
		return usagef("report: %w", err)
	}
	sums := folder.Summaries()
	hists := make([]*history.History, len(folder.Runs))
	for i, r := range folder.Runs {
		if hists[i], err = r.History(); err != nil {
			return usagef("report: %w", err)
		}
		if err := runfolder.Render(r.Dir, r.Summary, hists[i]); err != nil {
			return usageError{err}
		}
		if hists[i] == nil {
			fmt.Fprintln(stdout, "note:", r.MissingCharts())
		}
	}
	switch folder.Kind {
	case runfolder.KindRun:
		if err := reports.WriteTable(stdout, sums[0]); err != nil {
			return err
		}
	case runfolder.KindSuite:
		if err := reports.WriteSuiteTable(stdout, sums); err != nil {
			return err
		}
		if err := reports.WriteSuiteFindings(stdout, sums); err != nil {
			return err
		}
		if err := runfolder.WriteSuite(dir, sums); err != nil {
			return usageError{err}
		}
	case runfolder.KindComparison:
		if err := reports.WriteComparison(stdout, sums); err != nil {
			return usageError{err}
		}
		if err := runfolder.WriteComparison(dir, sums, hists); err != nil {
			return usageError{err}
		}
	}
	fmt.Fprintf(stdout, "rendered %s (%s of %d run(s)): %s\n", dir, folder.Kind, len(folder.Runs), renderedFiles(folder.Kind))
	return nil
}

func renderedFiles(k runfolder.Kind) string {
	switch k {
	case runfolder.KindSuite:
		return "each run's report.html and junit.xml, and the suite's junit.xml"
	case runfolder.KindComparison:
		return "each run's report.html and junit.xml, comparison.html, compare.json and junit.xml"
	}
	return "report.html and junit.xml"
}
