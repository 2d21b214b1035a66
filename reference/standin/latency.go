package standin

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Latency is a stated service time: Base, plus an exponential tail of mean
// Tail when Tail is set. Drawn from the simulation's seeded source, so a
// seed replays every draw.
type Latency struct {
	Base time.Duration `json:"base"`
	Tail time.Duration `json:"tail_mean,omitempty"`
}

// Draw returns one service time.
func (l Latency) Draw(r *rand.Rand) time.Duration {
	if l.Tail <= 0 {
		return l.Base
	}
	return l.Base + time.Duration(r.ExpFloat64()*float64(l.Tail))
}

// Mean is the distribution's mean.
func (l Latency) Mean() time.Duration { return l.Base + max(l.Tail, 0) }

// Validate refuses what no service time can be.
func (l Latency) Validate() error {
	if l.Base < 0 || l.Tail < 0 {
		return fmt.Errorf("a latency is never negative, got base %v, tail %v", l.Base, l.Tail)
	}
	return nil
}

func (l Latency) String() string {
	if l.Tail <= 0 {
		return l.Base.String()
	}
	return fmt.Sprintf("%v + exp(mean %v)", l.Base, l.Tail)
}
