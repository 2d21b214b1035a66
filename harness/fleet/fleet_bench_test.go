package fleet

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// BenchmarkFleet measures how well the fleet keeps its schedule with many
// workers against a target that answers at once; the metric that matters is
// the schedule lag, not ns/op. Every size offers the same 4,000 requests per
// wall second (the target shares the machine, so more would measure the
// target), which means the time scale stretches with the fleet: 10,000
// workers polling every 5 model seconds run at scale 0.5. Run it with
// -benchtime=1x; one op lasts 1.2 poll periods (0.3 s and 3 s).
func BenchmarkFleet(b *testing.B) {
	const offered = 4000.0 // requests per wall second
	const every = 5 * time.Second
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"results":[]}`))
			}))
			b.Cleanup(srv.Close)
			scale := modeltime.Scale(float64(n) / offered / every.Seconds())
			workers := spread(n, Idle, 0, every, every*6/5)
			var last *Report
			for b.Loop() {
				rep, err := Run(context.Background(), Config{Target: srv.URL, Workers: workers,
					Run: modeltime.Run{Start: time.Now().Add(50 * time.Millisecond), Scale: scale}})
				if err != nil {
					b.Fatal(err)
				}
				last = rep
			}
			b.ReportMetric(float64(last.Lag.P99)/1e6, "lag-p99-ms")
			b.ReportMetric(float64(last.Lag.Max)/1e6, "lag-max-ms")
			b.ReportMetric(float64(last.Lag.Missed())/float64(max(last.Lag.Scheduled(), 1)), "missed-frac")
			b.ReportMetric(float64(last.Requests.Transport), "transport-errors")
		})
	}
}
