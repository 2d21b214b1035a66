package standin

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hbharness/hbharness/reference/gate"
)

// Redis is the gate's Redis: SET key NX PX ttl on a map of expiries in
// Unix milliseconds, as Redis keeps them. A key is held while Redis's clock
// (the simulation's) has not passed its expiry; a win is timed by the
// window's start, expiry less the TTL, as the real gate's script reports it.
type Redis struct {
	clock Clock
	rng   *rand.Rand
	rtt   Latency
	until map[string]int64
	// Down makes every call fail, as a refused connection does.
	Down bool
}

// ErrRedisDown is a call to a Redis the simulation has taken away.
var ErrRedisDown = errors.New("simulated Redis refused the connection")

// NewRedis returns an empty Redis whose round trips take rtt.
func NewRedis(clock Clock, rng *rand.Rand, rtt Latency) *Redis {
	return &Redis{clock: clock, rng: rng, rtt: rtt, until: map[string]int64{}}
}

// Acquire implements gate.Gate. The command runs halfway through the round
// trip, where Redis would see it.
func (r *Redis) Acquire(_ context.Context, key string, ttl time.Duration) (gate.Answer, error) {
	rtt := r.rtt.Draw(r.rng)
	r.clock.Spend(rtt / 2)
	defer r.clock.Spend(rtt - rtt/2)
	if r.Down {
		return gate.Answer{}, ErrRedisDown
	}
	ttlMs := max(ttl.Milliseconds(), 1) // PX 0 is an error in Redis; the real gate rounds down to 1
	now := r.clock.Now().UnixMilli()
	if exp, held := r.until[key]; held && now <= exp {
		return gate.Answer{Left: time.Duration(exp-now) * time.Millisecond}, nil
	}
	exp := now + ttlMs
	r.until[key] = exp
	return gate.Answer{Won: true, At: time.UnixMilli(exp - ttlMs), Clock: gate.ClockRedis,
		Left: time.Duration(ttlMs) * time.Millisecond}, nil
}

// Release implements gate.Releaser: DEL.
func (r *Redis) Release(_ context.Context, key string) error {
	r.clock.Spend(r.rtt.Draw(r.rng))
	if r.Down {
		return ErrRedisDown
	}
	delete(r.until, key)
	return nil
}

// Evict drops every key, as an eviction or a restart without persistence does.
func (r *Redis) Evict() { clear(r.until) }

// Keys is how many keys Redis holds, expired or not (Redis too keeps an
// expired key until it is touched or swept).
func (r *Redis) Keys() int { return len(r.until) }
