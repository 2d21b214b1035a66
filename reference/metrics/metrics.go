// Package metrics holds the reference's Prometheus instruments, on a registry
// of its own per server so that several replicas in one process (the
// multi-replica scenario, tests) never share counters.
package metrics

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metrics is one server's set of instruments.
type Metrics struct {
	Registry    *prometheus.Registry
	Gate        *prometheus.CounterVec // result: won|suppressed|error
	Dispatch    *prometheus.CounterVec // result: enqueued|error
	Task        *prometheus.CounterVec // result: ok|error|skipped|killed
	RowsUpdated prometheus.Counter
	Offline     prometheus.Counter
	Results     *prometheus.CounterVec // result: enqueued|error|processed
	Requests    *prometheus.CounterVec // route, code
	Latency     *prometheus.HistogramVec

	// The web tier (reference/webtier).
	WebQueue   prometheus.Histogram // seconds a request waited for a slot
	WebCPUWait prometheus.Histogram // seconds a request waited for a worker process's GIL
	// WebView times a request's view from its slot to its answer: how long
	// it held a web worker's thread and its database connection, whether
	// or not its client was still waiting. WebViewMax is the longest.
	WebView     *prometheus.HistogramVec // route
	WebViewMax  *prometheus.GaugeVec     // route
	WebInFlight prometheus.Gauge         // requests in their views now
	WebRefused  prometheus.Counter       // requests refused: no database connection left
	WebConnWait prometheus.Histogram     // seconds a view waited for a pooled connection
	// Cachalot counts django-cachalot's Redis round trips by kind (read,
	// invalidate) and result (ok, error).
	Cachalot *prometheus.CounterVec
	// HeartbeatUpdate times the heartbeat UPDATE where it runs (the view
	// under inline, the task otherwise), row-lock waits included.
	HeartbeatUpdate *prometheus.HistogramVec // where: view|task
	// The database's lock picture, read from Postgres itself (see
	// reference/dbwatch): backends waiting on a lock now, the waiting
	// integrated over time, and deadlocks Postgres detected and broke.
	DBLockWaiters     prometheus.Gauge
	DBLockWaitSeconds prometheus.Counter
	DBDeadlocks       prometheus.Counter
	// Deadlocks the reference's own statements lost (SQLSTATE 40P01).
	DeadlockErrors prometheus.Counter
	// Reserve counts /tasks reservations from the task queue by result:
	// tasks, empty, unavailable (answered 503); ReserveLatency times them.
	Reserve        *prometheus.CounterVec
	ReserveLatency prometheus.Histogram
	// Acks counts task acknowledgements by result (ok, error); JobsDone the
	// jobs completed by their last result.
	Acks     *prometheus.CounterVec
	JobsDone prometheus.Counter
}

