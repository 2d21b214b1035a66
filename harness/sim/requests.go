package sim

import (
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/latency"
)

// requestCounts is what the fleet's requests came to, by endpoint. Their
// latency is the stand-ins' stated service times summed: modelled, not
// measured (summary.json's sim block says so).
type requestCounts struct {
	by      map[string]history.RequestCounts
	latency latency.Histogram
}

func (r *requestCounts) add(endpoint string, ok bool, took time.Duration) {
	if r.by == nil {
		r.by = map[string]history.RequestCounts{}
	}
	c := r.by[endpoint]
	c.Total++
	if ok {
		c.OK++
	} else {
		c.Status5xx++ // a failed heartbeat fails the view: a 500
	}
	r.by[endpoint] = c
	r.latency.Record(took)
}

func (r *requestCounts) history() history.Requests {
	out := history.Requests{ByEndpoint: map[string]history.RequestCounts{}, Max: r.latency.Max(),
		P50: r.latency.Quantile(0.5), P99: r.latency.Quantile(0.99)}
	for ep, c := range r.by {
		out.ByEndpoint[ep] = c
		out.RequestCounts = out.RequestCounts.Add(c)
	}
	return out
}
