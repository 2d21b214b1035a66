package provision

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/internal/testdeps"
)

func TestChoose(t *testing.T) {
	cases := []struct {
		name                     string
		db, redis, broker, dockr bool
		want                     Plan
	}{
		{"all reachable", true, true, true, false, UseEnvironment},
		{"all reachable, docker too", true, true, true, true, UseEnvironment},
		{"nothing reachable, docker", false, false, false, true, StartContainers},
		{"only redis missing, docker", true, false, false, true, StartContainers},
		{"only broker missing, docker", true, true, false, true, StartContainers},
		{"nothing reachable, no docker", false, false, false, false, GiveUp},
		{"postgres missing, no docker", false, true, true, false, GiveUp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Choose(c.db, c.redis, c.broker, c.dockr))
		})
	}
}

func TestRedact(t *testing.T) {
	require.Equal(t, "postgres://u:xxxxx@h:5432/db", Redact("postgres://u:secret@h:5432/db"))
	require.Equal(t, "redis://127.0.0.1:6379/0", Redact("redis://127.0.0.1:6379/0"))
	require.NotContains(t, Redact("redis://:pw@h:1/0"), "pw")
}

// Nothing listens on port 1: with Docker disabled the error names every
// service tried, hides passwords and says how to fix it.
func TestResolveGivesUpClearly(t *testing.T) {
	u := URLs{Database: "postgres://postgres:hunter2@127.0.0.1:1/postgres?sslmode=disable", Redis: "redis://127.0.0.1:1/0"}
	u.Broker = u.Redis
	_, err := Resolve(context.Background(), u, Options{NoDocker: true, ProbeAfter: 500 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	require.ErrorIs(t, err, ErrUnavailable)
	msg := err.Error()
	for _, want := range []string{"postgres", "redis", "docker", "fix:", "127.0.0.1:1"} {
		require.Contains(t, msg, want)
	}
	require.NotContains(t, msg, "hunter2")
}

// The container path needs a Docker daemon; this machine has none, and no
// image can be pulled, so the test says so and skips. On a laptop or hosted
// CI with Docker it starts throwaway Postgres and Redis containers. It is
// the one test that skips under CI=true (not testdeps.Require): the
// project's CI runs its services natively, with no Docker daemon.
func TestStartContainers(t *testing.T) {
	testdeps.Short(t, "a Docker daemon")
	if err := dockerReachable(); err != nil {
		t.Skipf("skipped, also on CI: the dockertest path is not exercised: %v; CI runs the services natively", err)
	}
	if os.Getenv("HBHARNESS_DOCKER_TESTS") == "" {
		t.Skip("skipped, also on CI: pulling postgres:15-alpine and redis:7-alpine is opt-in; set HBHARNESS_DOCKER_TESTS=1")
	}
	svc, err := startContainers(context.Background(), URLs{}, true, true)
	require.NoError(t, err)
	t.Cleanup(svc.Close)
	require.Equal(t, "docker", svc.Source)
	require.NoError(t, ProbePostgres(context.Background(), svc.Database, 5*time.Second))
	require.NoError(t, ProbeRedis(context.Background(), svc.Redis, 5*time.Second))
}

func TestIsolation(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs the shared servers; `make test` runs it")
	}
	ctx := context.Background()
	svc, err := Resolve(ctx, FromEnv(), Options{Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	name := NewName("t")
	require.True(t, strings.HasPrefix(name, "hbh_t_"))
	dsn, drop, err := CreateDatabase(ctx, svc.Database, name)
	require.NoError(t, err)
	require.NoError(t, ProbePostgres(ctx, dsn, 5*time.Second))
	require.NoError(t, drop(ctx))
	require.Error(t, ProbePostgres(ctx, dsn, 2*time.Second), "database dropped")

	rc, err := redisconn.Open(svc.Redis, redisconn.Timeouts{Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer rc.Close()
	p := Prefix(name)
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, rc.Set(ctx, p+k, 1, time.Minute).Err())
	}
	require.NoError(t, rc.Set(ctx, name+"-other", 1, time.Minute).Err())
	require.NoError(t, DeleteKeys(ctx, rc, p))
	n, err := rc.Exists(ctx, p+"a", p+"b", p+"c").Result()
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, int64(1), rc.Exists(ctx, name+"-other").Val(), "keys outside the prefix survive")
	rc.Del(ctx, name+"-other")
	require.Error(t, DeleteKeys(ctx, rc, ""), "an empty prefix would delete everything")
}
