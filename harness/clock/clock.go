// Package clock maps between model time (the production durations a scenario is
// written in, DESIGN.md §5) and wall time (what the machine actually waits).
package clock

import (
	"fmt"
	"math"
	"time"
)

// Scale is wall seconds per model second: 0.05 makes one model second last 50 ms.
type Scale float64

// Wall converts a model duration to the wall duration it lasts at this scale.
func (s Scale) Wall(model time.Duration) time.Duration {
	return time.Duration(math.Round(float64(model) * float64(s)))
}

// Model converts a wall duration to the model duration it represents at this scale.
func (s Scale) Model(wall time.Duration) time.Duration {
	return time.Duration(math.Round(float64(wall) / float64(s)))
}

// Validate reports whether the scale can convert in both directions; a zero,
// negative or non-finite scale would turn every schedule into nonsense.
func (s Scale) Validate() error {
	f := float64(s)
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return fmt.Errorf("time scale %v is not usable: it must be a finite number > 0 (e.g. 0.05)", f)
	}
	return nil
}

// Run anchors model time to a wall instant: model offset 0 happens at Start.
type Run struct {
	Start time.Time
	Scale Scale
}

// Since returns the model time elapsed between Start and the wall instant t.
func (r Run) Since(t time.Time) time.Duration {
	return r.Scale.Model(t.Sub(r.Start))
}

// At returns the wall instant at which the model offset happens.
func (r Run) At(model time.Duration) time.Time {
	return r.Start.Add(r.Scale.Wall(model))
}
