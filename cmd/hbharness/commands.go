package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// A command is one verb of hbharness. The table of commands is the one
// place a command is named, summed up and given its flags: run dispatches
// through it, and `hbharness help`, `hbharness COMMAND -h` and docs/cli.md
// (clidoc_test.go) are drawn from it, so that none of them can list a flag
// the command does not take, or miss one it does.
type command struct {
	name string
	// formerly is a name the command had, still accepted with a note on
	// stderr, so that scripts written against it keep working.
	formerly string
	summary  string // one line, for the list of commands
	// synopsis holds the shapes of its command line after the name, one a
	// line; its flags are listed from its flag set, not here.
	synopsis []string
	notes    string // what the flags do not say: files, services, exit codes
	// flags declares the command's flags on a fresh set. The command's run
	// declares them through the same function (or, taking no flags, parses
	// an empty set), so the two cannot differ.
	flags func(con *console) *flag.FlagSet
	run   func(ctx context.Context, args []string, con *console, log *slog.Logger) error
}

// commands is the table of hbharness's commands, in the order help lists them.
func commands() []command {
	return []command{
		{
			name:     "run",
			summary:  "run one scenario and judge it",
			synopsis: []string{"--scenario NAME|FILE [flags]", "--replay DIR|summary.json [--out DIR]", "--scenario NAME|FILE --target URL --token T --observe-db DSN [flags]"},
			notes: `Writes DIR/summary.json, report.html, junit.xml and history.json.gz (what the charts
are drawn from), and prints a table. --replay runs a past run again from its summary.json:
the same scenario, run, failure policy, time scale and seed, and the fault schedule it
applied. With --target it drives a deployment instead of in-process replicas, at real
time unless --time-scale says otherwise.

With --baseline, a metric worse than the past run's by more than --max-regression is a
regression: exit 1, each named.`,
			flags: func(con *console) *flag.FlagSet { fs, _ := runFlags(con); return fs },
			run:   cmdRun,
		},
		{
			name:     "sim",
			summary:  "run one scenario on a virtual clock: the reference's code on in-memory stand-ins",
			synopsis: []string{"--scenario NAME|FILE [--workers N] [--keys N] [--duration D] [--seed N] [flags]"},
			notes: `Runs the reference's own strategy, task worker and offline check on stand-ins for
Redis, the broker and Postgres, driven by a discrete-event queue, and judges the result
with the same verifier as run. Writes the same files as run; summary.json says "mode":
"sim" and lists the stand-ins' service times, which are stated parameters, not
measurements. One seed gives one event log (its hash is printed). A scenario using what
the simulation does not model (faults, attacks, workers other than active, more than
one replica) is refused: exit 2. See docs/sim.md.`,
			flags: func(con *console) *flag.FlagSet { fs, _ := simFlags(con); return fs },
			run:   cmdSim,
		},
		{
			name:     "compare",
			summary:  "run one scenario under several strategies, side by side",
			synopsis: []string{"--scenario NAME|FILE --strategies a,b,c [flags]"},
			notes: `Each strategy runs --repeat times, interleaved (a,b,c,a,b,c…) so that drift on a shared
machine hits all alike. Prints one table and writes comparison.html, compare.json and
junit.xml. Verdicts differ between strategies by design, so only an environment error
changes the exit status: a saturated run is shown as inconclusive, the comparison
completes, and it exits 2 at the end.`,
			flags: func(con *console) *flag.FlagSet { fs, _ := compareFlags(con); return fs },
			run:   cmdCompare,
		},
		{
			name:     "suite",
			summary:  "run scenarios back to back, one table and one JUnit file",
			synopsis: []string{"[--quick | --predeploy | --scenarios a,b] [flags]", "--target URL --token T --observe-db DSN [--slugs S | --jobs 1,2] [flags]"},
			notes: `Every built-in by default, each run of a scenario's runs: in its own folder. With
--target it judges a deployment: the pre-deploy subset by default, at real time. It goes
on past a failed verdict or a saturated load generator, and exits 1 if any verdict did
not match, 2 if any run was unusable. --baseline holds each run against a past one, as
for run.`,
			flags: func(con *console) *flag.FlagSet { fs, _ := suiteFlags(con); return fs },
			run:   cmdSuite,
		},
		{
			name:     "trend",
			formerly: "history",
			summary:  "one line per past run, oldest first: a metric's trend",
			synopsis: []string{"[flags] DIR..."},
			notes: `Walks run, suite and compare folders (or summary.json files) for summaries and prints
them oldest first; flags may come before, between or after the folders.`,
			flags: func(*console) *flag.FlagSet { fs, _, _, _ := trendFlags(); return fs },
			run: func(_ context.Context, args []string, con *console, _ *slog.Logger) error {
				return cmdTrend(args, con.stdout)
			},
		},
		{
			name:     "report",
			summary:  "render a saved run, suite or comparison again: new charts, no rerun",
			synopsis: []string{"DIR"},
			notes: `Renders again every output of the runs saved in DIR, from their summary.json and
history.json.gz:

- a run's folder: report.html, junit.xml, and its table on stdout
- a suite's folder: each run's files, the suite's junit.xml and its table
- a comparison's folder: each run's files, comparison.html, junit.xml and its table

summary.json is read, never rewritten: it judges nothing again, and exits 0 whatever
the verdicts. A run saved without its history gets the tables but not the charts, and
report says so. A folder it cannot read exits 2.`,
			flags: func(*console) *flag.FlagSet { return newFlags("report") },
			run:   toStdout(cmdReport),
		},
		{
			name:     "serve",
			summary:  "serve the reference implementation alone, with /metrics",
			synopsis: []string{"[--seed default|NAME|FILE [--force]] [flags]"},
			notes: `Postgres must be reachable. It starts without Redis, the broker or NATS, warning, as
Antenna's web workers do (--seed needs NATS: it publishes the jobs' tasks). --seed
refuses a database holding tables hbharness did not create, unless --force.`,
			flags: func(*console) *flag.FlagSet { fs, _ := serveFlags(); return fs },
			run:   toStdout(cmdServe),
		},
		{
			name:     "gc",
			summary:  "remove what killed runs and tests left on the servers",
			synopsis: []string{"[--older-than D]"},
			notes: "Removes databases, Redis keys, NATS streams and RabbitMQ queues named\n" +
				"`hbh_<kind>_<start time>_<random>`, and nothing else; one line per item removed. A\n" +
				"server it cannot reach exits 2, after whatever it could do.",
			flags: func(*console) *flag.FlagSet { fs, _ := gcFlags(); return fs },
			run:   toStdout(cmdGC),
		},
		{
			name:     "scenarios",
			summary:  "list the built-in scenarios",
			synopsis: []string{""},
			notes: "One line each: its name, a mark, and its description. q: in the pull-request subset,\n" +
				"`hbharness suite --quick`; p: in the pre-deploy subset, `hbharness suite --predeploy`\n" +
				"and suite --target's default.",
			flags: func(*console) *flag.FlagSet { return newFlags("scenarios") },
			run: func(_ context.Context, args []string, con *console, _ *slog.Logger) error {
				if err := parseFlags(newFlags("scenarios"), args); err != nil {
					return err
				}
				return cmdScenarios(con.stdout)
			},
		},
		{
			name:     "version",
			summary:  "print the version",
			synopsis: []string{""},
			flags:    func(*console) *flag.FlagSet { return newFlags("version") },
			run: func(_ context.Context, args []string, con *console, _ *slog.Logger) error {
				if err := parseFlags(newFlags("version"), args); err != nil {
					return err
				}
				_, err := fmt.Fprintf(con.stdout, "hbharness %s\n", version)
				return err
			},
		},
		{
			name:     "help",
			summary:  "list the commands, or show one's usage",
			synopsis: []string{"[COMMAND]"},
			flags:    func(*console) *flag.FlagSet { return newFlags("help") },
			run: func(_ context.Context, args []string, con *console, _ *slog.Logger) error {
				return cmdHelp(args, con.stdout, con.stderr)
			},
		},
	}
}

// toStdout fits a command that writes only to stdout into the table.
func toStdout(cmd func(context.Context, []string, io.Writer, *slog.Logger) error) func(context.Context, []string, *console, *slog.Logger) error {
	return func(ctx context.Context, args []string, con *console, log *slog.Logger) error {
		return cmd(ctx, args, con.stdout, log)
	}
}

// lookup finds a command by its name, or by a name it had, saying on
// stderr that it was renamed.
func lookup(name string, stderr io.Writer) (command, bool) {
	for _, c := range commands() {
		switch name {
		case c.name:
			return c, true
		case c.formerly:
			fmt.Fprintf(stderr, "hbharness: %s was renamed %s; use `hbharness %s`\n", c.formerly, c.name, c.name)
			return c, true
		}
	}
	return command{}, false
}
