package main

import (
	"io"
	"sync"
)

// logRouter is where the process's log lines go. While a run goes on they
// go to its own run.log, and also to echo with -v; outside a run (serve,
// gc, a command's own warnings) they go to stderr, as they always did.
// Every slog record arrives as one Write, so switching between runs never
// splits a line.
type logRouter struct {
	stderr io.Writer

	mu   sync.Mutex
	file io.Writer // the current run's run.log; nil outside a run
	echo io.Writer // with -v: where a run's lines are shown too
}

func newLogRouter(stderr io.Writer) *logRouter { return &logRouter{stderr: stderr} }

func (r *logRouter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.file == nil {
		return r.stderr.Write(p)
	}
	if r.echo != nil {
		// Showing a line is a courtesy; the file is the record.
		_, _ = r.echo.Write(p)
	}
	return r.file.Write(p)
}

// toRun sends lines to file, and to echo too when it is not nil, until the
// returned function puts them back on stderr.
func (r *logRouter) toRun(file, echo io.Writer) (restore func()) {
	r.mu.Lock()
	r.file, r.echo = file, echo
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.file, r.echo = nil, nil
		r.mu.Unlock()
	}
}
