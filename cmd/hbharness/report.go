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

// cmdReport re-renders saved runs: `hbharness report DIR`. It judges
// nothing again: verdicts are read from summary.json as the run wrote them.
// It exits 0 once everything is rendered, whatever the verdicts, and 2 for
// a folder it cannot read.
func cmdReport(_ context.Context, args []string, stdout io.Writer, _ *slog.Logger) error {
	fs := newFlags("report")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return errHelpShown
	} else if err != nil {
		return usageError{commandLineError{err}}
	}
	if fs.NArg() != 1 {
		return commandLinef("report takes one folder, got %d arguments", fs.NArg())
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
		if hists[i] == nil {
			fmt.Fprintln(stdout, "note:", r.MissingCharts())
		}
	}
	switch folder.Kind {
	case runfolder.KindRun:
		// A suite's and a comparison's runs are rendered with their
		// folder's page, which they link back to.
		if err := runfolder.Render(folder.Runs[0].Dir, sums[0], hists[0], runfolder.Up(folder.Runs[0].Dir)); err != nil {
			return usageError{err}
		}
		if err := reports.WriteTable(stdout, sums[0]); err != nil {
			return err
		}
	case runfolder.KindSuite:
		if err := reports.WriteSuiteTable(stdout, sums, colourOn(stdout)); err != nil {
			return err
		}
		if err := reports.WriteSuiteFindings(stdout, sums); err != nil {
			return err
		}
		if err := runfolder.WriteSuite(dir, sums, hists); err != nil {
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
		return "each run's report.html and junit.xml, and the suite's junit.xml and index.html"
	case runfolder.KindComparison:
		return "each run's report.html and junit.xml, comparison.html, compare.json and junit.xml"
	}
	return "report.html and junit.xml"
}
