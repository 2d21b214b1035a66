// Package modeltime is the time model of docs/design.md#time-model. Scenarios speak model
// time (the production durations: a 30 s throttle, a 60 s offline window);
// the machine waits wall time. A Scale maps one onto the other, and it is the
// only place that does: nobody else multiplies or divides by the scale.
package modeltime

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Scale is wall seconds per model second: 0.05 makes one model second last
// 50 ms of wall time, so a ten-minute model run takes thirty seconds.
type Scale float64

// Real is production's scale: model time is wall time.
const Real Scale = 1

// New checks f by the one rule every scale obeys: a finite number in (0, 1].
// Above 1 a run would be slower than production, which no one needs; at or
// below 0, or not finite, every schedule becomes nonsense.
func New(f float64) (Scale, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 1 {
		return 0, fmt.Errorf("time scale %v is out of range: give a number in (0, 1], e.g. 0.05 (one model second lasts 50 ms) or 1 (real time)", f)
	}
	return Scale(f), nil
}

// Parse reads a scale written as a decimal number, by the rule of New.
func Parse(s string) (Scale, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("time scale %q is not a number: give one in (0, 1], e.g. 0.05", s)
	}
	return New(f)
}

// Validate reports whether s obeys the rule of New.
func (s Scale) Validate() error {
	_, err := New(float64(s))
	return err
}

// Wall converts a model duration to the wall duration it lasts at this scale.
func (s Scale) Wall(model time.Duration) time.Duration {
	return time.Duration(math.Round(float64(model) * float64(s)))
}

// MinTimeout is the shortest wall time a timeout is given, whatever the
// scale. Compressed to 5 s × 0.02 = 100 ms, a client timeout is shorter
// than the scheduling stall of a busy CI runner, and a starved process reads
// as a dependency outage that the same system at real time never has.
const MinTimeout = time.Second

// Timeout converts a model timeout (a client's or a task's limit) to wall
// time, never less than MinTimeout: a dependency outage at this scale may
// cost a request more model time than at real time, but CPU contention is
// never mistaken for an outage.
func (s Scale) Timeout(model time.Duration) time.Duration {
	return max(MinTimeout, s.Wall(model))
}

// ClientMargin is how much later than MinTimeout a worker client's own
// timeout fires when both are floored. At real time the server's timeouts
// (5 s to connect to Redis or NATS, 4 s to the broker) end long before the
// client's (30 s, 60 s), so the client reads the server's answer; floored
// to the same MinTimeout they would race, and the client would give up on
// an answer the server was about to send.
const ClientMargin = 500 * time.Millisecond

// ClientTimeout is Timeout for a worker client's own timeout on a request:
// never under MinTimeout+ClientMargin, so that a server-side timeout inside
// the request still ends first.
func (s Scale) ClientTimeout(model time.Duration) time.Duration {
	return max(MinTimeout+ClientMargin, s.Wall(model))
}

// Model converts a wall duration to the model duration it represents.
func (s Scale) Model(wall time.Duration) time.Duration {
	return time.Duration(math.Round(float64(wall) / float64(s)))
}

// PerWall converts a rate per model second into the rate per wall second
// it takes at this scale.
func (s Scale) PerWall(perModel float64) float64 { return perModel / float64(s) }

// PerModel converts a rate per wall second into a rate per model second.
func (s Scale) PerModel(perWall float64) float64 { return perWall * float64(s) }

func (s Scale) String() string { return strconv.FormatFloat(float64(s), 'g', -1, 64) }

// Flag is a command-line --time-scale: unset (zero) means "keep the
// scenario's", anything given is checked by the rule of New when parsed.
type Flag struct{ Scale }

// Set implements flag.Value.
func (f *Flag) Set(v string) error {
	s, err := Parse(v)
	if err != nil {
		return err
	}
	f.Scale = s
	return nil
}

// IsSet reports whether the flag was given.
func (f Flag) IsSet() bool { return f.Scale != 0 }

// Run anchors model time to a wall instant: model offset 0 happens at Start.
type Run struct {
	Start time.Time
	Scale Scale
}

// Since returns the model time elapsed between Start and the wall instant t.
func (r Run) Since(t time.Time) time.Duration { return r.Scale.Model(t.Sub(r.Start)) }

// At returns the wall instant at which the model offset happens.
func (r Run) At(model time.Duration) time.Time { return r.Start.Add(r.Scale.Wall(model)) }

// Clock is what the reference takes its time from: the wall clock for
// instants (timestamps in the database are wall time) and the scale for
// durations, so a reader that knows the scale can turn any age into model time.
type Clock struct {
	Scale Scale
	// Skew (wall time) sets the clock ahead (positive) or behind: a host
	// whose clock is wrong.
	Skew time.Duration
	// Source, when set, is where the time is read instead of the machine's
	// clock: a simulation's virtual clock, so that the reference's own code
	// runs unchanged on simulated time.
	Source Source
}

// Source tells the time.
type Source interface{ Now() time.Time }

// Spender is a Source whose caller passes time by spending it (a
// discrete-event simulation's): Sleep spends instead of waiting.
type Spender interface{ Spend(d time.Duration) }

// Sleep waits the model duration d on this clock: wall time (scaled), or,
// on a Source that is a Spender, at once by spending it. It returns ctx's
// error if ctx ends first.
func (c Clock) Sleep(ctx context.Context, d time.Duration) error {
	if s, ok := c.Source.(Spender); ok {
		s.Spend(c.Wall(d))
		return ctx.Err()
	}
	t := time.NewTimer(c.Wall(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// True is the time without the skew: the wall clock, or the Source.
func (c Clock) True() time.Time {
	if c.Source != nil {
		return c.Source.Now()
	}
	return time.Now()
}

// Now is the wall clock (or the Source), skewed.
func (c Clock) Now() time.Time { return c.True().Add(c.Skew) }

// Wall converts a model duration into the wall duration it lasts.
func (c Clock) Wall(model time.Duration) time.Duration { return c.Scale.Wall(model) }

// Model converts a wall duration into model time.
func (c Clock) Model(wall time.Duration) time.Duration { return c.Scale.Model(wall) }
