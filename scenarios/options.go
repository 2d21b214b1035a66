package scenarios

import (
	"fmt"
	"slices"
)

// Options carry the vocabulary a scenario file is checked against. Each
// list belongs to the registry that implements it (strategies, failure
// policies, fault kinds, invariants), which this package must not import;
// runner.ScenarioOptions builds it from those registries.
type Options struct {
	Strategies      []string
	DefaultStrategy string
	Policies        []string
	DefaultPolicy   string
	FaultKinds      []FaultKind
	// Invariants may be named in expect:, with one of Outcomes.
	Invariants []string
	Outcomes   []string
}

// FaultKind is one schedulable fault kind and the fields it takes.
type FaultKind struct {
	Name string
	// Latency: the kind slows a dependency by a given delay (latency:).
	Latency bool
	// Offset: the kind sets a clock off (offset:, may be negative).
	Offset bool
	// Replica: the kind may be aimed at one replica (replica:).
	Replica bool
	// Forever: for: 0 means it lasts to the end of the run.
	Forever bool
}

// check refuses an incomplete vocabulary: a file checked against an empty
// list would be accepted whatever it names, and fail later in the run.
func (o Options) check() error {
	var missing []string
	for name, empty := range map[string]bool{
		"Strategies": len(o.Strategies) == 0, "Policies": len(o.Policies) == 0,
		"FaultKinds": len(o.FaultKinds) == 0, "Invariants": len(o.Invariants) == 0, "Outcomes": len(o.Outcomes) == 0,
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

func (o Options) faultKind(name string) (FaultKind, bool) {
	for _, k := range o.FaultKinds {
		if k.Name == name {
			return k, true
		}
	}
	return FaultKind{}, false
}

func (o Options) faultKindNames() []string {
	out := make([]string, len(o.FaultKinds))
	for i, k := range o.FaultKinds {
		out[i] = k.Name
	}
	return out
}

func (o Options) kindsWith(has func(FaultKind) bool) []string {
	var out []string
	for _, k := range o.FaultKinds {
		if has(k) {
			out = append(out, k.Name)
		}
	}
	return out
}
