package fleet

import "time"

// catchUp decides what a worker does when it wakes (at model offset now) for a
// send that was due at intended and repeats every period. A worker less than a
// period behind sends at once, late; one that has fallen whole periods behind
// skips those sends rather than bursting them, because a real worker that wakes
// late polls once, not once per missed period. It returns the slot the send now
// stands for and how many slots were skipped; a slot at or past stop means the
// worker is done (its skipped count then only covers slots before stop).
// period ≤ 0 marks a send that follows a response rather than a clock and is
// never skipped.
func catchUp(intended, now, period, stop time.Duration) (slot time.Duration, skipped uint64) {
	behind := now - intended
	if period <= 0 || behind < period {
		return intended, 0
	}
	k := behind / period
	slot = intended + k*period
	if slot >= stop {
		// Only the slots before stop were ever meant to happen.
		return stop, uint64((stop - intended + period - 1) / period)
	}
	return slot, uint64(k)
}
