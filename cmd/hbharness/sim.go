package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hbharness/hbharness/harness/sim"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/summary"
)

// simFlags declares sim's flags, for cmdSim to parse and for help and
// docs/cli.md to list.
func simFlags(con *console) (*flag.FlagSet, *simArgs) {
	fs := newFlags("sim")
	con.register(fs)
	a := &simArgs{}
	fs.StringVar(&a.name, "scenario", "", "built-in scenario name or YAML file")
	fs.StringVar(&a.o.strategy, "strategy", "", "override the scenario's strategy")
	fs.StringVar(&a.o.policy, "failure-policy", "", "override the gate failure policy")
	fs.Int64Var(&a.seed, "seed", 1, "seed for start offsets, jitter and the stand-ins' service times")
	fs.IntVar(&a.size.Workers, "workers", 0, "simulate this many workers (shared among the fleet's groups in their proportions)")
	fs.IntVar(&a.size.Keys, "keys", 0, "simulate this many keys (more projects over the scenario's pipelines: a multiple of their number)")
	fs.DurationVar(&a.size.Duration, "duration", 0, "simulate this much model time (e.g. 24h)")
	fs.StringVar(&a.out, "out", "", "output folder (default out/runs/<time>-sim-<scenario>-<strategy>)")
	fs.StringVar(&a.eventLog, "event-log", "", "also write the event log, one line per event, to this file")
	return fs, a
}

type simArgs struct {
	name, out, eventLog string
	seed                int64
	size                sim.Size
	o                   overrides
}

func cmdSim(ctx context.Context, args []string, con *console, log *slog.Logger) error {
	fs, a := simFlags(con)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	spec, err := loadSpec(a.name, a.o)
	if err != nil {
		return err
	}
	if spec, err = sim.Resize(spec, a.size); err != nil {
		return usageError{err}
	}
	if err := sim.Check(spec); err != nil {
		return usageError{err}
	}
	out := a.out
	if out == "" {
		out = defaultOut("sim-" + spec.Name + "-" + spec.Strategy)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usagef("cannot create the output folder: %v", err)
	}
	opt := sim.Options{Seed: a.seed, Log: log}
	if a.eventLog != "" {
		f, err := os.Create(a.eventLog)
		if err != nil {
			return usagef("--event-log: %v", err)
		}
		defer f.Close()
		opt.EventLog = f
	}
	if !con.quiet {
		fmt.Fprintf(con.stdout, "%s · %s · simulated · %s of model time\n", spec.Name, spec.Strategy, spec.Duration)
	}
	res, err := sim.Run(ctx, spec, opt)
	if res != nil {
		sum := res.Summary()
		sum.OutDir = out
		if werr := runfolder.Write(out, sum, res.History); werr != nil {
			return usageError{werr}
		}
		if terr := reports.WriteTable(con.stdout, sum); terr != nil {
			log.Warn("could not print the table", "err", terr)
		}
		fmt.Fprintf(con.stdout, "simulated %d events in %s · event log sha256 %s\nfiles: %s\n",
			sum.Sim.Events, res.Wall.Round(time.Millisecond), sum.Sim.EventLogSHA256, out)
		if err == nil {
			return verdictOf([]summary.Summary{sum})
		}
	}
	if errors.Is(err, context.Canceled) {
		return usagef("%s: interrupted; a partial summary marked \"interrupted\": true was written to %s", spec.Name, out)
	}
	return usageError{err}
}
