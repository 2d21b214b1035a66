package fleet

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/results"
	"github.com/hbharness/hbharness/internal/modeltime"
)

// BenchmarkFleetResults states what streaming every request to
// results.bin costs the fleet, as a ratio: the same 2 s of 1,000 workers
// offering 4,000 requests per wall second, without a sink and with one
// writing to a file (ordered at the end, as a run's is), alternating
// within one op over several rounds after a warm-up, so drift on a shared
// machine hits both alike. The figure is the whole process's CPU
// (user+sys) per request, median over the rounds; the answering httptest
// target is included, so the ratio understates the fleet's own share a
// little. lag-p99-ms shows whether the stream slowed the schedule. Run it
// with -benchtime 1x; `make bench-load` does.
func BenchmarkFleetResults(b *testing.B) {
	const offered = 4000.0 // requests per wall second
	const n, every, rounds = 1000, 5 * time.Second, 5
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"results":[]}`))
	}))
	b.Cleanup(srv.Close)
	scale := modeltime.Scale(float64(n) / offered / every.Seconds())
	workers := spread(n, Idle, 0, every, 8*every) // 8 periods: 2 s of wall time

	// once runs the fleet and returns its CPU per request and schedule lag.
	var stalls uint64 // Adds that had to wait for the stream's buffer
	once := func(withSink bool) (cpuPerReq float64, lagP99 time.Duration) {
		cfg := Config{Target: srv.URL, Workers: workers,
			Run: modeltime.Run{Start: time.Now().Add(50 * time.Millisecond), Scale: scale}}
		path := filepath.Join(b.TempDir(), "results.bin")
		var stream *results.Stream
		var f *os.File
		if withSink {
			var err error
			if f, err = os.Create(path); err != nil {
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
		if withSink {
			// Flushing and ordering the file are part of the cost.
			if err := stream.Close(); err != nil {
				b.Fatal(err)
			}
			stalls += stream.Stalls()
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
			if err := results.Order(path); err != nil {
				b.Fatal(err)
			}
		}
		cpu := cpuTime(b) - before
		return float64(cpu.Microseconds()) / float64(max(rep.Requests.Total, 1)), rep.Lag.P99
	}

	for b.Loop() {
		once(false) // warm-up: the first run pays for what later ones reuse
		var without, with []float64
		var lagWithout, lagWith []float64
		for range rounds {
			c, l := once(false)
			without, lagWithout = append(without, c), append(lagWithout, float64(l)/1e6)
			c, l = once(true)
			with, lagWith = append(with, c), append(lagWith, float64(l)/1e6)
		}
		b.ReportMetric(median(without), "cpu-us/req-without")
		b.ReportMetric(median(with), "cpu-us/req-with")
		b.ReportMetric(median(with)/median(without), "cost-ratio")
		b.ReportMetric(median(lagWithout), "lag-p99-ms-without")
		b.ReportMetric(median(lagWith), "lag-p99-ms-with")
		b.ReportMetric(float64(stalls), "stalls")
	}
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpuTime is the CPU this process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
