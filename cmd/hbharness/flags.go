package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/scenarios"
)

// newFlags returns a flag set that reports errors instead of exiting, and
// prints nothing itself: run prints the command's usage, drawn from the
// command table (commands.go), after -h or after a refused command line.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// errHelpShown ends a command whose usage was asked for (-h, --help): run
// shows it, on stdout, and exits 0.
var errHelpShown = errors.New("help shown")

// commandLineError marks a command line its command refused: a flag it
// does not take, a bad value, a wrong number of arguments. It is a usage
// error (exit 2), and run prints the command's usage after it.
type commandLineError struct{ err error }

func (e commandLineError) Error() string { return e.err.Error() }
func (e commandLineError) Unwrap() error { return e.err }

func commandLinef(format string, a ...any) error {
	return usageError{commandLineError{fmt.Errorf(format, a...)}}
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return errHelpShown
	} else if err != nil {
		return usageError{commandLineError{err}}
	}
	if fs.NArg() > 0 {
		return commandLinef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// overrides are the flags that change a scenario for one invocation.
type overrides struct {
	strategy string
	policy   string
	scale    modeltime.Flag
}

func (o *overrides) register(fs *flag.FlagSet, strategy bool) {
	if strategy {
		fs.StringVar(&o.strategy, "strategy", "", "override the scenario's strategy")
	}
	fs.StringVar(&o.policy, "failure-policy", "", "override the gate failure policy: "+strings.Join(contract.PolicyNames(), ", "))
	fs.Var(&o.scale, "time-scale", "override the scenario's time scale, in (0, 1]")
}

// loadSpec reads a scenario as it runs under the overrides: for a scenario
// with runs:, the run for the strategy asked for (the first by default);
// every name checked against the registries a run has.
func loadSpec(name string, o overrides) (*scenarios.Spec, error) {
	spec, err := loadFile(name, o)
	if err != nil {
		return nil, err
	}
	return spec.ForStrategy(o.strategy), nil
}

// loadVariants reads a scenario as a suite runs it: once per entry of its
// runs:, unless a strategy is forced.
func loadVariants(name string, o overrides) ([]*scenarios.Spec, error) {
	spec, err := loadFile(name, o)
	if err != nil {
		return nil, err
	}
	if o.strategy != "" {
		return []*scenarios.Spec{spec.ForStrategy(o.strategy)}, nil
	}
	return spec.Variants(), nil
}

func loadFile(name string, o overrides) (*scenarios.Spec, error) {
	opt := runner.ScenarioOptions()
	if name == "" {
		return nil, usagef("--scenario is required: a built-in name (see `hbharness scenarios`) or a YAML file")
	}
	spec, err := scenarios.Load(name, opt)
	if err != nil {
		return nil, usageError{err}
	}
	if err := scenarios.CheckOverrides(o.strategy, opt); err != nil {
		return nil, usageError{err}
	}
	spec.WithOverrides("", o.scale.Scale)
	if o.policy != "" {
		p, err := contract.ParsePolicy(o.policy)
		if err != nil {
			return nil, usageError{err}
		}
		spec.FailurePolicy = string(p)
		for i := range spec.Runs {
			spec.Runs[i].FailurePolicy = "" // the command line wins over the file's runs too
		}
	}
	return spec, nil
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
