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
	// Acquire asks for key for ttl (wall time).
	Acquire(ctx context.Context, key string, ttl time.Duration) (Answer, error)
}

// Answer is what a gate said.
type Answer struct {
	Won bool
	// At is when the caller won, by the clock of the gate that decided
	// (Redis's for the Redis gate): the only clock that can say two wins
	// were a window apart. Zero when the caller lost.
	At time.Time
	// Clock names that clock: "redis" or "process".
	Clock string
	// Left is how long the key stays held: ttl after a win, what remains of
	// the winner's window after a loss.
	Left time.Duration
}

// Clocks an Answer can be timed by.
const (
	ClockRedis   = "redis"
	ClockProcess = "process"
)

// Redis is cache.add(key, 1, timeout) on a shared Redis: cross-process atomic.
type Redis struct {
	client *redis.Client
	prefix string // isolates runs sharing one Redis
}

// NewRedis returns a gate on client whose keys are prefixed with prefix.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// acquireScript is SET NX PX that says, in the same round trip, when its
// window began by the clock that enforces it, or how long the winner's window
// has left when it lost. The start is the key's absolute expiry (PEXPIRETIME,
// Redis 7.0+) less the TTL: the instant Redis counts the window from. TIME
// read after the SET is not that instant: a Redis descheduled between the two
// calls (a busy host) reads it late, and the next win then looks closer than
// the window although Redis enforced it to the millisecond (seen: 836 ms apart
// under a 900 ms PX beside two CPU hogs). Before 7.0 TIME is the fallback.
var acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  local ok, exp = pcall(redis.call, 'PEXPIRETIME', KEYS[1])
  if ok and type(exp) == 'number' and exp > 0 then
    return {1, exp - tonumber(ARGV[1]), -1}
  end
  local t = redis.call('TIME')
  return {1, tonumber(t[1]), tonumber(t[2])}
end
return {0, redis.call('PTTL', KEYS[1]), 0}`)

// Acquire is SET key 1 NX PX ttl. Redis keeps TTLs in whole milliseconds,
// so ttl is rounded down to one; a win is timed by Redis, whose expiry
// enforces the window, not by this process's reading of the reply.
func (g *Redis) Acquire(ctx context.Context, key string, ttl time.Duration) (Answer, error) {
	ttl = max(ttl.Truncate(time.Millisecond), time.Millisecond) // PX 0 is an error in Redis
	res, err := acquireScript.Run(ctx, g.client, []string{g.prefix + key}, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return Answer{}, fmt.Errorf("redis gate SET NX on %s: %w", g.prefix+key, err)
	}
	if len(res) != 3 {
		return Answer{}, fmt.Errorf("redis gate SET NX on %s: unexpected reply %v", g.prefix+key, res)
	}
	switch {
	case res[0] == 1 && res[2] == -1: // the window's start, in Unix milliseconds
		return Answer{Won: true, At: time.UnixMilli(res[1]), Clock: ClockRedis, Left: ttl}, nil
	case res[0] == 1: // TIME: seconds, microseconds
		return Answer{Won: true, At: time.Unix(res[1], res[2]*1000), Clock: ClockRedis, Left: ttl}, nil
	}
	// -2 (expired in between) or -1: free in a moment, ask again then.
	return Answer{Left: time.Duration(max(res[1], 0)) * time.Millisecond}, nil
}

// Release gives key back before its TTL runs out (DEL): a window won for a
// dispatch that could not be enqueued.
func (g *Redis) Release(ctx context.Context, key string) error {
	if err := g.client.Del(ctx, g.prefix+key).Err(); err != nil {
		return fmt.Errorf("redis gate DEL %s: %w", g.prefix+key, err)
	}
	return nil
}

// Releaser is a gate that can give a won key back.
type Releaser interface {
	Release(ctx context.Context, key string) error
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

func (g *Local) Acquire(_ context.Context, key string, ttl time.Duration) (Answer, error) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(now, ttl)
	if u, held := g.until[key]; held && now.Before(u) {
		return Answer{Left: u.Sub(now)}, nil
	}
	g.until[key] = now.Add(ttl)
	return Answer{Won: true, At: now, Clock: ClockProcess, Left: ttl}, nil
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
