package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// cmdCompare runs one scenario under several strategies and tabulates them,
// each strategy --repeat times, interleaved (a,b,c,a,b,c…) so that drift on
// a shared machine hits all alike. Verdicts differ by design between
// strategies, so only an environment error changes the exit status: a
// saturated run is shown as inconclusive and the comparison goes on, exiting
// 2 at the end; anything else, or an interruption, stops it.
func cmdCompare(ctx context.Context, args []string, con *console, log *slog.Logger) error {
	stdout := con.stdout
	fs, a := compareFlags(con)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name, strats, repeat, o, out := a.name, a.strats, a.repeat, *a.o, a.out
	list := splitList(*strats)
	if len(list) == 0 {
		return usagef("--strategies is required: some of %s", strings.Join(contract.Strategies(), ", "))
	}
	if *repeat < 1 || *repeat > 100 {
		return usagef("--repeat %d: give the runs per strategy, from 1 to 100", *repeat)
	}
	var specs []*scenarios.Spec
	for i, s := range list {
		if slices.Contains(list[:i], s) {
			return usagef("--strategies lists %s twice: use --repeat to run a strategy more than once", s)
		}
		o.strategy = s
		spec, err := loadSpec(*name, o)
		if err != nil {
			return err
		}
		specs = append(specs, spec)
	}
	if *out == "" {
		*out = defaultOut("compare-" + specs[0].Name)
	}
	var runs []summary.Summary
	var unusable []string
	sweep := &sync.Once{} // leftovers are swept before the first run only
	for i := range *repeat {
		for _, spec := range specs {
			dir := filepath.Join(*out, spec.Strategy)
			if *repeat > 1 {
				dir = filepath.Join(dir, strconv.Itoa(i+1))
			}
			sum, err := runOne(ctx, spec, runner.Options{Log: log, Seed: 1, Sweep: sweep}, dir, con, log)
			switch {
			case err == nil:
			case errors.Is(err, runner.ErrSaturated) && sum.Scenario != "":
				// Inconclusive, not fatal: the other strategies' runs still
				// compare, and the table says this one measured nothing.
				unusable = append(unusable, err.Error())
			default:
				return err
			}
			runs = append(runs, sum)
		}
	}
	fmt.Fprintln(stdout)
	if err := reports.WriteComparison(stdout, runs); err != nil {
		return err
	}
	// Each run saved its history beside its summary: read back, they draw
	// the strategies over time on the comparison page.
	hists := make([]*history.History, len(runs))
	for i, s := range runs {
		if s.OutDir == "" || s.Unusable != "" {
			continue
		}
		h, err := runfolder.Run{Dir: s.OutDir, Summary: s}.History()
		if err != nil {
			log.Warn("comparison page: a run's history could not be read; it is left out of the charts over time", "run", s.OutDir, "err", err)
			continue
		}
		hists[i] = h
	}
	if err := runfolder.WriteComparison(*out, runs, hists); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "files: %s\n", *out)
	if len(unusable) > 0 {
		return usagef("%d run(s) were inconclusive, shown so in the comparison:\n  %s", len(unusable), strings.Join(unusable, "\n  "))
	}
	return nil
}

// compareFlags declares compare's flags, for cmdCompare to parse and for
// help and docs/cli.md to list.
func compareFlags(con *console) (*flag.FlagSet, *compareArgs) {
	fs := newFlags("compare")
	con.register(fs)
	name := fs.String("scenario", "", "built-in scenario name or YAML file")
	strats := fs.String("strategies", "", "comma-separated strategies, e.g. view-gate,two-tier,inline")
	repeat := fs.Int("repeat", 1, "runs per strategy, interleaved; above 1 the table shows each metric's median and min–max and marks what is within noise")
	var o overrides
	o.register(fs, false)
	out := fs.String("out", "", "output folder (default out/runs/<time>-compare-<scenario>)")
	return fs, &compareArgs{name: name, strats: strats, repeat: repeat, o: &o, out: out}
}

// compareArgs are where compare's flags are parsed to.
type compareArgs struct {
	name, strats, out *string
	repeat            *int
	o                 *overrides
}
