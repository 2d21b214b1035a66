// Package faults describes the faults a scenario schedules, from the
// scenario file to summary.json: one Fault type, whose kind's own
// parameters live in one small type per kind (Slow, ClockSkew, None),
// registered by name in Kinds. It imports only the standard library, so the
// scenario parser, the harness that injects faults, the run's history and
// the summary schema all share it. Injecting a fault is harness/fault's job.
// See docs/design.md#scenario-files.
package faults

import (
	"fmt"
	"time"
)

// Fault is one scheduled fault: when, where, and the kind's parameters.
// At and For are model time (docs/design.md#time-model).
type Fault struct {
	Kind string // a name in Kinds
	At   time.Duration
	// For is how long it lasts; 0 only for a kind that may last to the end
	// of the run (Kind.Forever).
	For time.Duration
	// Replica is the one replica it is aimed at, or AllReplicas.
	Replica int
	// Params are the kind's own parameters, of the type its Kind.New
	// returns (*Slow, *ClockSkew, *None); set in every parsed or decoded
	// fault, nil only where none were given.
	Params Params
}

// AllReplicas aims a fault at every replica (replica: left out).
const AllReplicas = -1

// String names the fault for logs and reports: "redis-slow at 2m0s for
// 30s (latency 200ms) on replica 1".
func (f Fault) String() string {
	s := fmt.Sprintf("%s at %v for %v", f.Kind, f.At, f.For)
	if d := f.Describe(); d != "" {
		s += " (" + d + ")"
	}
	if f.Replica != AllReplicas {
		s += fmt.Sprintf(" on replica %d", f.Replica)
	}
	return s
}

// Describe is the kind's parameters for a reader ("latency 200ms"): "" for
// a kind that takes none, or a fault whose were not recorded.
func (f Fault) Describe() string {
	if f.Params == nil {
		return ""
	}
	return f.Params.String()
}
