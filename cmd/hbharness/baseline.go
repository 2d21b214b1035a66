package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/reports/regression"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// baselineFlags are --baseline and --max-regression, on run and suite.
type baselineFlags struct {
	path   string
	limits string
}

const defaultLimits = "10%"

func (b *baselineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.path, "baseline", "", "hold each run against a past one: a summary.json, or a run, suite or compare folder "+
		"(matched by scenario, strategy and label); a regression fails the run (exit 1)")
	fs.StringVar(&b.limits, "max-regression", defaultLimits, "how much worse a metric may get before it is a regression: a default, "+
		"then metric=N% or metric=off for any other, e.g. 10%,p99=25%,staleness=5% (metrics: "+strings.Join(metric.Names(), ", ")+")")
}

// baselineGate is a loaded baseline and its limits; a nil gate (no
// --baseline) checks nothing.
type baselineGate struct {
	base   *regression.Baseline
	limits regression.Limits
}

// load reads the baseline before anything runs, so that a wrong path or a
// baseline of other scenarios costs no minutes: exit 2, naming what it holds.
func (b *baselineFlags) load(specs []*scenarios.Spec) (*baselineGate, error) {
	if b.path == "" {
		if b.limits != defaultLimits {
			return nil, usagef("--max-regression needs --baseline: the past run to hold this one against")
		}
		return nil, nil
	}
	limits, err := regression.ParseLimits(b.limits)
	if err != nil {
		return nil, usageError{err}
	}
	folder, err := runfolder.Read(b.path)
	if err != nil {
		return nil, usagef("--baseline %s: %w", b.path, err)
	}
	base, err := regression.NewBaseline(b.path, folder.Summaries())
	if err != nil {
		return nil, usagef("--baseline: %w", err)
	}
	var names []string
	for _, s := range specs {
		if m, _ := base.Match(s.Name, s.Strategy, s.Label); len(m) > 0 {
			return &baselineGate{base: base, limits: limits}, nil
		}
		names = append(names, s.Name+"/"+s.Strategy)
	}
	return nil, usagef("--baseline %s holds %s: nothing to hold %s against (runs are matched by scenario, then strategy and label)",
		b.path, strings.Join(base.Holds(), ", "), strings.Join(names, ", "))
}

// apply holds a finished run against the baseline and writes the outcome
// into its summary.json and junit.xml, so that CI reading either sees it.
func (g *baselineGate) apply(sum *summary.Summary) error {
	if g == nil || sum.Scenario == "" || sum.Unusable != "" || sum.LoadGenerator.Saturated || sum.Interrupted {
		return nil
	}
	sum.Baseline = g.base.Check(*sum, g.limits)
	if sum.OutDir == "" {
		return nil
	}
	if err := runfolder.WriteVerdicts(sum.OutDir, *sum); err != nil {
		return usageError{err}
	}
	return nil
}

// withRegressions adds the baseline's regressions to a run's verdict: exit
// 1, each named. A run that proved nothing (exit 2) keeps its status.
func withRegressions(err error, runs []summary.Summary) error {
	lines := reports.RegressionLines(runs)
	if len(lines) == 0 {
		return err
	}
	var ue usageError
	if errors.As(err, &ue) {
		return err
	}
	msg := fmt.Sprintf("regressions against the baseline:\n  %s", strings.Join(lines, "\n  "))
	var ve verdictError
	if errors.As(err, &ve) {
		msg = ve.msg + "\n" + msg
	}
	return verdictError{msg}
}
