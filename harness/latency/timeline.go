package latency

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

// DefaultTimelineEvery is the width of a timeline window when none is given:
// one second of model time.
const DefaultTimelineEvery = time.Second

// MaxTimelineBuckets bounds how many windows one timeline has. NewTimeline (and
// Merge) double the window width until the span fits, so a long run at a fine
// width cannot ask for unbounded memory; doubling keeps every width a
// power-of-two multiple of the one asked for, so two widened timelines of the
// same width still merge.
const MaxTimelineBuckets = 1 << 14

// OverflowEndpoint is where a timeline counts requests to endpoints beyond the
// first timelineSlots-1 distinct names it was given (the protocol has three).
const OverflowEndpoint = "(other)"

// timelineSlots is how many endpoints one bucket counts apart; the last slot is
// OverflowEndpoint's.
const timelineSlots = 8

// class is a request outcome, as RequestRecorder classifies it.
type class uint8

const (
	classOK class = iota
	class3xx
	class4xx
	class5xx
	classMalformed
	classOther
	classTransport
	numClasses
)

// classOf classifies an answered request exactly as RequestRecorder.Observe does.
func classOf(status int) class {
	switch {
	case status >= 200 && status < 300:
		return classOK
	case status >= 300 && status < 400:
		return class3xx
	case status >= 400 && status < 500:
		return class4xx
	case status >= 500 && status < 600:
		return class5xx
	default:
		return classOther
	}
}

// timelineBucket is one window: outcome counts per endpoint slot and the
// latency of every answered request, whatever its endpoint. About 19.4 KB,
// nearly all of it the histogram.
type timelineBucket struct {
	counts  [timelineSlots][numClasses]atomic.Uint64
	latency Histogram
}

// Timeline counts requests over model time: each request lands in the window
// holding the model instant it was meant to be sent (the instant its latency
// is measured from), so errors and latency can be set against faults
// scheduled in model time. Windows are Every wide and cover [0, end]; an
// instant before 0 counts in the first window and one at or past the last
// window's end in the last.
//
// Observe, Malformed, Failed, Windows and Span may run concurrently from any
// number of goroutines without locks. A window's memory (about 19.4 KB) is
// taken the first time something lands in it; an untouched one costs a
// pointer. Merge must not run concurrently with anything else on the
// receiver. A Timeline must not be copied.
type Timeline struct {
	every time.Duration
	end   time.Duration
	// names holds the endpoint each slot counts; a slot is claimed by CAS the
	// first time its name is seen and never changes after.
	names   [timelineSlots]atomic.Pointer[string]
	buckets []atomic.Pointer[timelineBucket]
}

// NewTimeline returns an empty timeline of windows every wide (model time;
// ≤ 0 means DefaultTimelineEvery) covering [0, end]. When the span would need
// more than MaxTimelineBuckets windows, every is doubled until it does not;
// Every says what it became.
func NewTimeline(every, end time.Duration) *Timeline {
	if every <= 0 {
		every = DefaultTimelineEvery
	}
	end = max(end, 0)
	every = widen(every, end)
	t := &Timeline{every: every, end: end, buckets: make([]atomic.Pointer[timelineBucket], bucketsFor(end, every))}
	t.initOverflow()
	return t
}

func (t *Timeline) initOverflow() {
	name := OverflowEndpoint
	t.names[timelineSlots-1].Store(&name)
}

// widen doubles every until [0, end] fits in MaxTimelineBuckets windows.
func widen(every, end time.Duration) time.Duration {
	for bucketsFor(end, every) > MaxTimelineBuckets {
		every *= 2
	}
	return every
}

// bucketsFor is how many windows of width every cover [0, end]: at least one.
func bucketsFor(end, every time.Duration) int {
	n := end / every
	if end%every != 0 {
		n++
	}
	return int(max(n, 1))
}

// Every is the width of one window (model time).
func (t *Timeline) Every() time.Duration { return t.every }

