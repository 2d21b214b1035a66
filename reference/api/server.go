// Package api is the reference's HTTP surface: Antenna's API v2 as the real
// worker client uses it (DESIGN.md §2), on net/http.
package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/strategy"
)

// Server answers the API. Build it with New.
type Server struct {
	store    *store.Store
	strategy strategy.Strategy
	results  broker.Broker
	supply   Supply
	token    string
	metrics  *metrics.Metrics
	log      *slog.Logger
	clock    modeltime.Clock
	jobs     *jobCache
	auth     *authenticator
	replica  int
}

// Config is what New needs.
type Config struct {
	Store    *store.Store
	Strategy strategy.Strategy
	// Results is the queue /result hands each result to for processing:
	// the heartbeat's queue (heartbeat_queue: shared) or one of its own.
	Results broker.Broker
	Supply  Supply
	Token   string // the shared token; per-service tokens are antenna.ServiceToken
	Metrics *metrics.Metrics
	Log     *slog.Logger
	Clock   modeltime.Clock
	// JobCacheTTL is how long (wall) a job row is served from memory, as
	// Antenna's ORM reads go through a query cache.
	JobCacheTTL time.Duration
	Replica     int
}

// New builds a server.
func New(c Config) *Server {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Server{
		store: c.Store, strategy: c.Strategy, results: c.Results, supply: c.Supply, token: c.Token,
		metrics: c.Metrics, log: c.Log, clock: c.Clock, replica: c.Replica,
		jobs: newJobCache(c.Store, c.JobCacheTTL),
		auth: newAuthenticator(c.Token, c.Store),
	}
}

// ForgetJob drops a job from the job cache at once: it completed, and its
// row must be read again (a job cache entry otherwise lives JobCacheTTL).
func (s *Server) ForgetJob(id int64) { s.jobs.forget(id) }

// Handler routes every endpoint, /metrics included.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// The real worker client asks without the trailing slash; both forms are
	// answered directly rather than redirected, which saves it a round trip.
	for _, r := range []struct {
		patterns []string
		h        http.Handler
	}{
		{antenna.ListRoutes(), s.route("jobs_list", s.listJobs)},
		{antenna.TasksRoutes(), s.route("tasks", s.tasks)},
		{antenna.ResultRoutes(), s.route("result", s.result)},
	} {
		for _, p := range r.patterns {
			mux.Handle(p, r.h)
		}
	}
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "strategy": s.strategy.Name()})
	})
	mux.Handle("/", s.route("other", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not found: "+r.Method+" "+r.URL.Path)
	}))
	return mux
}

// route authenticates, recovers, and counts one endpoint.
func (s *Server) route(name string, h http.HandlerFunc) http.Handler {
	latency := s.metrics.Latency.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				// Bad input must never take the server down; a panic here is
				// our bug, reported as one without killing the process.
				s.log.Error("handler panicked", "route", name, "panic", p)
				if !rw.wrote {
					writeError(rw, http.StatusInternalServerError, "internal error")
				}
			}
			latency.Observe(time.Since(start).Seconds())
			s.metrics.Requests.WithLabelValues(name, strconv.Itoa(rw.code)).Inc()
		}()
		if name != "other" {
			id, ok := s.auth.check(r)
			if !ok {
				writeError(rw, http.StatusUnauthorized, "Invalid token.")
				return
			}
			r = r.WithContext(withService(r.Context(), id))
		}
		h(rw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.code, w.wrote = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers in Django REST framework's shape: {"detail": "..."}.
func writeError(w http.ResponseWriter, code int, detail string) {
	writeJSON(w, code, map[string]string{"detail": detail})
}
