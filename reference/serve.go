package reference

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server is one replica answering HTTP on a listener with its task workers
// and checker running: what `hbharness serve` runs alone and what a run
// starts once per replica.
type Server struct {
	// URL is the base URL the listener answers on.
	URL    string
	http   *http.Server
	failed chan error
	cancel context.CancelFunc
	done   chan struct{}
	newWeb func() *http.Server
	// die ends the current web process's views (see views).
	die context.CancelFunc
}

// Serve starts r on ln and returns at once. The background work outlives
// ctx's cancellation on purpose: a run drains the queue after its load has
// stopped, so only Shutdown ends it.
func (r *Reference) Serve(ctx context.Context, ln net.Listener, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{
		failed: make(chan error, 1),
		cancel: cancel,
		done:   make(chan struct{}),
	}
	s.newWeb = func() *http.Server {
		life, die := context.WithCancel(context.WithoutCancel(ctx))
		s.die = die
		return &http.Server{Handler: views(life, r.Handler), ReadHeaderTimeout: 10 * time.Second,
			// net/http's own complaints (a client that hung up) are noise
			// at load; keep them for debugging.
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	}
	go func() { r.Run(bg); close(s.done) }()
	s.serveWeb(ln)
	return s
}

func (s *Server) serveWeb(ln net.Listener) {
	s.URL, s.http = "http://"+ln.Addr().String(), s.newWeb()
	web := s.http
	go func() {
		if err := web.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			select {
			case s.failed <- err:
			default:
			}
		}
	}()
}

// views runs each request's view as Django runs a sync view: a client that
// hangs up does not stop it (its thread runs to the end, holding its
// transaction and its connection), only the death of its process does.
func views(life context.Context, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		defer cancel()
		stop := context.AfterFunc(life, cancel)
		defer stop()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// KillWeb stops the web process alone, as a crashed web replica: its
// listener and every open connection close with requests in flight
// unanswered, and their views end. Task workers are other processes in
// Antenna (Celery), so they, and the checker, carry on.
func (s *Server) KillWeb() {
	_ = s.http.Close()
	s.die()
}

// ReviveWeb starts a new web process on ln after KillWeb: same code and
// settings, a new address (URL changes).
func (s *Server) ReviveWeb(ln net.Listener) { s.serveWeb(ln) }

// Failed delivers the error of an HTTP server that stopped by itself.
func (s *Server) Failed() <-chan error { return s.failed }

// Shutdown stops taking requests, lets those in flight finish until ctx
// ends, then stops the background work and waits for it.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.die() // views still running past ctx die with the process
	if errors.Is(err, http.ErrServerClosed) {
		err = nil // its web process was killed before: the workers still stop here
	}
	s.cancel()
	<-s.done
	return err
}
