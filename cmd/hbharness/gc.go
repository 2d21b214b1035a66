package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hbharness/hbharness/internal/provision"
)

// cmdGC removes what tests and runs killed before their cleanup (SIGKILL, a
// panic on another goroutine) left on the servers: `hbharness gc
// [--older-than D]`. It prints one line per item removed and a total; a
// server it cannot reach is an error (exit 2), after whatever it could do.
func cmdGC(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs, olderThan := gcFlags()
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *olderThan <= 0 {
		return usagef("gc: --older-than must be positive, got %s: zero or less would remove the databases of tests and runs in progress", *olderThan)
	}
	urls := provision.FromEnv()
	swept, err := provision.Sweep(ctx, urls, *olderThan, time.Now(), log)
	for _, name := range swept.Databases {
		fmt.Fprintf(stdout, "database  %s\n", name)
	}
	for _, key := range swept.Keys {
		fmt.Fprintf(stdout, "key       %s\n", key)
	}
	for _, name := range swept.Queues {
		fmt.Fprintf(stdout, "queue     %s\n", name)
	}
	for _, name := range swept.Streams {
		fmt.Fprintf(stdout, "stream    %s\n", name)
	}
	fmt.Fprintf(stdout, "removed %s (%s, %s, %s, %s) of tests and runs started more than %s ago\n",
		gcCount(swept.Len(), "item"), gcCount(len(swept.Databases), "database"), gcCount(len(swept.Keys), "Redis key"),
		gcCount(len(swept.Streams), "NATS stream"), gcCount(len(swept.Queues), "RabbitMQ queue"), *olderThan)
	if err != nil {
		return fmt.Errorf("gc did not remove everything; fix what follows and run it again:\n%w", err)
	}
	return nil
}

// gcFlags declares gc's flag, for cmdGC to parse and for help and
// docs/cli.md to list.
func gcFlags() (*flag.FlagSet, *time.Duration) {
	fs := newFlags("gc")
	olderThan := fs.Duration("older-than", provision.DefaultSweepAge,
		"remove the databases, Redis keys, NATS streams and RabbitMQ queues of tests and runs started longer ago than this; "+
			"anything younger is kept, and anything older is removed even if still running")
	return fs, olderThan
}

func gcCount(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
