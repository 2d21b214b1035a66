package fleet

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/results"
	"github.com/hbharness/hbharness/internal/modeltime"
)

// BenchmarkFleetResults states what streaming every request to
// results.bin costs the fleet: the same 2 s of 1,000 workers offering
// 4,000 requests per wall second, without a sink and with one writing to a
// file, in one `go test -bench` run (with -count N the two alternate, so
// drift on a shared machine hits both alike). cpu-us/req is the whole
// process's CPU (user+sys) per request, the answering httptest target
// included, so the ratio of the two understates the fleet's own share a
// little; lag-p99-ms shows whether the stream slowed the schedule.
// `make bench-load` prints the ratio.
func BenchmarkFleetResults(b *testing.B) {
	const offered = 4000.0 // requests per wall second
	const n, every = 1000, 5 * time.Second
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"results":[]}`))
	}))
	b.Cleanup(srv.Close)
	scale := modeltime.Scale(float64(n) / offered / every.Seconds())
	workers := spread(n, Idle, 0, every, 8*every) // 8 periods: 2 s of wall time

	for _, sink := range []string{"none", "file"} {
		b.Run("sink="+sink, func(b *testing.B) {
			var cpu time.Duration
			var reqs uint64
			var last *Report
			for b.Loop() {
				cfg := Config{Target: srv.URL, Workers: workers,
					Run: modeltime.Run{Start: time.Now().Add(50 * time.Millisecond), Scale: scale}}
				var stream *results.Stream
				var f *os.File
				if sink == "file" {
					var err error
					if f, err = os.Create(filepath.Join(b.TempDir(), "results.bin")); err != nil {
						b.Fatal(err)
					}
					stream = results.NewStream(f, 0)
					cfg.Results = stream
				}
				before := cpuTime(b)
				rep, err := Run(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				if stream != nil {
					// Flushing the file is part of the cost.
					if err := stream.Close(); err != nil {
						b.Fatal(err)
					}
					if err := f.Close(); err != nil {
						b.Fatal(err)
					}
				}
				cpu += cpuTime(b) - before
				reqs += rep.Requests.Total
				last = rep
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(max(reqs, 1)), "cpu-us/req")
			b.ReportMetric(float64(last.Lag.P99)/1e6, "lag-p99-ms")
			b.ReportMetric(float64(last.Requests.Total), "requests")
		})
	}
}

// cpuTime is the CPU this process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
