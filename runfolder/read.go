package runfolder

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// Kind is what a folder of saved runs holds.
type Kind string

const (
	// KindRun is one run's folder: its summary.json at the top.
	KindRun Kind = "run"
	// KindSuite is any other folder of runs: a suite's, or a folder of
	// nightly runs, suites and comparisons.
	KindSuite Kind = "suite"
	// KindComparison is a comparison's folder: its runs, and the
	// comparison.html or compare.json that compare writes beside them.
	KindComparison Kind = "comparison"
)

// Folder is what Read found.
type Folder struct {
	// Path is what was read: a folder, or one summary.json.
	Path string
	Kind Kind
	// Runs are in the order they ran; each summary's OutDir is its folder.
	Runs []Run
}

// Run is one run found in a folder.
type Run struct {
	Dir     string
	Summary summary.Summary
}

// Summaries lists the runs' summaries, in the order they ran.
func (f Folder) Summaries() []summary.Summary {
	out := make([]summary.Summary, len(f.Runs))
	for i, r := range f.Runs {
		out[i] = r.Summary
	}
	return out
}

// Read reads the runs saved at path: one run's folder, a suite's or a
// comparison's, any folder with runs somewhere below it, or one summary.json.
// It reads summaries only; History reads a run's history when it is wanted.
func Read(path string) (Folder, error) {
	f := Folder{Path: path, Kind: KindRun}
	fi, err := os.Stat(path)
	if err != nil {
		return f, fmt.Errorf("%w (give a folder a run, suite or compare wrote with --out, or a summary.json)", err)
	}
	if !fi.IsDir() {
		s, err := readSummary(path)
		if err != nil {
			return f, err
		}
		f.Runs = []Run{{Dir: s.OutDir, Summary: s}}
		return f, nil
	}
	if exists(filepath.Join(path, SummaryFile)) {
		s, err := readSummary(filepath.Join(path, SummaryFile))
		if err != nil {
			return f, err
		}
		f.Runs = []Run{{Dir: path, Summary: s}}
		return f, nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case !d.IsDir():
			return nil
		case p != path && strings.HasPrefix(d.Name(), "."):
			return filepath.SkipDir
		case !exists(filepath.Join(p, SummaryFile)):
			return nil
		}
		s, err := readSummary(filepath.Join(p, SummaryFile))
		if err != nil {
			return err
		}
		f.Runs = append(f.Runs, Run{Dir: p, Summary: s})
		return filepath.SkipDir // a run's folder holds no other runs
	})
	if err != nil {
		return f, err
	}
	if len(f.Runs) == 0 {
		return f, fmt.Errorf("%s holds no %s, nor does any folder in it: give a folder a run, suite or compare wrote with --out, or a %s",
			path, SummaryFile, SummaryFile)
	}
	// In the order they ran, as the suite's and the comparison's tables
	// listed them; folder names sort otherwise.
	slices.SortStableFunc(f.Runs, func(a, b Run) int { return a.Summary.StartedAt.Compare(b.Summary.StartedAt) })
	f.Kind = KindSuite
	if exists(filepath.Join(path, ComparisonFile)) || exists(filepath.Join(path, ComparisonJSONFile)) {
		f.Kind = KindComparison
	}
	return f, nil
}

// History reads the history the run's charts are drawn from; nil, and no
// error, when the run saved none (it predates saved histories).
func (r Run) History() (*history.History, error) {
	path := filepath.Join(r.Dir, HistoryFile)
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	defer f.Close()
	h, err := history.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (delete it to render %s without charts)", path, err, r.Dir)
	}
	return h, nil
}

// MissingCharts says what a run saved without its history cannot show.
func (r Run) MissingCharts() string {
	return fmt.Sprintf("%s has no %s (the run predates saved histories): %s has the verdicts and tables, "+
		"but not the charts of dispatches, staleness, liveness, requests, latency, errors and dispatches per window", r.Dir, HistoryFile, ReportFile)
}

// ReadSummary reads one run's summary.json: path is the file, or the run's
// folder. Its OutDir is the folder it was found in.
func ReadSummary(path string) (summary.Summary, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, SummaryFile)
	}
	return readSummary(path)
}

func readSummary(path string) (summary.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return summary.Summary{}, err
	}
	defer f.Close()
	s, err := summary.ReadJSON(f)
	if err != nil {
		return summary.Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	s.OutDir = filepath.Dir(path)
	return s, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
