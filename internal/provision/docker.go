package provision

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/ory/dockertest/v3"
)

// dockerReachable reports why Docker cannot be used, or nil.
func dockerReachable() error {
	if os.Getenv("DOCKER_HOST") == "" {
		if _, err := os.Stat("/var/run/docker.sock"); err != nil {
			return errors.New("no Docker daemon (DOCKER_HOST unset and /var/run/docker.sock missing)")
		}
	}
	pool, err := dockertest.NewPool("")
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	if err := pool.Client.Ping(); err != nil {
		return fmt.Errorf("docker daemon not answering: %w", err)
	}
	return nil
}

// startContainers replaces the unreachable services with throwaway containers.
func startContainers(ctx context.Context, u URLs, db, rds bool) (*Services, error) {
	pool, err := dockertest.NewPool("")
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	pool.MaxWait = 90 * time.Second
	var started []*dockertest.Resource
	cleanup := func() {
		for _, r := range started {
			_ = pool.Purge(r)
		}
	}
	fail := func(err error) (*Services, error) { cleanup(); return nil, err }
	if db {
		r, err := pool.RunWithOptions(&dockertest.RunOptions{Repository: "postgres", Tag: "15-alpine",
			Env: []string{"POSTGRES_HOST_AUTH_METHOD=trust"}})
		if err != nil {
			return fail(fmt.Errorf("starting a postgres container: %w", err))
		}
		started = append(started, r)
		_ = r.Expire(3600) // a crashed run must not leave it behind for long
		u.Database = (&url.URL{Scheme: "postgres", User: url.User("postgres"), Host: r.GetHostPort("5432/tcp"),
			Path: "/postgres", RawQuery: "sslmode=disable"}).String()
		if err := pool.Retry(func() error { return ProbePostgres(ctx, u.Database, 2*time.Second) }); err != nil {
			return fail(fmt.Errorf("postgres container never became ready: %w", err))
		}
	}
	if rds {
		r, err := pool.RunWithOptions(&dockertest.RunOptions{Repository: "redis", Tag: "7-alpine"})
		if err != nil {
			return fail(fmt.Errorf("starting a redis container: %w", err))
		}
		started = append(started, r)
		_ = r.Expire(3600)
		if u.Broker == u.Redis {
			u.Broker = "redis://" + r.GetHostPort("6379/tcp") + "/0"
		}
		u.Redis = "redis://" + r.GetHostPort("6379/tcp") + "/0"
		if err := pool.Retry(func() error { return ProbeRedis(ctx, u.Redis, 2*time.Second) }); err != nil {
			return fail(fmt.Errorf("redis container never became ready: %w", err))
		}
	}
	return &Services{URLs: u, Source: "docker", cleanup: cleanup}, nil
}
