package sim_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/sim"
)

// BenchmarkSimulatedTenMinutes is the simulation's throughput on many-keys
// at the size of issue 18's target (100,000 workers on 5,000 keys) for ten
// model minutes, verdicts included: events per second of wall time, the
// seconds a model day takes at that pace, and heap per worker. The target
// is a model day in under 60 s; the figures say how far it is.
func BenchmarkSimulatedTenMinutes(b *testing.B) {
	spec, err := sim.Resize(builtin(b, "many-keys"), sim.Size{Workers: 100000, Keys: 5000, Duration: 10 * time.Minute})
	require.NoError(b, err)
	var events int64
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		res, err := sim.Run(b.Context(), spec, sim.Options{Seed: 1})
		require.NoError(b, err)
		events = res.Sim.Events
		runtime.ReadMemStats(&after)
	}
	secs := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(events)/secs, "events/s")
	b.ReportMetric(secs*6*24, "s/model-day")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/100000, "heap-B/worker")
}
