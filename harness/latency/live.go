package latency

import "sync/atomic"

// Live is a generator's running count of requests ended and sends that
// went out late, read by a progress display while the run goes on; the
// recorders' full statistics are only read at the end. A nil *Live counts
// nothing, so a generator without a display pays one nil check.
type Live struct {
	requests, late atomic.Uint64
}

// Request counts one request that ended.
func (l *Live) Request() {
	if l != nil {
		l.requests.Add(1)
	}
}

// Late counts one send that went out later than the generator's tolerance.
func (l *Live) Late() {
	if l != nil {
		l.late.Add(1)
	}
}

// Requests is how many requests have ended so far.
func (l *Live) Requests() uint64 {
	if l == nil {
		return 0
	}
	return l.requests.Load()
}

// LateSends is how many sends have gone out late so far.
func (l *Live) LateSends() uint64 {
	if l == nil {
		return 0
	}
	return l.late.Load()
}
