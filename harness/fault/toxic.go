package fault

import (
	"fmt"
	"strings"
	"time"
)

// Toxic is one way of damaging the traffic through a Proxy. A toxic is a value
// describing a policy, not per-connection state: the proxy asks it about every
// connection and every chunk, so replacing it takes effect on existing
// connections as well as new ones.
type Toxic interface {
	// Name is the kind the toxic is registered under (see Kinds).
	Name() string
	// Admit reports whether a client connection accepted while the toxic is
	// active is served; false closes it at once with a reset.
	Admit() bool
	// Sever reports whether connections already open when the toxic is set
	// are reset at that moment.
	Sever() bool
	// Release says when a chunk that arrived at the proxy at arrived may be
	// forwarded. hold=true keeps it (and everything behind it in the same
	// direction) until the proxy's toxic changes.
	Release(arrived time.Time) (at time.Time, hold bool)
}

// passThrough is what a Proxy runs with no toxic set. It is not a kind:
// "no fault" is spelled Set(nil).
type passThrough struct{}

func (passThrough) Name() string                                { return "pass-through" }
func (passThrough) Admit() bool                                 { return true }
func (passThrough) Sever() bool                                 { return false }
func (passThrough) Release(arrived time.Time) (time.Time, bool) { return arrived, false }

// kind registers one toxic under its name with the constructor New uses.
type toxicKind struct {
	name  string
	build func(latency time.Duration) (Toxic, error)
}

// kinds is the registry. It is a function rather than a package variable so
// nothing global can be mutated; adding a toxic means adding a line here.
func toxics() []toxicKind {
	return []toxicKind{
		{name: Down{}.Name(), build: func(time.Duration) (Toxic, error) { return Down{}, nil }},
		{name: Blackhole{}.Name(), build: func(time.Duration) (Toxic, error) { return Blackhole{}, nil }},
		{name: Latency{}.Name(), build: func(d time.Duration) (Toxic, error) {
			// Zero would silently be a pass-through; negative means a unit mix-up.
			if d <= 0 {
				return nil, fmt.Errorf("toxic %q needs a delay > 0, got %v", Latency{}.Name(), d)
			}
			return Latency{Delay: d}, nil
		}},
	}
}

// Toxics returns the names New accepts.
func Toxics() []string {
	ks := toxics()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.name
	}
	return names
}

// New builds the toxic registered as kind. latency is only meaningful for
// "latency"; passing one to another kind is an error, because it means the
// caller believes it is slowing something down when it is not.
func New(kind string, latency time.Duration) (Toxic, error) {
	for _, k := range toxics() {
		if k.name != kind {
			continue
		}
		if latency != 0 && k.name != (Latency{}).Name() {
			return nil, fmt.Errorf("toxic %q takes no latency, got %v: only %q delays traffic", kind, latency, Latency{}.Name())
		}
		return k.build(latency)
	}
	return nil, fmt.Errorf("unknown toxic kind %q: use one of %s", kind, strings.Join(Toxics(), ", "))
}