// End is the end of the span the windows cover (model time).
func (t *Timeline) End() time.Duration { return t.end }

// Observe records one answered request meant to be sent at model instant at,
// with its HTTP status and its latency (wall, from that instant).
func (t *Timeline) Observe(at time.Duration, endpoint string, status int, latency time.Duration) {
	b := t.bucket(t.index(at))
	b.counts[t.slot(endpoint)][classOf(status)].Add(1)
	b.latency.Record(latency)
}

// Malformed reclassifies one request Observe counted as a 2xx (with the same
// at and endpoint) whose body then turned out not to be the protocol's.
func (t *Timeline) Malformed(at time.Duration, endpoint string) {
	c := &t.bucket(t.index(at)).counts[t.slot(endpoint)]
	c[classOK].Add(^uint64(0))
	c[classMalformed].Add(1)
}

// Failed records a request meant to be sent at model instant at that got no
// answer at all; like RequestRecorder.Failed, it stays out of the latencies.
func (t *Timeline) Failed(at time.Duration, endpoint string) {
	t.bucket(t.index(at)).counts[t.slot(endpoint)][classTransport].Add(1)
}

func (t *Timeline) index(at time.Duration) int {
	if at <= 0 {
		return 0
	}
	return int(min(at/t.every, time.Duration(len(t.buckets)-1)))
}

// bucket returns window i, allocating it on first use; of two goroutines
// racing to allocate it, the loser uses the winner's.
func (t *Timeline) bucket(i int) *timelineBucket {
	if b := t.buckets[i].Load(); b != nil {
		return b
	}
	b := new(timelineBucket)
	if t.buckets[i].CompareAndSwap(nil, b) {
		return b
	}
	return t.buckets[i].Load()
}

// slot returns the counting slot of endpoint, claiming a free one the first
// time a name is seen, or the overflow slot when none is left.
func (t *Timeline) slot(endpoint string) int {
	if endpoint == OverflowEndpoint {
		return timelineSlots - 1
	}
	for i := range timelineSlots - 1 {
		p := t.names[i].Load()
		if p == nil {
			name := endpoint
			if t.names[i].CompareAndSwap(nil, &name) {
				return i
			}
			p = t.names[i].Load()
		}
		if *p == endpoint {
			return i
		}
	}
	return timelineSlots - 1
}

// Windows returns every window from model time 0 up to the last one anything
// was recorded in (none when nothing was). Each lists the endpoints that had
// requests in it; P50, P99 and Max are the wall latencies of its answered
// requests, all endpoints together.
func (t *Timeline) Windows() []history.RequestWindow {
	last := -1
	for i := range t.buckets {
		if t.buckets[i].Load() != nil {
			last = i
		}
	}
	out := make([]history.RequestWindow, last+1)
	for i := range out {
		w := history.RequestWindow{From: time.Duration(i) * t.every, Every: t.every, ByEndpoint: map[string]history.RequestCounts{}}
		if b := t.buckets[i].Load(); b != nil {
			t.addCounts(w.ByEndpoint, b)
			w.P50, w.P99, w.Max = b.latency.Quantile(0.50), b.latency.Quantile(0.99), b.latency.Max()
		}
		out[i] = w
	}
	return out
}

// Span summarises the windows that overlap model time [from, to) as one
// window (from and to widen to window edges; to ≤ from means the window
// holding from): errors by endpoint and exact percentiles over the whole
// span, which per-window percentiles cannot be combined into.
func (t *Timeline) Span(from, to time.Duration) history.RequestWindow {
	lo, hi := t.index(from), t.index(from)
	if to > from {
		hi = t.index(to - 1)
	}
	w := history.RequestWindow{From: time.Duration(lo) * t.every, Every: time.Duration(hi-lo+1) * t.every,
		ByEndpoint: map[string]history.RequestCounts{}}
	var h Histogram
	for i := lo; i <= hi; i++ {
		if b := t.buckets[i].Load(); b != nil {
			t.addCounts(w.ByEndpoint, b)
			h.Merge(&b.latency)
		}
	}
	w.P50, w.P99, w.Max = h.Quantile(0.50), h.Quantile(0.99), h.Max()
	return w
}

