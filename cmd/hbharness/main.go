// Command hbharness drives, observes and verifies a throttled, deferred
// heartbeat (docs/design.md#cli-contract). It parses flags and calls the
// library packages; its commands are in the table of commands.go.
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
		writeCommands(stderr) //nolint:errcheck // exiting 2 all the same
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-v", "-version", "--version":
		name = "version"
	}
	cmd, ok := lookup(name, stderr)
	var err error
	if ok {
		err = cmd.run(ctx, args[1:], con, log)
	} else {
		err = unknownCommand(name)
	}
	var cle commandLineError
	var ue usageError
	var ve verdictError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelpShown):
		if err := writeUsage(stdout, cmd); err != nil {
			fmt.Fprintln(stderr, "hbharness:", err)
			return exitUsage
		}
		return exitOK
	case errors.As(err, &cle):
		// A refused command line: the error, then what the command takes.
		fmt.Fprintf(stderr, "hbharness: %v\n\n", err)
		writeRefused(stderr, cmd) //nolint:errcheck // exiting 2 all the same
		return exitUsage
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
