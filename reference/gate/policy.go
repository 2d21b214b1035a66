package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/hbharness/hbharness/reference/contract"
)

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
	Policy contract.Policy
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
	case contract.FailOpen:
		return Errored, true, Answer{Left: ttl}, err
	case contract.FailOpenLocal:
		if g.Fallback == nil {
			return Errored, false, Answer{}, fmt.Errorf("%w (and fail-open-local has no local gate configured)", err)
		}
		local, _ := g.Fallback.Acquire(ctx, key, ttl)
		return Errored, local.Won, local, err
	default:
		return Errored, false, Answer{}, err
	}
}