// New registers a fresh set of instruments.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Gate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heartbeat_gate_total", Help: "Heartbeat gate decisions by result (won, suppressed, error).",
		}, []string{"result"}),
		Dispatch: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heartbeat_dispatch_total", Help: "Heartbeat dispatches (enqueue or inline run) by result.",
		}, []string{"result"}),
		Task: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heartbeat_task_total", Help: "Heartbeat task runs by result (ok, error, skipped when rows were fresh, killed at the hard time limit).",
		}, []string{"result"}),
		RowsUpdated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "heartbeat_rows_updated_total", Help: "Service rows whose last_seen a heartbeat wrote.",
		}),
		Offline: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "heartbeat_offline_marked_total", Help: "Service rows the offline checker flipped to not live.",
		}),
		Results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "job_results_total", Help: "Worker results by stage (enqueued, error, processed).",
		}, []string{"result"}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by route (wall time).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
		}, []string{"route"}),
		WebQueue: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "web_queue_seconds", Help: "Time a request waited for a worker slot (wall).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 16),
		}),
		WebCPUWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "web_cpu_wait_seconds", Help: "Time a request waited for a worker process's GIL before its view ran (wall).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 24),
		}),
		WebView: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "web_view_seconds", Help: "Time a view held its worker thread and database connection, slot to answer, by route (wall).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 24),
		}, []string{"route"}),
		WebViewMax: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "web_view_max_seconds", Help: "The longest a view held its worker thread and database connection, by route (wall).",
		}, []string{"route"}),
		WebInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "web_requests_in_flight", Help: "Requests inside their views now, each holding a database connection.",
		}),
		WebRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "web_refused_total", Help: "Requests answered 500 because the database had no connection left.",
		}),
		WebConnWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "web_db_connection_wait_seconds", Help: "Time a view waited for a pooled database connection (wall).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 16),
		}),
		Cachalot: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cachalot_redis_calls_total", Help: "django-cachalot's Redis round trips by kind (read, invalidate) and result (ok, error: ignored as a miss).",
		}, []string{"kind", "result"}),
		HeartbeatUpdate: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "heartbeat_update_seconds", Help: "Heartbeat UPDATE time by where it runs (view, task), row-lock waits included (wall).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 16),
		}, []string{"where"}),
		DBLockWaiters: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "db_lock_waiters", Help: "Backends of the database waiting on a lock (pg_stat_activity), at the last sample.",
		}),
		DBLockWaitSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "db_lock_wait_seconds_total", Help: "Backend-seconds spent waiting on locks, integrated over pg_stat_activity samples (wall).",
		}),
		DBDeadlocks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "db_deadlocks_total", Help: "Deadlocks Postgres detected in the database since the replica started (pg_stat_database).",
		}),
		DeadlockErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "heartbeat_deadlock_errors_total", Help: "Heartbeat statements of this replica that Postgres aborted to break a deadlock (SQLSTATE 40P01).",
		}),
		Reserve: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "task_reserve_total", Help: "Task reservations from the task queue (NATS) by result (tasks, empty, unavailable: answered 503).",
		}, []string{"result"}),
		ReserveLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "task_reserve_duration_seconds", Help: "How long a /tasks reservation took, connection to close (wall time).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
		}),
		Acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "task_ack_total", Help: "Task acknowledgements to the task queue by result (ok, error).",
		}, []string{"result"}),
		JobsDone: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jobs_completed_total", Help: "Jobs completed by the processing of their last task's result.",
		}),
	}
	m.Registry.MustRegister(m.Gate, m.Dispatch, m.Task, m.RowsUpdated, m.Offline, m.Results,
		m.Requests, m.Latency, m.WebQueue, m.WebCPUWait, m.WebView, m.WebViewMax, m.WebInFlight, m.WebRefused, m.WebConnWait, m.Cachalot,
		m.HeartbeatUpdate, m.DBLockWaiters, m.DBLockWaitSeconds, m.DBDeadlocks, m.DeadlockErrors,
		m.Reserve, m.ReserveLatency, m.Acks, m.JobsDone,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, k := range []string{"read", "invalidate"} {
		for _, r := range []string{"ok", "error"} {
			m.Cachalot.WithLabelValues(k, r)
		}
	}
	// Pre-create the label sets so a scrape shows zeros rather than nothing.
	for _, r := range []string{"won", "suppressed", "error"} {
		m.Gate.WithLabelValues(r)
	}
	for _, r := range []string{"enqueued", "error"} {
		m.Dispatch.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "error", "skipped", "killed"} {
		m.Task.WithLabelValues(r)
	}
	for _, r := range []string{"tasks", "empty", "unavailable"} {
		m.Reserve.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "error"} {
		m.Acks.WithLabelValues(r)
	}
	return m
}

// Handler serves /metrics for this registry.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ViewStat is what the web tier recorded of one route's views (wall).
type ViewStat struct {
	Count int64
	Sum   time.Duration
	Max   time.Duration
}

// Views reads back, per route, how many views ran, their total and their
// longest hold (WebView, WebViewMax), and how many requests were refused.
func (m *Metrics) Views() (map[string]ViewStat, int64, error) {
	families, err := m.Registry.Gather()
	if err != nil {
		return nil, 0, fmt.Errorf("reading the web tier's metrics: %w", err)
	}
	out := map[string]ViewStat{}
	var refused int64
	route := func(mt *dto.Metric) string {
		for _, l := range mt.GetLabel() {
			if l.GetName() == "route" {
				return l.GetValue()
			}
		}
		return ""
	}
	seconds := func(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			switch f.GetName() {
			case "web_view_seconds":
				v := out[route(mt)]
				v.Count, v.Sum = int64(mt.GetHistogram().GetSampleCount()), seconds(mt.GetHistogram().GetSampleSum())
				out[route(mt)] = v
			case "web_view_max_seconds":
				v := out[route(mt)]
				v.Max = seconds(mt.GetGauge().GetValue())
				out[route(mt)] = v
			case "web_refused_total":
				refused = int64(mt.GetCounter().GetValue())
			}
		}
	}
	return out, refused, nil
}
