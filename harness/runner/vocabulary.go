package runner

import (
	"github.com/hbharness/hbharness/harness/fault"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/scenarios"
)

// ScenarioOptions is the vocabulary a scenario file is checked against,
// every name taken from the registry that implements it, so a file can name
// exactly what a run can do.
func ScenarioOptions() scenarios.Options {
	var kinds []scenarios.FaultKind
	for _, k := range fault.Kinds() {
		kinds = append(kinds, scenarios.FaultKind{Name: k.Name, Latency: k.Latency, Offset: k.Offset, Replica: k.Replica, Forever: k.Forever})
	}
	var outcomes []string
	for _, o := range verify.Expectable() {
		outcomes = append(outcomes, string(o))
	}
	return scenarios.Options{
		Strategies:      contract.Strategies(),
		DefaultStrategy: contract.DefaultStrategy,
		Policies:        contract.PolicyNames(),
		DefaultPolicy:   string(contract.DefaultPolicy),
		FaultKinds:      kinds,
		Invariants:      verify.Names(),
		Outcomes:        outcomes,
	}
}
