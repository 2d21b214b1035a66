package main

import (
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"

	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/summary"
)

// trendFlags declares trend's flags, for cmdTrend to parse and for help and
// docs/cli.md to list.
func trendFlags() (fs *flag.FlagSet, names *string, asCSV *bool, html *string) {
	fs = newFlags("trend")
	names = fs.String("metrics", "", "comma-separated metrics (default: the ones a baseline checks; all: "+strings.Join(metric.Names(), ", ")+")")
	asCSV = fs.Bool("csv", false, "print CSV instead of a table")
	html = fs.String("html", "", "also write the trend as an HTML page with a chart per metric to this file")
	return fs, names, asCSV, html
}

// cmdTrend prints one line per run found under the folders given, oldest
// first, with the chosen metrics: a nightly job's trend. It was the history
// command; history names a run's record (harness/history) too.
func cmdTrend(args []string, stdout io.Writer) error {
	fs, names, asCSV, html := trendFlags()
	dirs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return commandLinef("trend: give one or more run, suite or compare folders (or summary.json files)")
	}
	metrics := metric.Checked()
	if *names != "" {
		if metrics, err = metric.Parse(*names); err != nil {
			return usagef("--metrics: %w", err)
		}
	}
	var runs []summary.Summary
	for _, d := range dirs {
		folder, err := runfolder.Read(d)
		if err != nil {
			return usagef("trend %s: %w", d, err)
		}
		runs = append(runs, folder.Summaries()...)
	}
	if *html != "" {
		if err := runfolder.WriteFile(*html, func(w io.Writer) error { return reports.WriteTrendHTML(w, runs, metrics) }); err != nil {
			return usageError{err}
		}
	}
	if *asCSV {
		return reports.WriteTrendCSV(stdout, runs, metrics)
	}
	if err := reports.WriteTrend(stdout, runs, metrics); err != nil {
		return err
	}
	if *html != "" {
		_, err := io.WriteString(stdout, "chart: "+filepath.Clean(*html)+"\n")
		return err
	}
	return nil
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (trend DIR --csv), where flag.Parse alone stops at
// the first positional one.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, errHelpShown
		} else if err != nil {
			return nil, usageError{commandLineError{err}}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
