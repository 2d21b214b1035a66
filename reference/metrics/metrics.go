// Package metrics holds the reference's Prometheus instruments, on a registry
// of its own per server so that several replicas in one process (the
// multi-replica scenario, tests) never share counters.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
		m.Requests, m.Latency, m.Reserve, m.ReserveLatency, m.Acks, m.JobsDone, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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
