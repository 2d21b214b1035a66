package gate

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Policy names what a gate failure (Redis down or slow) means. Antenna's
// cache client ignores exceptions, so cache.add returns a falsy value and no
// heartbeat goes out: fail-closed.
type Policy string

const (
	FailClosed    Policy = "fail-closed"
	FailOpen      Policy = "fail-open"
	FailOpenLocal Policy = "fail-open-local"
)

// DefaultPolicy is Antenna's.
const DefaultPolicy = FailClosed

// Policies lists the valid names.
func Policies() []Policy { return []Policy{FailClosed, FailOpen, FailOpenLocal} }

// PolicyNames lists the valid names as scenario files and flags spell them.
func PolicyNames() []string {
	ps := Policies()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// ParsePolicy validates a policy name.
func ParsePolicy(s string) (Policy, error) {
	for _, p := range Policies() {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown gate failure policy %q: use one of %s", s, strings.Join(PolicyNames(), ", "))
}

// Decision is what the gate said, after the policy.
type Decision string

const (
	Won        Decision = "won"
	Suppressed Decision = "suppressed"
	// Errored: the gate failed; Dispatch tells whether the policy still lets the call through.
	Errored Decision = "error"
)

// Guarded applies a failure policy to a gate.
type Guarded struct {
	Inner  Gate
	Policy Policy
	// Fallback serves fail-open-local: one winner per process per window
	// instead of a stampede on every request while Redis is away.
	Fallback Gate
}

// TTLGate is a gate that can also say how long a lost key stays held.
type TTLGate interface {
	AcquireTTL(ctx context.Context, key string, ttl time.Duration) (bool, time.Duration, error)
}

// Acquire returns the decision, whether to dispatch, and the gate error if any.
func (g Guarded) Acquire(ctx context.Context, key string, ttl time.Duration) (Decision, bool, error) {
	d, dispatch, _, err := g.AcquireTTL(ctx, key, ttl)
	return d, dispatch, err
}

// AcquireTTL is Acquire that also returns how long the key stays held
// (ttl when the caller won or the inner gate cannot tell).
func (g Guarded) AcquireTTL(ctx context.Context, key string, ttl time.Duration) (Decision, bool, time.Duration, error) {
	var won bool
	var err error
	left := ttl
	if tg, ok := g.Inner.(TTLGate); ok {
		won, left, err = tg.AcquireTTL(ctx, key, ttl)
	} else {
		won, err = g.Inner.Acquire(ctx, key, ttl)
	}
	d, dispatch, err := g.decide(ctx, key, ttl, won, err)
	return d, dispatch, left, err
}

func (g Guarded) decide(ctx context.Context, key string, ttl time.Duration, won bool, err error) (Decision, bool, error) {
	if err == nil {
		if won {
			return Won, true, nil
		}
		return Suppressed, false, nil
	}
	switch g.Policy {
	case FailOpen:
		return Errored, true, err
	case FailOpenLocal:
		if g.Fallback == nil {
			return Errored, false, fmt.Errorf("%w (and fail-open-local has no local gate configured)", err)
		}
		ok, _ := g.Fallback.Acquire(ctx, key, ttl)
		return Errored, ok, err
	default:
		return Errored, false, err
	}
}
