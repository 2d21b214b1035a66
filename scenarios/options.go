package scenarios

import (
	"fmt"
	"slices"
)

// Options carry the vocabulary a scenario file is checked against. Each
// list belongs to the registry that implements it (strategies, failure
// policies, invariants), which this package must not import;
// runner.ScenarioOptions builds it from those registries. Fault kinds are
// not among them: faults.Kinds is a leaf this package reads itself.
type Options struct {
	Strategies      []string
	DefaultStrategy string
	Policies        []string
	DefaultPolicy   string
	// Invariants may be named in expect:, with one of Outcomes.
	Invariants []string
	Outcomes   []string
}

// check refuses an incomplete vocabulary: a file checked against an empty
// list would be accepted whatever it names, and fail later in the run.
func (o Options) check() error {
	var missing []string
	for name, empty := range map[string]bool{
		"Strategies": len(o.Strategies) == 0, "Policies": len(o.Policies) == 0,
		"Invariants": len(o.Invariants) == 0, "Outcomes": len(o.Outcomes) == 0,
		"DefaultStrategy": !slices.Contains(o.Strategies, o.DefaultStrategy),
		"DefaultPolicy":   !slices.Contains(o.Policies, o.DefaultPolicy),
	} {
		if empty {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("scenarios.Options lacks %v: build it with runner.ScenarioOptions()", missing)
	}
	return nil
}
