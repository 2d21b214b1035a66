package runner

import (
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/scenarios"
)

// ScenarioOptions is the vocabulary a scenario file is checked against,
// every name taken from the registry that implements it, so a file can name
// exactly what a run can do.
func ScenarioOptions() scenarios.Options {
	var outcomes []string
	for _, o := range verify.Expectable() {
		outcomes = append(outcomes, string(o))
	}
	return scenarios.Options{
		Strategies:      contract.Strategies(),
		DefaultStrategy: contract.DefaultStrategy,
		Policies:        contract.PolicyNames(),
		DefaultPolicy:   string(contract.DefaultPolicy),
		Invariants:      verify.Names(),
		Outcomes:        outcomes,
	}
}
