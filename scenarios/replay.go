package scenarios

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/internal/modeltime"
)

// Recorded is what a run's summary.json says of the scenario it ran,
// enough to run it again (docs/design.md#summaryjson).
type Recorded struct {
	// Source names the scenario: a file, or builtin:NAME.
	Source          string
	Strategy, Label string
	TimeScale       float64
	FailurePolicy   string
	// Faults is the schedule the run applied, random draws included.
	Faults []faults.Fault
}

// Replay rebuilds a past run's scenario: the same file, strategy, failure
// policy and time scale, with the fault schedule it applied written out as
// a fixed one. The seed, which drew the rest, is the caller's to reuse.
func Replay(r Recorded, opt Options) (*Spec, error) {
	if r.Source == "" {
		return nil, errors.New("the summary does not say which scenario it ran (written by an older hbharness)")
	}
	for i, f := range r.Faults {
		if err := f.Check(); err != nil {
			return nil, fmt.Errorf("fault_schedule[%d] (%v): %w", i, f, err)
		}
	}
	name, _ := strings.CutPrefix(r.Source, "builtin:")
	spec, err := Load(name, opt)
	if err != nil {
		return nil, err
	}
	spec = spec.ForRun(r.Strategy, r.Label)
	if spec.TimeScale, err = modeltime.New(r.TimeScale); err != nil {
		return nil, err
	}
	spec.FailurePolicy = r.FailurePolicy
	spec.RandomFaults = nil
	spec.Faults = r.Faults
	return spec, nil
}
