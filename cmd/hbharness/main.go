// Command hbharness drives, observes and verifies a throttled, deferred
// heartbeat (docs/design.md#cli-contract). It is a thin layer over the library packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	// Scenarios name time zones (clock-skew zone:); the binary carries the
	// database so that it does not depend on the host's.
	_ "time/tzdata"

	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/internal/logthrottle"
)

// Exit codes of docs/design.md#cli-contract.
const (
	exitOK      = 0
	exitVerdict = 1
	exitUsage   = 2
)

// usageError marks a bad flag, file or environment: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// verdictError marks a run whose verdicts did not all match: exit 1.
type verdictError struct{ msg string }

func (e verdictError) Error() string { return e.msg }

var version = "dev" // set with -ldflags "-X main.version=..."

const usage = `hbharness — load-test and verify a throttled, deferred heartbeat

usage:
  hbharness run       --scenario NAME|FILE [--strategy S] [--failure-policy P] [--time-scale X] [--seed N] [--out DIR]
                      [--target URL --token T --observe-db DSN [--allow-remote]]
  hbharness run       --replay DIR|summary.json [--out DIR]   a past run again, its fault schedule included
  hbharness compare   --scenario NAME|FILE --strategies a,b,c [--repeat N] [--out DIR]
  hbharness suite     [--quick | --predeploy | --scenarios a,b] [--out DIR]  every built-in (--quick: the PR subset), one table
                      [--target URL --token T --observe-db DSN [--slugs S | --jobs 1,2]]  a deployment: the pre-deploy subset, real time
  hbharness history   [--metrics p99,staleness,...] [--csv] [--html FILE] DIR...   one line per past run, oldest first
  run and suite take --baseline DIR|summary.json [--max-regression 10%,p99=25%]: a regression against it exits 1
  hbharness serve     [--addr A] [--strategy S] [--time-scale X] [--seed NAME|FILE [--force]] [--token T]
  hbharness report    DIR                                  render a saved run, suite or comparison again (new charts, no rerun)
  hbharness gc        [--older-than D]                     remove what killed runs and tests left behind
  hbharness scenarios
  hbharness version
  hbharness COMMAND --help                                 a command's flags

services: DATABASE_URL, REDIS_URL, BROKER_URL (default: REDIS_URL).
output: logs in each run's DIR/run.log (-v on run, compare, suite: on stderr too), every request
  in DIR/results.bin for vegeta report|plot|encode, progress on stderr.
exit codes: 0 every verdict matched, 1 a verdict did not, 2 usage/config/environment error.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func run(args []string, stdout, stderr io.Writer) int {
	// go-redis prints every failed dial itself; our own logs say it once, better.
	redis.SetLogger(quietRedis{})
	// A dependency that fails under load fails on every request: one line
	// per message per second is enough to read, and says how many it held back.
	// Log lines go to stderr, except during a run: to its run.log (logs.go).
	logs := newLogRouter(stderr)
	con := newConsole(stdout, stderr, logs)
	log := slog.New(logthrottle.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}), time.Second))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, log)
	case "run":
		err = cmdRun(ctx, args[1:], con, log)
	case "compare":
		err = cmdCompare(ctx, args[1:], con, log)
	case "suite":
		err = cmdSuite(ctx, args[1:], con, log)
	case "report":
		err = cmdReport(ctx, args[1:], stdout, log)
	case "gc":
		err = cmdGC(ctx, args[1:], stdout, log)
	case "history":
		err = cmdHistory(args[1:], stdout)
	case "scenarios":
		err = cmdScenarios(stdout)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "hbharness %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q\n\n%s", args[0], usage)
	}
	var ue usageError
	var ve verdictError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	case errors.As(err, &ve):
		fmt.Fprintln(stderr, "hbharness:", err)
		return exitVerdict
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "hbharness:", err)
		return exitUsage
	default:
		// Anything unclassified is an environment problem, not a verdict:
		// never let a broken setup pass for a failed (or passed) check.
		fmt.Fprintln(stderr, "hbharness:", err)
		return exitUsage
	}
}
