// Package runfolder owns the folders a run, a suite and a comparison leave
// behind: the names of the files in them, writing them, and reading them
// back, so that `report`, `--baseline` and `trend` all find runs the same
// way. A folder is told by what it holds, never by what it is called.
package runfolder

// The files of a run's folder.
const (
	// SummaryFile is the run's record and verdicts (package summary).
	SummaryFile = "summary.json"
	// HistoryFile is what the charts are drawn from, so that `report` can
	// draw them again, and new ones, without running again.
	HistoryFile = "history.json.gz"
	// ReportFile is the run's HTML page.
	ReportFile = "report.html"
	// JUnitFile is the verdicts for CI; a suite and a comparison write one
	// of all their runs as well.
	JUnitFile = "junit.xml"
	// LogFile is the run's log.
	LogFile = "run.log"
	// ResultsFile is every request the run sent, for vegeta report, plot
	// and encode.
	ResultsFile = "results.bin"
)

// IndexFile is a suite's page: every run's verdict, headline finding and
// small multiples, linking to each run's ReportFile.
const IndexFile = "index.html"

// runFiles are the files a run's page links to, when its folder has them,
// in the order it lists them.
func runFiles() []string {
	return []string{SummaryFile, JUnitFile, LogFile, ResultsFile, HistoryFile}
}

// The files only a comparison's folder holds beside its runs.
const (
	ComparisonFile     = "comparison.html"
	ComparisonJSONFile = "compare.json"
)
