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

// Acquire returns the decision, whether to dispatch, the answer that decided
// it (timed by whichever gate answered; zero when the policy let a call
// through unasked), and the inner gate's error if any.
func (g Guarded) Acquire(ctx context.Context, key string, ttl time.Duration) (Decision, bool, Answer, error) {
	a, err := g.Inner.Acquire(ctx, key, ttl)
	if err == nil {
		if a.Won {
			return Won, true, a, nil
		}
		return Suppressed, false, a, nil
	}
	switch g.Policy {
	case FailOpen:
		return Errored, true, Answer{Left: ttl}, err
	case FailOpenLocal:
		if g.Fallback == nil {
			return Errored, false, Answer{}, fmt.Errorf("%w (and fail-open-local has no local gate configured)", err)
		}
		local, _ := g.Fallback.Acquire(ctx, key, ttl)
		return Errored, local.Won, local, err
	default:
		return Errored, false, Answer{}, err
	}
}
