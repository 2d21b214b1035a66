package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/reference/gate"
	"github.com/hbharness/hbharness/reference/strategy"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/scenarios"
)

func loadSpec(name, strat string, scale float64, policy string) (*scenarios.Spec, error) {
	opt := scenarios.Options{Strategies: strategy.Names()}
	if name == "" {
		return nil, usagef("--scenario is required: a built-in name (see `hbharness scenarios`) or a YAML file")
	}
	spec, err := scenarios.Load(name, opt)
	if err != nil {
		return nil, usageError{err}
	}
	if err := scenarios.CheckOverrides(strat, scale, opt); err != nil {
		return nil, usageError{err}
	}
	spec.WithOverrides(strat, scale)
	if policy != "" {
		p, err := gate.ParsePolicy(policy)
		if err != nil {
			return nil, usageError{err}
		}
		spec.FailurePolicy = string(p)
	}
	return spec, nil
}

// defaultOut is a fresh folder under the git-ignored out/.
func defaultOut(parts ...string) string {
	return filepath.Join(append([]string{"out", "runs", time.Now().Format("20060102-150405")}, parts...)...)
}

func cmdRun(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := newFlags("run", stdout)
	name := fs.String("scenario", "", "built-in scenario name or YAML file")
	strat := fs.String("strategy", "", "override the scenario's strategy")
	scale := fs.Float64("time-scale", 0, "override the scenario's time scale, in (0, 1]")
	policy := fs.String("failure-policy", "", "override the gate failure policy: fail-closed, fail-open, fail-open-local")
	out := fs.String("out", "", "output folder (default out/runs/<time>-<scenario>-<strategy>)")
	seed := fs.Int64("seed", 1, "seed for start offsets and jitter")
	var ext runner.External
	fs.StringVar(&ext.Target, "target", "", "drive an external deployment at this base URL instead of in-process replicas")
	fs.StringVar(&ext.Token, "token", "", "API token for --target")
	fs.StringVar(&ext.ObserveDB, "observe-db", "", "read-only DSN of --target's database")
	fs.BoolVar(&ext.AllowRemote, "allow-remote", false, "allow a --target that is not a loopback address")
	jobs := fs.String("jobs", "", "job ids to poll on --target (default: ask its list endpoint with --slugs)")
	slugs := fs.String("slugs", "", "pipeline slugs for --target's list endpoint, comma-separated")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	spec, err := loadSpec(*name, *strat, *scale, *policy)
	if err != nil {
		return err
	}
	opt := runner.Options{Log: log, Seed: *seed}
	if ext.Target != "" || ext.Token != "" || ext.ObserveDB != "" {
		if ext.JobIDs, err = parseIDs(*jobs); err != nil {
			return err
		}
		ext.Slugs = splitList(*slugs)
		if err := ext.CheckTarget(); err != nil {
			return usageError{err}
		}
		opt.External = &ext
	}
	if *out == "" {
		*out = defaultOut(spec.Name + "-" + spec.Strategy)
	}
	sum, err := runOne(ctx, spec, opt, *out, stdout, log)
	if err != nil {
		return err
	}
	return verdictOf([]reports.Summary{sum})
}

// runOne runs a scenario and writes its files, whatever the outcome.
func runOne(ctx context.Context, spec *scenarios.Spec, opt runner.Options, out string, stdout io.Writer, log *slog.Logger) (reports.Summary, error) {
	// A run whose results cannot be written is not worth its minutes.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return reports.Summary{}, usagef("cannot create the output folder: %v", err)
	}
	res, err := runner.Run(ctx, spec, opt)
	if res != nil {
		res.Summary.OutDir = out
		if werr := writeRun(out, res); werr != nil {
			return res.Summary, usageError{werr}
		}
		if terr := reports.WriteTable(stdout, res.Summary); terr != nil {
			log.Warn("could not print the table", "err", terr)
		}
		fmt.Fprintf(stdout, "files: %s\n", out)
	}
	var sum reports.Summary
	if res != nil {
		sum = res.Summary
	}
	switch {
	case err == nil:
		return sum, nil
	case errors.Is(err, runner.ErrSaturated):
		return sum, usagef("%s: %v — the result measures the load generator, not the target, and is not a verdict", spec.Name, err)
	case errors.Is(err, context.Canceled):
		return sum, usagef("%s: interrupted; a partial summary marked \"interrupted\": true was written to %s", spec.Name, out)
	default:
		return sum, usageError{err}
	}
}

// verdictOf turns summaries into the exit status of §8.
func verdictOf(runs []reports.Summary) error {
	var failed []string
	for _, s := range runs {
		if s.Passed {
			continue
		}
		var names []string
		for _, v := range s.Invariants {
			if !v.Passed {
				names = append(names, fmt.Sprintf("%s (%s, expected %s)", v.Name, v.Outcome, v.Expected))
			}
		}
		failed = append(failed, fmt.Sprintf("%s/%s: %s", s.Scenario, s.Strategy, strings.Join(names, ", ")))
	}
	if len(failed) > 0 {
		return verdictError{"verdicts did not match:\n  " + strings.Join(failed, "\n  ")}
	}
	return nil
}

func writeRun(dir string, res *runner.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output folder: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"summary.json", func(w io.Writer) error { return reports.WriteJSON(w, res.Summary) }},
		{"report.html", func(w io.Writer) error { return reports.WriteHTML(w, res.Summary, res.History) }},
		{"junit.xml", func(w io.Writer) error { return reports.WriteJUnit(w, []reports.Summary{res.Summary}) }},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes through a temporary file so a failed render never
// leaves a truncated report behind.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseIDs(s string) ([]int64, error) {
	var ids []int64
	for _, p := range splitList(s) {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id < 1 {
			return nil, usagef("--jobs: %q is not a job id", p)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
