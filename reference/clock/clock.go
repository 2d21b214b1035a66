// Package clock maps model time (the production durations a scenario speaks:
// 30 s throttle, 60 s offline window) onto wall time, so a ten-minute model
// run can take thirty seconds. Every component of the reference takes its
// durations through one Clock so that nothing mixes the two.
package clock

import (
	"fmt"
	"time"
)

// Clock reads wall time and converts model durations into wall durations.
// Timestamps written to the database are wall timestamps; only durations are
// scaled, so a reader that knows the scale can turn any age back into model time.
type Clock interface {
	Now() time.Time
	Scale() float64
	// Wall converts a model duration into the wall duration it lasts.
	Wall(model time.Duration) time.Duration
	// Model converts a wall duration into model time.
	Model(wall time.Duration) time.Duration
}

// Scaled is the real clock compressed by a time scale: 0.05 means one model
// second lasts 50 ms of wall time.
type Scaled struct{ scale float64 }

// New returns a clock at the given scale; scale must lie in (0, 1].
func New(scale float64) (Scaled, error) {
	if !(scale > 0 && scale <= 1) {
		return Scaled{}, fmt.Errorf("time scale %v is out of range: use a value in (0, 1], e.g. 0.05 to run 20x faster than production", scale)
	}
	return Scaled{scale: scale}, nil
}

// Real is the unscaled clock (production).
func Real() Scaled { return Scaled{scale: 1} }

func (c Scaled) Now() time.Time { return time.Now() }
func (c Scaled) Scale() float64 { return c.scale }
func (c Scaled) Wall(m time.Duration) time.Duration {
	return time.Duration(float64(m) * c.scale)
}
func (c Scaled) Model(w time.Duration) time.Duration {
	return time.Duration(float64(w) / c.scale)
}
