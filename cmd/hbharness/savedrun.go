package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// The files a run leaves in its folder that `report` reads back.
const (
	summaryFile = "summary.json"
	historyFile = "history.json.gz"
)

// savedRun is one run read back from its folder: its summary and, when the
// run saved it, the history its charts are drawn from.
type savedRun struct {
	dir     string
	summary summary.Summary
	history *history.History // nil: the run predates saved histories
}

// folderKind is what a folder of saved runs holds.
type folderKind string

const (
	kindRun        folderKind = "run"
	kindSuite      folderKind = "suite"
	kindComparison folderKind = "comparison"
)

// readFolder reads what dir holds: one run (dir/summary.json), or a suite or
// a comparison (a summary.json in each subfolder). A comparison is told
// from a suite by the files compare writes beside its runs
// (comparison.html, compare.json) or, when those are gone, by compare's
// folder names: each run in a folder named for its strategy, all of one
// scenario.
func readFolder(dir string) (folderKind, []savedRun, error) {
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return "", nil, usagef("report: %v (give the folder a run, suite or compare wrote with --out)", err)
	case !fi.IsDir():
		return "", nil, usagef("report: %s is not a folder (give the folder a run, suite or compare wrote with --out)", dir)
	}
	if exists(filepath.Join(dir, summaryFile)) {
		r, err := readRun(dir)
		if err != nil {
			return "", nil, err
		}
		return kindRun, []savedRun{r}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, usagef("report: %v", err)
	}
	var runs []savedRun
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if !e.IsDir() || !exists(filepath.Join(sub, summaryFile)) {
			continue
		}
		r, err := readRun(sub)
		if err != nil {
			return "", nil, err
		}
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return "", nil, usagef("report: %s holds no %s, nor does any folder in it: give the folder a run, suite or compare wrote with --out", dir, summaryFile)
	}
	// In the order they ran, as the suite's and the comparison's tables
	// listed them; folder names sort otherwise.
	slices.SortStableFunc(runs, func(a, b savedRun) int { return a.summary.StartedAt.Compare(b.summary.StartedAt) })
	if isComparison(dir, runs) {
		return kindComparison, runs, nil
	}
	return kindSuite, runs, nil
}

func isComparison(dir string, runs []savedRun) bool {
	if exists(filepath.Join(dir, "comparison.html")) || exists(filepath.Join(dir, "compare.json")) {
		return true
	}
	if len(runs) < 2 {
		return false
	}
	return !slices.ContainsFunc(runs, func(r savedRun) bool {
		return filepath.Base(r.dir) != r.summary.Strategy || r.summary.Scenario != runs[0].summary.Scenario
	})
}

// readRun reads one run's folder. A missing history is no error (the run
// predates them); an unreadable one is.
func readRun(dir string) (savedRun, error) {
	r := savedRun{dir: dir}
	path := filepath.Join(dir, summaryFile)
	f, err := os.Open(path)
	if err != nil {
		return r, usagef("report: %v", err)
	}
	r.summary, err = summary.ReadJSON(f)
	f.Close()
	if err != nil {
		return r, usagef("report: %s: %v", path, err)
	}
	r.summary.OutDir = dir
	path = filepath.Join(dir, historyFile)
	f, err = os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return r, nil
	case err != nil:
		return r, usagef("report: %v", err)
	}
	defer f.Close()
	if r.history, err = history.Load(f); err != nil {
		return r, usagef("report: %s: %v (delete it to render %s without charts)", path, err, dir)
	}
	return r, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// missingCharts says what a run without a saved history cannot show.
func missingCharts(r savedRun) string {
	return fmt.Sprintf("%s has no %s (the run predates saved histories): report.html has the verdicts and tables, "+
		"but not the charts of dispatches, staleness, liveness, requests, latency, errors and dispatches per window", r.dir, historyFile)
}
