package contract

import (
	"fmt"
	"strings"
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
