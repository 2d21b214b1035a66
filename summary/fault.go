package summary

import "github.com/hbharness/hbharness/faults"

// Fault is one injected fault: planned, as it actually happened, what it did
// while it lasted, and how fast it was got over. AtS and ForS are the actual.
type Fault struct {
	Kind string  `json:"kind"`
	AtS  float64 `json:"at_s"`
	ForS float64 `json:"for_s"`
	// Planned is the fault as scheduled, in fault_schedule's form: its
	// start, length, replica and kind's parameters. Summaries written
	// before it was recorded read it as the zero Fault.
	Planned faults.Fault `json:"planned"`
	During  During       `json:"during"`
	// RecoveryS is from its end until every polled service read fresh and
	// live again; null when that never came (or it lasted to the end).
	// RecoveryBoundS is what the design explains.
	RecoveryS      *float64 `json:"recovery_s"`
	RecoveryBoundS float64  `json:"recovery_bound_s"`
}

// During is what was observed while a fault lasted.
type During struct {
	Dispatches int `json:"dispatches"`
	DBWrites   int `json:"db_writes"`
	// WorstStalenessS runs until the fault was got over.
	WorstStalenessS float64          `json:"worst_staleness_s"`
	Errors          map[string]int64 `json:"errors_by_endpoint"`
	// P99MS is the worst p99 of the timeline's windows it overlaps.
	P99MS float64 `json:"p99_ms"`
}
