package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hbharness/hbharness/harness/results"
	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/runfolder"
)

// console is where a command's output goes: results (tables, one line per
// finished run of a suite) on stdout; live progress on stderr; logs to
// each run's own run.log, and to stderr as well with -v.
type console struct {
	stdout, stderr io.Writer
	logs           *logRouter
	verbose        bool
	// quiet leaves out a run's own heading, table and files line: a suite
	// prints one line per run, then its table.
	quiet bool
	// progress builds the view of one run's progress (newProgressView).
	progress func(w io.Writer, name string, keep bool) progressView
}

func newConsole(stdout, stderr io.Writer, logs *logRouter) *console {
	return &console{stdout: stdout, stderr: stderr, logs: logs, progress: newProgressView}
}

// register adds -v to a command that runs scenarios.
func (c *console) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.verbose, "v", false, "also show the logs on stderr (they always go to each run's run.log)")
}

// runFiles are what a run writes while it goes on, beside the files
// written at its end: its log and every request as a vegeta result.
type runFiles struct {
	log, results *os.File
	stream       *results.Stream
	view         progressView
	restore      func()
}

// startRun opens dir's run.log and results.bin, sends the logs to the one
// and the requests to the other, and puts the progress view up. close must
// be called whatever the run's outcome: an interrupted run still leaves a
// results file vegeta reads to its end.
func (c *console) startRun(dir, name string, opt *runner.Options) (*runFiles, error) {
	f := &runFiles{}
	var err error
	if f.log, err = os.Create(filepath.Join(dir, runfolder.LogFile)); err != nil {
		return nil, usagef("cannot write the run's log: %v", err)
	}
	if f.results, err = os.Create(filepath.Join(dir, runfolder.ResultsFile)); err != nil {
		f.log.Close()
		return nil, usagef("cannot write the run's results: %v", err)
	}
	f.stream = results.NewStream(f.results, 0)
	f.view = c.progress(c.stderr, name, !c.quiet)
	var echo io.Writer
	if c.verbose {
		echo = f.view.logs()
	}
	f.restore = c.logs.toRun(f.log, echo)
	opt.Results, opt.Progress = f.stream, f.view.update
	return f, nil
}

// close flushes and closes what startRun opened and takes the view down.
// A results file that could not be written whole is an environment error:
// its counts would no longer be the summary's.
func (f *runFiles) close(log *slog.Logger) error {
	serr := f.stream.Close()
	if n := f.stream.Stalls(); n > 0 {
		log.Warn("the results file fell behind the load: generators waited for it", "times", n,
			"file", f.results.Name())
	}
	err := errors.Join(serr, f.results.Close())
	if err == nil {
		// In order of intended sends, which `vegeta plot` needs; a file
		// left unordered by a kill still serves report and encode.
		err = results.Order(f.results.Name())
	}
	f.view.finish()
	f.restore()
	if err = errors.Join(err, f.log.Close()); err != nil {
		return usageError{fmt.Errorf("%s: %w", f.results.Name(), err)}
	}
	return nil
}
