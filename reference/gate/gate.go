// Package gate decides who may dispatch a heartbeat: one winner per key per
// window. The Redis gate is Antenna's cache.add (SET NX EX, here PX so that
// scaled windows keep millisecond precision); the local gate is an in-process
// TTL set; Policy says what a Redis failure means.
package gate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Gate admits the first caller per key per ttl.
type Gate interface {
	// Acquire reports whether the caller won the key for ttl (wall time).
	Acquire(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Redis is cache.add(key, 1, timeout) on a shared Redis: cross-process atomic.
type Redis struct {
	client *redis.Client
	prefix string // isolates runs sharing one Redis
}

// NewRedis returns a gate on client whose keys are prefixed with prefix.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

func (g *Redis) Acquire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl < time.Millisecond {
		ttl = time.Millisecond // PX 0 is an error in Redis
	}
	ok, err := g.client.SetNX(ctx, g.prefix+key, 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("redis gate SET NX on %s: %w", g.prefix+key, err)
	}
	return ok, nil
}

// Local is an in-process TTL set: the same semantics, no network, one process.
type Local struct {
	mu      sync.Mutex
	until   map[string]time.Time
	now     func() time.Time
	sweepAt time.Time
}

// NewLocal returns an empty local gate reading time from now.
func NewLocal(now func() time.Time) *Local {
	return &Local{until: make(map[string]time.Time), now: now}
}

func (g *Local) Acquire(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.After(g.sweepAt) {
		// Expired keys are dropped lazily, at most once per ttl, so memory is
		// bounded by the keys seen in one window without a background goroutine.
		for k, u := range g.until {
			if !now.Before(u) {
				delete(g.until, k)
			}
		}
		g.sweepAt = now.Add(ttl)
	}
	if u, held := g.until[key]; held && now.Before(u) {
		return false, nil
	}
	g.until[key] = now.Add(ttl)
	return true, nil
}
