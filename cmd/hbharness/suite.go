package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/scenarios"
)

// cmdCompare runs one scenario under several strategies and tabulates them.
// Verdicts differ by design between strategies, so only an environment
// error changes the exit status.
func cmdCompare(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := newFlags("compare", stdout)
	name := fs.String("scenario", "", "built-in scenario name or YAML file")
	strats := fs.String("strategies", "", "comma-separated strategies, e.g. view-gate,two-tier,inline")
	scale := fs.Float64("time-scale", 0, "override the scenario's time scale")
	policy := fs.String("failure-policy", "", "override the gate failure policy")
	out := fs.String("out", "", "output folder (default out/runs/<time>-compare-<scenario>)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	list := splitList(*strats)
	if len(list) == 0 {
		return usagef("--strategies is required: some of %s", strings.Join(strategy.Names(), ", "))
	}
	var specs []*scenarios.Spec
	for _, s := range list {
		spec, err := loadSpec(*name, s, *scale, *policy)
		if err != nil {
			return err
		}
		specs = append(specs, spec)
	}
	if *out == "" {
		*out = defaultOut("compare-" + specs[0].Name)
	}
	var runs []reports.Summary
	for _, spec := range specs {
		sum, err := runOne(ctx, spec, runner.Options{Log: log, Seed: 1}, filepath.Join(*out, spec.Strategy), stdout, log)
		if err != nil {
			return err
		}
		runs = append(runs, sum)
	}
	fmt.Fprintln(stdout)
	if err := reports.WriteComparison(stdout, runs); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(*out, "comparison.html"), func(w io.Writer) error { return reports.WriteComparisonHTML(w, runs) }); err != nil {
		return err
	}
	return writeFile(filepath.Join(*out, "junit.xml"), func(w io.Writer) error { return reports.WriteJUnit(w, runs) })
}

// cmdSuite runs scenarios back to back (every built-in by default): the
// `make loadtest` job. It keeps going after a failed verdict or a saturated
// load generator, so one table shows them all; it stops at an interruption
// or when the environment itself fails.
func cmdSuite(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := newFlags("suite", stdout)
	names := fs.String("scenarios", "", "comma-separated scenarios (default: every built-in)")
	strat := fs.String("strategy", "", "override every scenario's strategy")
	scale := fs.Float64("time-scale", 0, "override every scenario's time scale")
	policy := fs.String("failure-policy", "", "override every scenario's gate failure policy")
	out := fs.String("out", "", "output folder (default out/runs/<time>-suite)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	list := splitList(*names)
	if len(list) == 0 {
		for _, b := range scenarios.Builtins() {
			list = append(list, b.Name)
		}
	}
	var specs []*scenarios.Spec
	for _, n := range list {
		spec, err := loadSpec(n, *strat, *scale, *policy)
		if err != nil {
			return err
		}
		specs = append(specs, spec)
	}
	if *out == "" {
		*out = defaultOut("suite")
	}
	var runs []reports.Summary
	var unusable []string
	for _, spec := range specs {
		sum, err := runOne(ctx, spec, runner.Options{Log: log, Seed: 1}, filepath.Join(*out, spec.Name), stdout, log)
		switch {
		case err == nil:
		case errors.Is(err, runner.ErrSaturated) && sum.Scenario != "":
			unusable = append(unusable, err.Error())
		default:
			return err
		}
		runs = append(runs, sum)
	}
	fmt.Fprintln(stdout)
	if err := reports.WriteSuiteTable(stdout, runs); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(*out, "junit.xml"), func(w io.Writer) error { return reports.WriteJUnit(w, runs) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "files: %s\n", *out)
	if len(unusable) > 0 {
		return usagef("%d run(s) did not produce a result:\n  %s", len(unusable), strings.Join(unusable, "\n  "))
	}
	return verdictOf(runs)
}
