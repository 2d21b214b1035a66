// Package api is the reference's HTTP surface: Antenna's API v2 as the real
// worker client uses it (docs/design.md#wire-protocol), on net/http.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/cachalot"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/reference/webtier"
)

// Server answers the API. Build it with New.
type Server struct {
	store     *store.Store
	strategy  strategy.Strategy
	results   broker.Broker
	supply    Supply
	token     string
	metrics   *metrics.Metrics
	log       *slog.Logger
	clock     modeltime.Clock
	jobs      *jobCache
	auth      *authenticator
	replica   int
	webDB     *pgxpool.Pool
	cache     *cachalot.Cache
	slots     *webtier.Slots
	gil       *webtier.GIL
	conns     *webtier.Connections
	jobLog    string
	viewTimes *viewTimes
	// offlineAfter is PROCESSING_SERVICE_LAST_SEEN_MAX (model), for status.
	offlineAfter time.Duration
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
	// WebDB is the pool the views' transactions take their connections
	// from (Store's own pool when nil).
	WebDB *pgxpool.Pool
	// Cache is cachalot on the replica's Redis; nil leaves it out.
	Cache *cachalot.Cache
	// Slots and Connections bound the web tier (see webtier); nil is
	// unbounded.
	Slots       *webtier.Slots
	GIL         *webtier.GIL
	Connections *webtier.Connections
	// JobLog is where job.logger lines go (settings.JobLog*).
	JobLog string
	// OfflineAfter is PROCESSING_SERVICE_LAST_SEEN_MAX (model time): how
	// old a last_seen the status read still calls live.
	OfflineAfter time.Duration
}

// New builds a server.
func New(c Config) *Server {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.WebDB == nil {
		c.WebDB = c.Store.Pool()
	}
	if c.JobLog == "" {
		c.JobLog = settings.JobLogTable
	}
	return &Server{
		store: c.Store, strategy: c.Strategy, results: c.Results, supply: c.Supply, token: c.Token,
		metrics: c.Metrics, log: c.Log, clock: c.Clock, replica: c.Replica,
		jobs:  newJobCache(c.Store, c.JobCacheTTL),
		auth:  newAuthenticator(c.Token, c.Store),
		webDB: c.WebDB, cache: c.Cache, slots: c.Slots, gil: c.GIL, conns: c.Connections, jobLog: c.JobLog,
		viewTimes: newViewTimes(c.Metrics), offlineAfter: c.OfflineAfter,
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
		{antenna.StatusRoutes(), s.route("status", s.status)},
		{antenna.RegisterRoutes(), s.route("register", s.register)},
	} {
		for _, p := range r.patterns {
			mux.Handle(p, r.h)
		}
	}
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "strategy": s.strategy.Name()})
	})
	mux.Handle("/", s.route("other", func(w http.ResponseWriter, r *http.Request, _ *view) {
		writeError(w, http.StatusNotFound, "Not found: "+r.Method+" "+r.URL.Path)
	}))
	return mux
}

// viewFunc is one endpoint's view: it answers on w, in v's transaction.
type viewFunc func(w http.ResponseWriter, r *http.Request, v *view)

// route runs one endpoint as Antenna's web tier runs a view: it waits for a
// slot, holds a database connection (or is refused with a 500 when none is
// left), authenticates (a cachable read), runs the view in one transaction,
// ends it, and only then answers. It also recovers and counts.
func (s *Server) route(name string, h viewFunc) http.Handler {
	latency := s.metrics.Latency.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			latency.Observe(time.Since(start).Seconds())
			s.metrics.Requests.WithLabelValues(name, strconv.Itoa(rw.code)).Inc()
		}()
		if name == "other" {
			h(rw, r, nil)
			return
		}
		ctx := r.Context()
		leave, waited, err := s.slots.Enter(ctx)
		s.metrics.WebQueue.Observe(waited.Seconds())
		if err != nil {
			rw.code = 499 // the client left while queued; nothing can be answered
			return
		}
		defer leave()
		s.metrics.WebInFlight.Inc()
		defer s.metrics.WebInFlight.Dec()
		held := time.Now()
		defer func() { s.viewTimes.observe(name, time.Since(held)) }()
		cpuWait, err := s.gil.Run(ctx)
		s.metrics.WebCPUWait.Observe(cpuWait.Seconds())
		if err != nil {
			rw.code = 499 // the process died under it; nothing is answered
			return
		}
		done, err := s.conns.Take()
		if err != nil {
			s.metrics.WebRefused.Inc()
			s.log.Warn("request refused: no database connection left", "route", name, "err", err)
			// Django's answer to an OperationalError raised on connect.
			http.Error(rw, "Server Error (500)", http.StatusInternalServerError)
			return
		}
		defer done()
		v := s.newView()
		out := newBuffered()
		func() {
			defer func() {
				if p := recover(); p != nil {
					// Bad input must never take the server down; a panic here is
					// our bug, reported as one without killing the process.
					s.log.Error("handler panicked", "route", name, "panic", p)
					v.rollback = true
					out = newBuffered()
					writeError(out, http.StatusInternalServerError, "internal error")
				}
			}()
			if tok, ok := antenna.TokenFrom(r.Header.Get("Authorization")); ok {
				// TokenAuthentication: Token.objects.select_related("user").get(key=...)
				v.read(ctx, tokenQuery(tok), store.TableToken, store.TableUser)
			}
			id, ok := s.auth.check(r)
			if !ok {
				writeError(out, http.StatusUnauthorized, "Invalid token.")
				return
			}
			h(out, r.WithContext(withService(ctx, id)), v)
		}()
		if err := v.end(context.WithoutCancel(ctx)); err != nil {
			// A failed COMMIT is an exception out of the atomic block: a 500.
			s.log.Warn("request's transaction failed to end", "route", name, "err", err)
			out = newBuffered()
			writeError(out, http.StatusInternalServerError, "internal error")
		}
		out.sendTo(rw)
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