// addCounts adds b's per-endpoint counts to m, skipping endpoints with none.
func (t *Timeline) addCounts(m map[string]history.RequestCounts, b *timelineBucket) {
	for s := range timelineSlots {
		p := t.names[s].Load()
		if p == nil {
			continue
		}
		if c := countsOf(&b.counts[s]); c.Total > 0 {
			m[*p] = m[*p].Add(c)
		}
	}
}

func countsOf(c *[numClasses]atomic.Uint64) history.RequestCounts {
	var n [numClasses]int64
	var total int64
	for i := range c {
		n[i] = int64(c[i].Load())
		total += n[i]
	}
	return history.RequestCounts{Total: total, OK: n[classOK], Transport: n[classTransport],
		Status3xx: n[class3xx], Status4xx: n[class4xx], Status5xx: n[class5xx],
		Malformed: n[classMalformed], Other: n[classOther]}
}

// Merge adds everything o recorded to t, extending t to cover o's span. The
// widths must divide one another (as they do when both were asked for the
// same width, whatever widening did); the result has the wider of the two,
// widened further if the merged span needs it, and windows are combined
// exactly since every narrow window lies inside one wide one. Requests o
// clamped into its last window stay there even when t reaches further. Merge
// may run while o is still being written to (it reads o as Windows does) but
// not while anything else uses t.
func (t *Timeline) Merge(o *Timeline) error {
	if o == nil {
		return nil
	}
	if o == t {
		return fmt.Errorf("timeline: cannot merge a timeline into itself")
	}
	every := max(t.every, o.every)
	if every%t.every != 0 || every%o.every != 0 {
		return fmt.Errorf("timeline: windows of %v and %v do not divide one another; record both at the same width", t.every, o.every)
	}
	end := max(t.end, o.end)
	every = widen(every, end)
	ratio := int(every / o.every)
	t.regrid(every, end, max(bucketsFor(end, every), (len(o.buckets)-1)/ratio+1))

	var slots [timelineSlots]int
	for s := range timelineSlots {
		if p := o.names[s].Load(); p != nil {
			slots[s] = t.slot(*p)
		}
	}
	for i := range o.buckets {
		src := o.buckets[i].Load()
		if src == nil {
			continue
		}
		dst := t.bucket(i / ratio)
		for s := range timelineSlots {
			if o.names[s].Load() == nil {
				continue
			}
			for c := range numClasses {
				if v := src.counts[s][c].Load(); v != 0 {
					dst.counts[slots[s]][c].Add(v)
				}
			}
		}
		dst.latency.Merge(&src.latency)
	}
	return nil
}

// regrid makes t's windows every wide (a multiple of the current width) and
// n long, folding existing windows into the wider ones.
func (t *Timeline) regrid(every, end time.Duration, n int) {
	ratio := int(every / t.every)
	n = max(n, (len(t.buckets)-1)/ratio+1)
	if ratio == 1 && n == len(t.buckets) {
		t.end = end
		return
	}
	buckets := make([]atomic.Pointer[timelineBucket], n)
	for i := range t.buckets {
		src := t.buckets[i].Load()
		if src == nil {
			continue
		}
		j := i / ratio
		if ratio == 1 {
			buckets[j].Store(src)
			continue
		}
		dst := buckets[j].Load()
		if dst == nil {
			dst = new(timelineBucket)
			buckets[j].Store(dst)
		}
		for s := range timelineSlots {
			for c := range numClasses {
				dst.counts[s][c].Add(src.counts[s][c].Load())
			}
		}
		dst.latency.Merge(&src.latency)
	}
	t.every, t.end, t.buckets = every, end, buckets
}
