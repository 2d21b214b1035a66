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

// holdScript is SET NX PX that, when it loses, says how long the winner's
// window has left, in the same round trip.
var holdScript = redis.NewScript(`
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return -1 end
return redis.call('PTTL', KEYS[1])`)

// AcquireTTL is Acquire that also returns, when the caller lost, how long the
// key stays held, so a local pre-gate can wait exactly as long as Redis does.
func (g *Redis) AcquireTTL(ctx context.Context, key string, ttl time.Duration) (bool, time.Duration, error) {
	ttl = max(ttl, time.Millisecond)
	left, err := holdScript.Run(ctx, g.client, []string{g.prefix + key}, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, 0, fmt.Errorf("redis gate SET NX on %s: %w", g.prefix+key, err)
	}
	if left == -1 {
		return true, ttl, nil
	}
	// -2 (expired in between) or -1-less keys: free in a moment, ask again then.
	return false, time.Duration(max(left, 0)) * time.Millisecond, nil
}

// Local is an in-process TTL set: the same semantics, no network, one process.
type Local struct {
	mu      sync.RWMutex
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
	g.sweep(now, ttl)
	if u, held := g.until[key]; held && now.Before(u) {
		return false, nil
	}
	g.until[key] = now.Add(ttl)
	return true, nil
}

// Held reports whether key is held now, without taking it.
func (g *Local) Held(key string) bool {
	now := g.now()
	g.mu.RLock()
	defer g.mu.RUnlock()
	u, held := g.until[key]
	return held && now.Before(u)
}

// Hold marks key held for d from now (what Redis said is left of the window).
func (g *Local) Hold(key string, d time.Duration) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(now, d)
	g.until[key] = now.Add(d)
}

func (g *Local) sweep(now time.Time, ttl time.Duration) {
	if now.After(g.sweepAt) {
		// Expired keys are dropped lazily, at most once per ttl, so memory is
		// bounded by the keys seen in one window without a background goroutine.
		for k, u := range g.until {
			if !now.Before(u) {
				delete(g.until, k)
			}
		}
		g.sweepAt = now.Add(max(ttl, time.Millisecond))
	}
}
