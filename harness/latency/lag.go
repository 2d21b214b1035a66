package latency

import (
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
	Blocked   uint64        `json:"blocked"`
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
}

// NewLagRecorder returns a recorder that calls a send late when its lag exceeds tolerance.
func NewLagRecorder(tolerance time.Duration) *LagRecorder {
	return &LagRecorder{tolerance: tolerance}
}

// Sent records a send that went out lag after it was due and says whether it was late.
func (l *LagRecorder) Sent(lag time.Duration) (late bool) {
	l.sends.Add(1)
	l.lag.Record(lag)
	if lag > l.tolerance {
		l.late.Add(1)
		return true
	}
	return false
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
		Tolerance: l.tolerance,
		P50:       l.lag.Quantile(0.50),
		P99:       l.lag.Quantile(0.99),
		Max:       l.lag.Max(),
	}
}
