package observe

import (
	"sync"

	"github.com/hbharness/hbharness/reference/heartbeat"
)

// Events collects the reference's own dispatch and write events.
type Events struct {
	mu     sync.Mutex
	events []heartbeat.Event
}

// Record implements heartbeat.Sink.
func (e *Events) Record(ev heartbeat.Event) {
	e.mu.Lock()
	e.events = append(e.events, ev)
	e.mu.Unlock()
}

// All returns a copy of every event so far.
func (e *Events) All() []heartbeat.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]heartbeat.Event(nil), e.events...)
}
