package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/scenarios"
)

// cmdSuite runs scenarios back to back (every built-in by default): the
// `make loadtest` job. It keeps going after a failed verdict or a saturated
// load generator, so one table and one JUnit file show them all; it stops at
// an interruption or when the environment itself fails.
func cmdSuite(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := newFlags("suite", stdout)
	names := fs.String("scenarios", "", "comma-separated scenarios (default: every built-in)")
	quick := fs.Bool("quick", false, "only the built-ins marked quick: the pull-request subset, within 5 minutes on 2 cores")
	var o overrides
	o.register(fs, true)
	out := fs.String("out", "", "output folder (default out/runs/<time>-suite)")
	var bl baselineFlags
	bl.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	list := splitList(*names)
	if len(list) > 0 && *quick {
		return usagef("--quick picks built-ins itself; give it or --scenarios, not both")
	}
	if len(list) == 0 {
		for _, b := range scenarios.Builtins(runner.ScenarioOptions()) {
			if b.Quick || !*quick {
				list = append(list, b.Name)
			}
		}
	}
	var specs []*scenarios.Spec
	for _, n := range list {
		vs, err := loadVariants(n, o)
		if err != nil {
			return err
		}
		specs = append(specs, vs...)
	}
	gate, err := bl.load(specs)
	if err != nil {
		return err
	}
	folder := folders(specs)
	if *out == "" {
		*out = defaultOut("suite")
	}
	var runs []reports.Summary
	sweep := &sync.Once{} // leftovers are swept before the first run only
	var unusable []string
	for _, spec := range specs {
		sum, err := runOne(ctx, spec, runner.Options{Log: log, Seed: 1, Sweep: sweep}, filepath.Join(*out, folder(spec)), stdout, log)
		switch {
		case err == nil:
			if err := gate.apply(&sum); err != nil {
				return err
			}
		case errors.Is(err, runner.ErrSaturated) && sum.Scenario != "":
			unusable = append(unusable, err.Error())
		case errors.Is(err, runner.ErrScaleTooSmall):
			// Refused before it ran; the others may still be judged.
			fmt.Fprintf(stdout, "%s: refused: %v\n", spec.Name, err)
			sum = reports.Summary{Scenario: spec.Name, Strategy: spec.Strategy, Label: spec.Label,
				TimeScale: float64(spec.TimeScale), Unusable: err.Error()}
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
	if err := reports.WriteBaselineTable(stdout, runs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "files: %s\n", *out)
	if len(unusable) > 0 {
		return usagef("%d run(s) did not produce a result:\n  %s", len(unusable), strings.Join(unusable, "\n  "))
	}
	return withRegressions(verdictOf(runs), runs)
}

// folders names each run's folder: the scenario, and its strategy too when
// the suite runs the scenario more than once.
func folders(specs []*scenarios.Spec) func(*scenarios.Spec) string {
	runs := map[string]int{}
	for _, s := range specs {
		runs[s.Name]++
	}
	return func(s *scenarios.Spec) string {
		if runs[s.Name] > 1 {
			return s.Name + "-" + s.RunName()
		}
		return s.Name
	}
}
