// Package testenv gives each test an isolated slice of the machine's shared
// servers: its own database (dropped on cleanup), Redis key prefix (deleted
// on cleanup) and NATS names under the same prefix (their streams deleted
// on cleanup). It never flushes or reconfigures a server.
package testenv

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/internal/testdeps"
)

// Env is one test's services.
type Env struct {
	DSN    string
	Pool   *pgxpool.Pool
	Redis  *redis.Client
	Prefix string
	// NATS is the task queue's server; the test's streams are named under
	// Prefix (taskqueue.Config.Prefix).
	NATS string
	URLs provision.URLs
}

// New provisions an Env or fails the test saying what is missing.
func New(t testing.TB) *Env {
	t.Helper()
	testdeps.NeedsServices(t)
	ctx := context.Background()
	svc, err := provision.Resolve(ctx, provision.FromEnv(), provision.Options{Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, err, "tests need Postgres, Redis and NATS with JetStream (bash scripts/services.sh starts them)")
	t.Cleanup(svc.Close)
	name := provision.NewName("t")
	dsn, drop, err := provision.CreateDatabase(ctx, svc.Database, name)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := drop(context.Background()); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.MaxConns = 40
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	rc, err := redisconn.Open(svc.Redis, redisconn.Timeouts{Timeout: 5 * time.Second})
	require.NoError(t, err)
	prefix := provision.Prefix(name)
	t.Cleanup(func() {
		if err := provision.DeleteKeys(context.Background(), rc, prefix); err != nil {
			t.Logf("cleanup: %v", err)
		}
		_ = rc.Close()
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := provision.DeleteStreams(ctx, svc.NATS, prefix); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	return &Env{DSN: dsn, Pool: pool, Redis: rc, Prefix: prefix, NATS: svc.NATS, URLs: svc.URLs}
}
