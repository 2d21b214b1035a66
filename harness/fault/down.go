package fault

import "time"

// Down ("down") plays a crashed server whose host still answers: open
// connections are reset at once and new ones are accepted and reset
// immediately, so clients fail fast with a reset or EOF instead of hanging.
type Down struct{}

func (Down) Name() string { return "down" }
func (Down) Admit() bool  { return false }
func (Down) Sever() bool  { return true }

// Release holds: a connection that slipped in while the toxic was being set
// must not get a single byte through before it is reset.
func (Down) Release(time.Time) (time.Time, bool) { return time.Time{}, true }
