package latency

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func TestHistogramQuantilesWithinTwoPercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		draw func() time.Duration
	}{
		{"uniform ms", func() time.Duration { return time.Duration(rng.Int64N(int64(50 * time.Millisecond))) }},
		{"lognormal around 2ms", func() time.Duration {
			return time.Duration(math.Exp(rng.NormFloat64()*1.5) * float64(2*time.Millisecond))
		}},
		{"exponential µs", func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(300*time.Microsecond)) }},
		{"bimodal", func() time.Duration {
			if rng.IntN(10) == 0 {
				return 5*time.Second + time.Duration(rng.Int64N(int64(time.Second)))
			}
			return time.Millisecond + time.Duration(rng.Int64N(int64(time.Millisecond)))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			values := make([]time.Duration, 20000)
			for i := range values {
				values[i] = tc.draw()
				h.Record(values[i])
			}
			slices.Sort(values)
			for _, q := range []float64{0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1} {
				want := exactQuantile(values, q)
				got := h.Quantile(q)
				require.InEpsilon(t, float64(want), float64(got), 0.02, "q=%v want %v got %v", q, want, got)
			}
			require.Equal(t, values[0], h.Min())
			require.Equal(t, values[len(values)-1], h.Max())
			require.Equal(t, uint64(len(values)), h.Count())
		})
	}
}

func TestHistogramBucketsCoverEveryValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(v int64) {
		i := bucketOf(v)
		lo, width := bucketRange(i)
		require.True(t, v >= lo && v < lo+width, "value %d in bucket %d [%d,%d)", v, i, lo, lo+width)
		require.LessOrEqual(t, float64(width-1), math.Max(1, float64(v)/64), "bucket too wide for %d", v)
	}
	for v := int64(0); v < 4096; v++ {
		check(v)
	}
	for range 100000 {
		check(rng.Int64N(1 << maxBits))
	}
	require.Equal(t, bucketCount-1, bucketOf(math.MaxInt64), "values past the range must land in the last bucket")
}

func TestHistogramMergeEqualsRecordingEverything(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var a, b, all Histogram
	for i := range 5000 {
		d := time.Duration(rng.Int64N(int64(time.Second)))
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&a)
	merged.Merge(&b)
	merged.Merge(&Histogram{}) // merging an empty histogram changes nothing
	for _, q := range []float64{0.1, 0.5, 0.99} {
		require.Equal(t, all.Quantile(q), merged.Quantile(q))
	}
	require.Equal(t, all.Min(), merged.Min())
	require.Equal(t, all.Max(), merged.Max())
	require.Equal(t, all.Mean(), merged.Mean())
	require.Equal(t, all.Count(), merged.Count())
}

func TestHistogramConcurrentRecord(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Record(time.Duration(g*1000+i) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	require.Equal(t, uint64(8000), h.Count())
	require.Equal(t, time.Duration(0), h.Min())
	require.Equal(t, 7999*time.Microsecond, h.Max())
	require.InEpsilon(t, float64(4000*time.Microsecond), float64(h.Quantile(0.5)), 0.02)
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	var h Histogram
	require.Zero(t, h.Quantile(0.5))
	require.Zero(t, h.Min())
	require.Zero(t, h.Max())
	require.Zero(t, h.Mean())
	h.Record(-time.Second)
	require.Equal(t, uint64(1), h.Count())
	require.Zero(t, h.Max())
	require.Zero(t, h.Quantile(0.99))
}
