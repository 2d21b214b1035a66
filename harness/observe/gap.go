package observe

import "time"

// Gap is a stretch of the run an observer did not see: its connection was
// lost and not yet back. What happened in a gap is "not observed", never a
// sample and never an absence of writes.
type Gap struct {
	// From is the observer's last good observation before the loss, To its
	// first after it (the end of the run when it never came back); both on
	// this process's clock.
	From, To time.Time
	// Reason is the error that opened the gap, worded for a reader.
	Reason string
}
