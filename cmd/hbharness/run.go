package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/scenarios"
	"github.com/hbharness/hbharness/summary"
)

// defaultOut is a fresh folder under the git-ignored out/.
func defaultOut(parts ...string) string {
	return filepath.Join(append([]string{"out", "runs", time.Now().Format("20060102-150405")}, parts...)...)
}

// runFlags declares run's flags, for cmdRun to parse and for help and
// docs/cli.md to list.
func runFlags(con *console) (*flag.FlagSet, *runArgs) {
	fs := newFlags("run")
	con.register(fs)
	name := fs.String("scenario", "", "built-in scenario name or YAML file")
	var o overrides
	o.register(fs, true)
	out := fs.String("out", "", "output folder (default out/runs/<time>-<scenario>-<strategy>)")
	seed := fs.Int64("seed", 1, "seed for start offsets, jitter and random fault schedules")
	replay := fs.String("replay", "", "re-run a past run (its folder, or its summary.json): its scenario, strategy, scale, seed and the fault schedule it got")
	var tf targetFlags
	tf.register(fs)
	var bl baselineFlags
	bl.register(fs)
	return fs, &runArgs{name: name, o: &o, out: out, seed: seed, replay: replay, tf: &tf, bl: &bl}
}

// runArgs are where run's flags are parsed to.
type runArgs struct {
	name, out, replay *string
	seed              *int64
	o                 *overrides
	tf                *targetFlags
	bl                *baselineFlags
}

func cmdRun(ctx context.Context, args []string, con *console, log *slog.Logger) error {
	fs, a := runFlags(con)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name, o, out, seed, replay, tf, bl := a.name, *a.o, a.out, a.seed, a.replay, a.tf, a.bl
	var spec *scenarios.Spec
	var err error
	if *replay != "" {
		if *name != "" || o.strategy != "" || o.policy != "" || o.scale.IsSet() {
			return usagef("--replay takes the scenario, strategy, failure policy and time scale from the run it replays: leave them out")
		}
		spec, *seed, err = replayed(*replay)
	} else {
		spec, err = loadSpec(*name, o)
	}
	if err != nil {
		return err
	}
	opt := runner.Options{Log: log, Seed: *seed}
	if opt.External, err = tf.external(); err != nil {
		return err
	}
	if opt.External != nil && !o.scale.IsSet() {
		// A deployment runs on the production clock: judge it there
		// unless told otherwise.
		spec.TimeScale = modeltime.Real
	}
	gate, err := bl.load([]*scenarios.Spec{spec})
	if err != nil {
		return err
	}
	if *out == "" {
		*out = defaultOut(spec.Name + "-" + spec.Strategy)
	}
	sum, err := runOne(ctx, spec, opt, *out, con, log)
	if err != nil {
		return err
	}
	if err := gate.apply(&sum); err != nil {
		return err
	}
	runs := []summary.Summary{sum}
	if err := reports.WriteBaselineTable(con.stdout, runs); err != nil {
		log.Warn("could not print the baseline table", "err", err)
	}
	return withRegressions(verdictOf(runs), runs)
}

// runOne runs a scenario and writes its files, whatever the outcome. The
// error keeps runner.ErrSaturated visible to errors.Is.
func runOne(ctx context.Context, spec *scenarios.Spec, opt runner.Options, out string, con *console, log *slog.Logger) (summary.Summary, error) {
	stdout := con.stdout
	// A run whose results cannot be written is not worth its minutes.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return summary.Summary{}, usagef("cannot create the output folder: %v", err)
	}
	target := "in-process"
	if opt.External != nil {
		target = opt.External.Target
	}
	if !con.quiet {
		fmt.Fprintf(stdout, "%s · %s · %s · time scale %s%s: %s of model time takes %s\n", spec.Name, spec.Strategy, target,
			spec.TimeScale, realTime(spec.TimeScale), spec.Duration, spec.TimeScale.Wall(spec.Duration).Round(time.Millisecond))
	}
	files, err := con.startRun(out, spec.Name+"/"+spec.RunName(), &opt)
	if err != nil {
		return summary.Summary{}, err
	}
	res, err := runner.Run(ctx, spec, opt)
	if cerr := files.close(log); cerr != nil && err == nil {
		err = cerr
	}
	var sum summary.Summary
	if res != nil {
		sum = res.Summary()
		sum.OutDir = out
		if werr := runfolder.Write(out, sum, res.History); werr != nil {
			return sum, usageError{werr}
		}
		if con.quiet {
			fmt.Fprintln(stdout, reports.SuiteLine(sum, colourOn(stdout)))
		} else {
			if terr := reports.WriteTable(stdout, sum); terr != nil {
				log.Warn("could not print the table", "err", terr)
			}
			fmt.Fprintf(stdout, "files: %s\n", out)
		}
	}
	switch {
	case err == nil:
		return sum, nil
	case errors.Is(err, runner.ErrSaturated):
		return sum, usageError{fmt.Errorf("%s: %w — the result measures the load generator, not the target, and is not a verdict", spec.Name, err)}
	case errors.Is(err, context.Canceled):
		return sum, usagef("%s: interrupted; a partial summary marked \"interrupted\": true was written to %s", spec.Name, out)
	default:
		return sum, usageError{err}
	}
}

// verdictOf turns summaries into the exit status of
// docs/design.md#cli-contract: verify.Decide's mismatch exits 1, a run
// that found nothing about its target 2.
func verdictOf(runs []summary.Summary) error {
	err := verify.Decide(runs)
	var mismatch *verify.MismatchError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mismatch):
		return verdictError{err.Error()}
	default:
		return usageError{err}
	}
}

func realTime(s modeltime.Scale) string {
	if s == modeltime.Real {
		return " (real time)"
	}
	return ""
}

// replayed rebuilds a past run from its summary.json: the same scenario,
// strategy, failure policy, time scale and seed, and the fault schedule it
// applied, random draws included, written out as a fixed one.
func replayed(path string) (*scenarios.Spec, int64, error) {
	sum, err := runfolder.ReadSummary(path)
	if err != nil {
		return nil, 0, usagef("--replay: %v (give a run's output folder or its %s)", err, runfolder.SummaryFile)
	}
	spec, err := scenarios.Replay(scenarios.Recorded{Source: sum.Source, Strategy: sum.Strategy, Label: sum.Label,
		TimeScale: sum.TimeScale, FailurePolicy: sum.FailurePolicy, Faults: sum.FaultSchedule}, runner.ScenarioOptions())
	if err != nil {
		return nil, 0, usagef("--replay %s: %v", path, err)
	}
	return spec, sum.Seed, nil
}
