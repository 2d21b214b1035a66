package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// cmdSuite runs scenarios back to back (every built-in by default; against
// a --target, the pre-deploy subset at real time): the `make loadtest` job.
// It keeps going after a failed verdict or a saturated load generator, so
// one table and one JUnit file show them all; it stops at an interruption
// or when the environment itself fails.
func cmdSuite(ctx context.Context, args []string, con *console, log *slog.Logger) error {
	stdout := con.stdout
	fs, a := suiteFlags(con)
	// One line per finished run, then the table: no run's own table.
	con.quiet = true
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	choice, o, tf, out, bl := *a.choice, *a.o, a.tf, a.out, a.bl
	ext, err := tf.external()
	if err != nil {
		return err
	}
	list, err := choice.scenarios(ext != nil)
	if err != nil {
		return err
	}
	var specs []*scenarios.Spec
	for _, n := range list {
		vs, err := loadVariants(n, o)
		if err != nil {
			return err
		}
		specs = append(specs, vs...)
	}
	skip := forTarget(specs, ext, o, stdout)
	gate, err := bl.load(specs)
	if err != nil {
		return err
	}
	folder := folders(specs)
	if *out == "" {
		*out = defaultOut("suite")
	}
	var runs []summary.Summary
	sweep := &sync.Once{} // leftovers are swept before the first run only
	var unusable []string
	for _, spec := range specs {
		if why, ok := skip[spec]; ok {
			fmt.Fprintf(stdout, "%s/%s: skipped: %s\n", spec.Name, spec.RunName(), why)
			runs = append(runs, skippedRun(spec, ext.Target, why))
			continue
		}
		sum, err := runOne(ctx, spec, runner.Options{Log: log, Seed: 1, Sweep: sweep, External: ext}, filepath.Join(*out, folder(spec)), con, log)
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
			sum = summary.Summary{Scenario: spec.Name, Strategy: spec.Strategy, Label: spec.Label,
				TimeScale: float64(spec.TimeScale), Unusable: err.Error()}
			unusable = append(unusable, err.Error())
		default:
			return err
		}
		runs = append(runs, sum)
	}
	fmt.Fprintln(stdout)
	if err := reports.WriteSuiteTable(stdout, runs, colourOn(stdout)); err != nil {
		return err
	}
	if err := reports.WriteSuiteFindings(stdout, runs); err != nil {
		return err
	}
	if err := runfolder.WriteSuite(*out, runs, nil); err != nil {
		return err
	}
	if err := reports.WriteBaselineTable(stdout, runs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "files: %s · open %s\n", *out, filepath.Join(*out, runfolder.IndexFile))
	if len(unusable) > 0 {
		return usagef("%d run(s) did not produce a result:\n  %s", len(unusable), strings.Join(unusable, "\n  "))
	}
	if len(skip) == len(specs) && ext != nil {
		return usagef("nothing was judged: every run chosen was skipped against %s (see above why); choose runs it can be given, or leave out --scenarios for the pre-deploy subset", ext.Target)
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

// suiteFlags declares suite's flags, for cmdSuite to parse and for help and
// docs/cli.md to list.
func suiteFlags(con *console) (*flag.FlagSet, *suiteArgs) {
	fs := newFlags("suite")
	con.register(fs)
	var choice suiteChoice
	choice.register(fs)
	var o overrides
	o.register(fs, true)
	var tf targetFlags
	tf.register(fs)
	out := fs.String("out", "", "output folder (default out/runs/<time>-suite)")
	var bl baselineFlags
	bl.register(fs)
	return fs, &suiteArgs{choice: &choice, o: &o, tf: &tf, out: out, bl: &bl}
}

// suiteArgs are where suite's flags are parsed to.
type suiteArgs struct {
	choice *suiteChoice
	o      *overrides
	tf     *targetFlags
	out    *string
	bl     *baselineFlags
}
