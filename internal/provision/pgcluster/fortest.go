package pgcluster

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/hbharness/hbharness/internal/testdeps"
)

// ForTest starts a cluster with settings for the test t and stops it when
// the test ends. Where PostgreSQL's server is not installed it skips t
// saying what is missing and how to install it, except on CI (CI=true),
// where a skip would hide a test that never ran, so it fails t instead
// (testdeps.Require). Under -short it skips t without starting anything.
// Any other failure to start fails t.
func ForTest(t testing.TB, settings map[string]string) *Cluster {
	t.Helper()
	testdeps.Short(t, "a throwaway PostgreSQL cluster")
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
	testdeps.Require(t, "PostgreSQL's server (for a throwaway cluster)", err, "on CI have .ci/run install it (apt-get install -y postgresql)")
}
