package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/scenarios"
)

// cmdCompare runs one scenario under several strategies and tabulates them.
// Verdicts differ by design between strategies, so only an environment
// error changes the exit status.
func cmdCompare(ctx context.Context, args []string, con *console, log *slog.Logger) error {
	stdout := con.stdout
	fs := newFlags("compare", stdout)
	con.register(fs)
	name := fs.String("scenario", "", "built-in scenario name or YAML file")
	strats := fs.String("strategies", "", "comma-separated strategies, e.g. view-gate,two-tier,inline")
	var o overrides
	o.register(fs, false)
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
	var runs []reports.Summary
	sweep := &sync.Once{} // leftovers are swept before the first run only
	for _, spec := range specs {
		sum, err := runOne(ctx, spec, runner.Options{Log: log, Seed: 1, Sweep: sweep}, filepath.Join(*out, spec.Strategy), con, log)
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
