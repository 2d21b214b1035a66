package latency

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LagStats says how well a load generator kept its schedule. Lag is the wall time
// between the instant a send was due and the instant it went out; a send later
// than Tolerance is Late, and a send the generator gave up on because it had
// fallen a whole period behind is Dropped (it is not counted in Sends).
type LagStats struct {
	Sends   uint64 `json:"sends"`
	Late    uint64 `json:"late"`
	Dropped uint64 `json:"dropped"`
	// Blocked counts slots a closed-model worker skipped because it was
	// still waiting for the target's previous answer: backpressure from a
	// slow target, which real workers feel too, not a generator falling behind.
	Blocked uint64 `json:"blocked"`
	// Stalls counts the episodes the late sends fell in: late sends whose
	// delays overlap ([due, due+lag]) were held up by one stall of the
	// machine, which delays every sender due during it at once. A busy
	// machine's scheduler stalls a few times; a saturated generator is late
	// in episode after episode.
	Stalls    uint64        `json:"stalls"`
	Tolerance time.Duration `json:"tolerance_ns"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
}

// Scheduled is every send the schedule asked for: made, dropped or blocked.
func (s LagStats) Scheduled() uint64 { return s.Sends + s.Dropped + s.Blocked }

// Missed is how many scheduled sends were late or dropped.
func (s LagStats) Missed() uint64 { return s.Late + s.Dropped }

// LagRecorder accumulates LagStats from many goroutines without locks.
// It must not be copied after first use.
type LagRecorder struct {
	tolerance            time.Duration
	sends, late, dropped atomic.Uint64
	blocked              atomic.Uint64
	lag                  Histogram
	// lateSpans are the late sends' delays, kept to count Stalls (up to
	// maxLateSpans; past that the generator is saturated by any measure).
	mu        sync.Mutex
	lateSpans []lateSpan
}

type lateSpan struct{ from, to time.Time }

const maxLateSpans = 1 << 16

// NewLagRecorder returns a recorder that calls a send late when its lag exceeds tolerance.
func NewLagRecorder(tolerance time.Duration) *LagRecorder {
	return &LagRecorder{tolerance: tolerance}
}

// Sent records a send due at due that went out lag after it, and says
// whether it was late.
func (l *LagRecorder) Sent(due time.Time, lag time.Duration) (late bool) {
	l.sends.Add(1)
	l.lag.Record(lag)
	if lag > l.tolerance {
		l.late.Add(1)
		l.mu.Lock()
		if len(l.lateSpans) < maxLateSpans {
			l.lateSpans = append(l.lateSpans, lateSpan{due, due.Add(lag)})
		}
		l.mu.Unlock()
		return true
	}
	return false
}

// stallLength is the longest a single stall of a busy machine is taken to
// last (wall): lateness that goes on longer, spans chaining into spans, is a
// generator that cannot keep up, and counts one episode per stallLength.
const stallLength = 250 * time.Millisecond

// stalls counts the episodes of overlapping late spans.
func (l *LagRecorder) stalls() uint64 {
	l.mu.Lock()
	spans := slices.Clone(l.lateSpans)
	l.mu.Unlock()
	if len(spans) == 0 {
		return 0
	}
	slices.SortFunc(spans, func(a, b lateSpan) int { return a.from.Compare(b.from) })
	var n uint64
	episode := func(from, to time.Time) uint64 {
		return max(1, uint64((to.Sub(from)+stallLength-1)/stallLength))
	}
	from, end := spans[0].from, spans[0].to
	for _, s := range spans[1:] {
		if s.from.After(end) {
			n += episode(from, end)
			from, end = s.from, s.to
			continue
		}
		if s.to.After(end) {
			end = s.to
		}
	}
	return n + episode(from, end)
}

// Dropped records n scheduled sends that were skipped.
func (l *LagRecorder) Dropped(n uint64) {
	if n > 0 {
		l.dropped.Add(n)
	}
}

// Tolerance is the lateness beyond which a send counts as late.
func (l *LagRecorder) Tolerance() time.Duration { return l.tolerance }

// Blocked records n slots skipped while waiting on the target.
func (l *LagRecorder) Blocked(n uint64) {
	if n > 0 {
		l.blocked.Add(n)
	}
}

// Stats returns the summary so far.
func (l *LagRecorder) Stats() LagStats {
	return LagStats{
		Sends:     l.sends.Load(),
		Late:      l.late.Load(),
		Dropped:   l.dropped.Load(),
		Blocked:   l.blocked.Load(),
		Stalls:    l.stalls(),
		Tolerance: l.tolerance,
		P50:       l.lag.Quantile(0.50),
		P99:       l.lag.Quantile(0.99),
		Max:       l.lag.Max(),
	}
}
