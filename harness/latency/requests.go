package latency

import (
	"sync/atomic"
	"time"
)

// RequestStats summarises requests by outcome and the latency of those that got
// an answer. Latencies are wall time, measured from the instant each request was
// meant to be sent, so a generator that falls behind cannot hide server slowness.
type RequestStats struct {
	Total     uint64 `json:"total"`
	OK        uint64 `json:"ok"`         // 2xx with a body of the expected shape
	Status3xx uint64 `json:"status_3xx"` // a redirect the client did not follow
	Status4xx uint64 `json:"status_4xx"` // includes 401 for a bad token
	Status5xx uint64 `json:"status_5xx"`
	Malformed uint64 `json:"malformed"` // a 2xx whose body was not the expected shape
	Other     uint64 `json:"other"`     // any other status (1xx)
	Transport uint64 `json:"transport"` // no answer: refused, reset, timed out

	Min  time.Duration `json:"min_ns"`
	Mean time.Duration `json:"mean_ns"`
	P50  time.Duration `json:"p50_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
}

// Errors counts requests that did not succeed: transport failures and every
// non-2xx answer.
func (s RequestStats) Errors() uint64 { return s.Total - s.OK }

// RequestRecorder accumulates RequestStats from many goroutines without locks.
// The zero value is ready; it must not be copied after first use.
type RequestRecorder struct {
	total, ok, s3xx, s4xx, s5xx, malformed, other, transport atomic.Uint64
	latency                                                  Histogram
}

// Observe records one answered request with its HTTP status and latency.
func (r *RequestRecorder) Observe(status int, latency time.Duration) {
	r.total.Add(1)
	switch {
	case status >= 200 && status < 300:
		r.ok.Add(1)
	case status >= 300 && status < 400:
		r.s3xx.Add(1)
	case status >= 400 && status < 500:
		r.s4xx.Add(1)
	case status >= 500 && status < 600:
		r.s5xx.Add(1)
	default:
		r.other.Add(1)
	}
	r.latency.Record(latency)
}

// Malformed reclassifies one request Observe counted as a 2xx whose body
// then turned out not to be what the protocol says: it did not succeed.
func (r *RequestRecorder) Malformed() {
	r.ok.Add(^uint64(0))
	r.malformed.Add(1)
}

// Failed records a request that got no answer at all. Its duration says nothing
// about the server's latency, so it stays out of the histogram.
func (r *RequestRecorder) Failed() {
	r.total.Add(1)
	r.transport.Add(1)
}

// Merge adds everything o recorded to r.
func (r *RequestRecorder) Merge(o *RequestRecorder) {
	r.total.Add(o.total.Load())
	r.ok.Add(o.ok.Load())
	r.s3xx.Add(o.s3xx.Load())
	r.s4xx.Add(o.s4xx.Load())
	r.s5xx.Add(o.s5xx.Load())
	r.malformed.Add(o.malformed.Load())
	r.other.Add(o.other.Load())
	r.transport.Add(o.transport.Load())
	r.latency.Merge(&o.latency)
}

// Stats returns the summary so far.
func (r *RequestRecorder) Stats() RequestStats {
	return RequestStats{
		Total:     r.total.Load(),
		OK:        r.ok.Load(),
		Status3xx: r.s3xx.Load(),
		Status4xx: r.s4xx.Load(),
		Status5xx: r.s5xx.Load(),
		Malformed: r.malformed.Load(),
		Other:     r.other.Load(),
		Transport: r.transport.Load(),
		Min:       r.latency.Min(),
		Mean:      r.latency.Mean(),
		P50:       r.latency.Quantile(0.50),
		P99:       r.latency.Quantile(0.99),
		Max:       r.latency.Max(),
	}
}
