package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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

func cmdRun(ctx context.Context, args []string, con *console, log *slog.Logger) error {
	fs := newFlags("run", con.stdout)
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
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
			fmt.Fprintln(stdout, reports.SuiteLine(sum))
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
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "summary.json")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, usagef("--replay: %v (give a run's output folder or its summary.json)", err)
	}
	defer f.Close()
	sum, err := summary.ReadJSON(f)
	if err != nil {
		return nil, 0, usagef("--replay %s: %v", path, err)
	}
	if sum.Source == "" {
		return nil, 0, usagef("--replay %s: the summary does not say which scenario it ran (written by an older hbharness)", path)
	}
	name, _ := strings.CutPrefix(sum.Source, "builtin:")
	opt := runner.ScenarioOptions()
	spec, err := scenarios.Load(name, opt)
	if err != nil {
		return nil, 0, usagef("--replay %s: %v", path, err)
	}
	spec = spec.ForRun(sum.Strategy, sum.Label)
	if spec.TimeScale, err = modeltime.New(sum.TimeScale); err != nil {
		return nil, 0, usagef("--replay %s: %v", path, err)
	}
	spec.FailurePolicy = sum.FailurePolicy
	spec.RandomFaults = nil
	spec.Faults = nil
	for _, f := range sum.FaultSchedule {
		x := scenarios.Fault{Kind: f.Kind, At: secs(f.AtS), For: secs(f.ForS), Latency: secs(f.LatencyS),
			Offset: secs(f.OffsetS), Zone: f.Zone, Replica: scenarios.AllReplicas}
		if f.Replica != nil {
			x.Replica = *f.Replica
		}
		spec.Faults = append(spec.Faults, x)
	}
	return spec, sum.Seed, nil
}

func secs(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond)
}
