// Package latency records durations (request latencies, schedule lag) into
// fixed-memory histograms that many goroutines can write at once, and turns them
// into the request and lag summaries the load generators report.
package latency

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Log-linear layout (as in HdrHistogram): values below subCount nanoseconds get a
// bucket each; above, every power of two is cut into subCount equal buckets, so a
// bucket is at most 1/64 of its value wide and its midpoint is within 0.8% of
// anything recorded in it, whatever the magnitude.
const (
	subBits     = 6
	subCount    = 1 << subBits
	maxBits     = 42 // 2^42 ns ≈ 73 min; anything longer lands in the last bucket
	bucketCount = (maxBits-subBits)*subCount + subCount
)

// Histogram is a lock-free latency histogram with fixed memory (about 19 KB).
// The zero value is empty and ready; it must not be copied after first use.
// Record, Merge and the readers may run concurrently; a read during writes sees
// some consistent-enough snapshot, which is all a progress display needs.
type Histogram struct {
	counts [bucketCount]atomic.Uint64
	count  atomic.Uint64
	sum    atomic.Int64
	max    atomic.Int64
	// minInv holds MaxInt64-min so that the zero value means "no minimum yet".
	minInv atomic.Int64
}

// Record adds one duration. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(v)].Add(1)
	h.count.Add(1)
	h.sum.Add(v)
	storeMax(&h.max, v)
	storeMax(&h.minInv, math.MaxInt64-v)
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	n := o.count.Load()
	if n == 0 {
		return
	}
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.count.Add(n)
	h.sum.Add(o.sum.Load())
	storeMax(&h.max, o.max.Load())
	storeMax(&h.minInv, o.minInv.Load())
}

// Count returns how many durations were recorded.
func (h *Histogram) Count() uint64 { return h.count.Load() }

// Max returns the largest recorded duration, exactly; 0 when empty.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Min returns the smallest recorded duration, exactly; 0 when empty.
func (h *Histogram) Min() time.Duration {
	if h.count.Load() == 0 {
		return 0
	}
	return time.Duration(math.MaxInt64 - h.minInv.Load())
}

// Mean returns the exact arithmetic mean; 0 when empty.
func (h *Histogram) Mean() time.Duration {
	n := h.count.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / int64(n))
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) as the midpoint of the bucket
// holding the ceil(q·n)-th smallest value, clamped to the exact min and max;
// 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.count.Load()
	if n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, width := bucketRange(i)
			mid := time.Duration(lo + (width-1)/2)
			return min(max(mid, h.Min()), h.Max())
		}
	}
	// Only reachable when counts were read mid-update; the max is the honest answer.
	return h.Max()
}

func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1
	if e >= maxBits {
		return bucketCount - 1
	}
	shift := e - subBits
	return shift*subCount + int(v>>shift)
}

// bucketRange returns the lowest value a bucket holds and how many values it spans.
func bucketRange(i int) (lo, width int64) {
	if i < 2*subCount {
		return int64(i), 1
	}
	shift := i/subCount - 1
	mantissa := int64(i - shift*subCount)
	return mantissa << shift, 1 << shift
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}
