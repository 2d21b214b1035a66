package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// suiteChoice is how a suite picks its scenarios: by name, a marked subset,
// or by default.
type suiteChoice struct {
	names     string
	quick     bool
	predeploy bool
}

func (c *suiteChoice) register(fs *flag.FlagSet) {
	fs.StringVar(&c.names, "scenarios", "", "comma-separated scenarios (default: every built-in; with --target, the pre-deploy subset)")
	fs.BoolVar(&c.quick, "quick", false, "only the built-ins marked quick: the pull-request subset, within 5 minutes on 2 cores")
	fs.BoolVar(&c.predeploy, "predeploy", false, "only the built-ins marked predeploy: shaped for a deployment at real time, about 10 minutes (the default with --target)")
}

// scenarios lists what the suite runs. Against a deployment the default is
// the pre-deploy subset: every built-in would take hours at real time, and
// most of them inject faults a deployment cannot be given.
func (c suiteChoice) scenarios(external bool) ([]string, error) {
	list := splitList(c.names)
	chosen := 0
	for _, set := range []bool{len(list) > 0, c.quick, c.predeploy} {
		if set {
			chosen++
		}
	}
	if chosen > 1 {
		return nil, usagef("--scenarios, --quick and --predeploy each choose the scenarios: give one of them")
	}
	if len(list) > 0 {
		return list, nil
	}
	predeploy := c.predeploy || (external && !c.quick)
	for _, b := range scenarios.Builtins(runner.ScenarioOptions()) {
		switch {
		case c.quick && b.Quick, predeploy && b.Predeploy, !c.quick && !predeploy:
			list = append(list, b.Name)
		}
	}
	return list, nil
}

// forTarget readies a suite's runs for a deployment, when there is one: on
// the production clock unless --time-scale says otherwise (as run does), and
// those it cannot be given sorted out, with why. It says what it will judge.
func forTarget(specs []*scenarios.Spec, ext *runner.External, o overrides, stdout io.Writer) map[*scenarios.Spec]string {
	skip := map[*scenarios.Spec]string{}
	if ext == nil {
		return skip
	}
	var judged []*scenarios.Spec
	for _, spec := range specs {
		if !o.scale.IsSet() {
			spec.TimeScale = modeltime.Real
		}
		if why := skipReason(spec, deployedStrategy(o)); why != "" {
			skip[spec] = why
		} else {
			judged = append(judged, spec)
		}
	}
	fmt.Fprintf(stdout, "suite against %s: %d run(s) judged, %d skipped; about %s of wall time\n",
		ext.Target, len(judged), len(skip), wallTotal(judged).Round(time.Second))
	return skip
}

// deployedStrategy is the strategy a deployment is judged as: what
// --strategy says it runs, else the default (Antenna's merged PR).
func deployedStrategy(o overrides) string {
	if o.strategy != "" {
		return o.strategy
	}
	return runner.ScenarioOptions().DefaultStrategy
}

// skipReason says why a run cannot be judged against a deployment judged as
// strategy deployed; "" when it can.
func skipReason(spec *scenarios.Spec, deployed string) string {
	if kinds := faultKinds(spec); len(kinds) > 0 {
		return fmt.Sprintf("it injects faults (%s) through the harness's own proxies in front of the services, "+
			"which cannot reach a deployment; run it in-process", strings.Join(kinds, ", "))
	}
	if spec.Strategy != deployed {
		return fmt.Sprintf("this run is judged as strategy %s and the deployment as %s (--strategy): "+
			"one deployment runs one strategy", spec.Strategy, deployed)
	}
	return ""
}

func faultKinds(spec *scenarios.Spec) []string {
	var kinds []string
	for _, f := range spec.Faults {
		kinds = append(kinds, f.Kind)
	}
	if spec.RandomFaults != nil {
		kinds = append(kinds, spec.RandomFaults.Kinds...)
	}
	slices.Sort(kinds)
	return slices.Compact(kinds)
}

// skippedRun is the suite's record of a run it left out: a row in the table
// and a skipped case in JUnit, saying why.
func skippedRun(spec *scenarios.Spec, target, why string) summary.Summary {
	return summary.Summary{Schema: summary.Schema, Scenario: spec.Name, Strategy: spec.Strategy, Label: spec.Label,
		TimeScale: float64(spec.TimeScale), ModelDurationS: spec.Duration.Seconds(), Source: spec.Source,
		Target: target, FailurePolicy: spec.FailurePolicy, Replicas: spec.Replicas, Skipped: why}
}

// wallTotal is how long the runs take at their time scales, set-up aside.
func wallTotal(specs []*scenarios.Spec) time.Duration {
	var d time.Duration
	for _, s := range specs {
		d += s.TimeScale.Wall(s.Duration)
	}
	return d
}
