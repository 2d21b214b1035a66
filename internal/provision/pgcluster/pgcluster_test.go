package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/testdeps"
)

// A cluster starts with the settings asked for, answers on its DSN, and
// leaves nothing behind when stopped (twice: Stop is idempotent).
func TestStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a throwaway PostgreSQL server, for seconds; `make test` runs it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	c, err := Start(ctx, Options{Settings: map[string]string{"wal_level": "logical", "application_name": "it's quoted"}})
	if err != nil {
		notInstalled(t, err)
		require.NoError(t, err)
	}
	t.Logf("cluster %s on port %d started in %s", c.Version, c.Port, time.Since(began).Round(time.Millisecond))
	stopped := false
	defer func() {
		if !stopped {
			c.Stop()
		}
	}()

	conn, err := pgx.Connect(ctx, c.DSN(""))
	require.NoError(t, err)
	var walLevel, appName, fsync, sockets string
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_setting('wal_level'), current_setting('application_name'),
		current_setting('fsync'), current_setting('unix_socket_directories')`).Scan(&walLevel, &appName, &fsync, &sockets))
	require.Equal(t, "logical", walLevel)
	require.Equal(t, "it's quoted", appName) // the shell quoting of pg_ctl -o holds
	require.Equal(t, "off", fsync)
	require.Equal(t, c.Dir, sockets)
	_, err = conn.Exec(ctx, "CREATE DATABASE other")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	other, err := pgx.Connect(ctx, c.DSN("other"))
	require.NoError(t, err)
	require.NoError(t, other.Close(ctx))

	t0 := time.Now()
	c.Stop()
	stopped = true
	t.Logf("stopped in %s", time.Since(t0).Round(time.Millisecond))
	_, err = os.Stat(c.Dir)
	require.True(t, errors.Is(err, os.ErrNotExist), "cluster directory %s still there: %v", c.Dir, err)
	c.Stop() // idempotent

	cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
	defer ccancel()
	_, err = pgx.Connect(cctx, c.DSN(""))
	require.Error(t, err, "the server still answers after Stop")
}

func TestForTest(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a throwaway PostgreSQL server, for seconds; `make test` runs it")
	}
	c := ForTest(t, map[string]string{"max_connections": "20"})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.DSN(""))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_setting('max_connections')::int").Scan(&n))
	require.Equal(t, 20, n)
}

// A server that will not start is reported with its log, and leaves no
// directory behind.
func TestFailedStartCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a throwaway PostgreSQL server, for seconds; `make test` runs it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Start(ctx, Options{Settings: map[string]string{"wal_level": "bogus"}})
	if errors.Is(err, ErrNotInstalled) {
		notInstalled(t, err)
	}
	require.Error(t, err)
	require.ErrorContains(t, err, "wal_level")
	require.ErrorContains(t, err, "bogus")
	dir := regexp.MustCompile(`/[^\s]*hbh-pgcluster-[0-9]+`).FindString(err.Error())
	require.NotEmpty(t, dir, "the error names the cluster directory: %v", err)
	_, statErr := os.Stat(dir)
	require.True(t, errors.Is(statErr, os.ErrNotExist), "%s left behind", dir)
	t.Log(err)
}

func TestRejectsBadSettingName(t *testing.T) {
	_, err := Start(context.Background(), Options{Settings: map[string]string{"wal_level; rm -rf /": "x"}})
	require.ErrorContains(t, err, "not a PostgreSQL parameter name")
}

// fakeTB records what ForTest's helper decided instead of acting on it.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                         {}
func (f *fakeTB) Skipf(format string, a ...any)   { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any)  { f.failed = fmt.Sprintf(format, a...) }
func (f *fakeTB) Errorf(format string, a ...any)  { f.failed = fmt.Sprintf(format, a...) }
func (f *fakeTB) Logf(format string, args ...any) {}

// Missing binaries skip a developer's test but fail CI's, saying how to
// install them (testdeps.Require, tested there); other errors are left to
// the caller.
func TestNotInstalledSkipsExceptOnCI(t *testing.T) {
	// Under -short the helper skips before it reads CI: nothing to see.
	testdeps.Short(t, "a run without -short, for the helper to read CI")
	missing := fmt.Errorf("pgcluster: %w: install it (apt-get install postgresql)", ErrNotInstalled)

	t.Setenv("CI", "")
	f := &fakeTB{TB: t}
	notInstalled(f, missing)
	require.Contains(t, f.skipped, "apt-get install postgresql")
	require.Empty(t, f.failed)

	t.Setenv("CI", "true")
	f = &fakeTB{TB: t}
	notInstalled(f, missing)
	require.Empty(t, f.skipped)
	require.Contains(t, f.failed, "must not be skipped on CI")
	require.True(t, strings.Contains(f.failed, "apt-get install"))

	f = &fakeTB{TB: t}
	notInstalled(f, errors.New("port in use"))
	require.Empty(t, f.skipped)
	require.Empty(t, f.failed)
}
