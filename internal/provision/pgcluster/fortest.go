package pgcluster

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"
)

// ForTest starts a cluster with settings for the test t and stops it when
// the test ends. Where PostgreSQL's server is not installed it skips t
// saying what is missing and how to install it, except on CI (CI=true),
// where a skip would hide a test that never ran, so it fails t instead.
// Any other failure to start fails t.
func ForTest(t testing.TB, settings map[string]string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Settings: settings, Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		notInstalled(t, err)
		t.Fatalf("starting a throwaway PostgreSQL cluster: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// notInstalled skips (or, on CI, fails) t when err says the server is not
// installed; otherwise it returns.
func notInstalled(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotInstalled) {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v\nCI=true: this test needs a throwaway PostgreSQL server and must not be skipped on CI; have .ci/run install it (apt-get install -y postgresql)", err)
		return
	}
	t.Skipf("skipped: %v", err)
}
