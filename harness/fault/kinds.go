package fault

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/internal/modeltime"
)

// injector resolves one fault of its kind against the run's targets. It
// reads the kind's parameters through the kind's own type (faults.Slow,
// faults.ClockSkew), so a parameter that only describes the fault is never
// seen here.
type injector func(f faults.Fault, t Targets, scale modeltime.Scale) (Breaker, error)

// injectors says how each kind of faults.Kinds is injected. It is built on
// each call so no package-level state exists to be mutated; a kind is
// described in package faults and injected here, one line.
func injectors() map[string]injector {
	return map[string]injector{
		"broker-down":      proxyKind(brokerDep(), down),
		"broker-blackhole": proxyKind(brokerDep(), blackhole),
		"broker-slow":      proxyKind(brokerDep(), slow),
		"redis-down":       proxyKind(redisDep(), down),
		"redis-blackhole":  proxyKind(redisDep(), blackhole),
		"redis-slow":       proxyKind(redisDep(), slow),
		"redis-restart":    proxyKind(redisDep(), down),
		"db-down":          proxyKind(databaseDep(), down),
		"db-slow":          proxyKind(databaseDep(), slow),
		"nats-down":        proxyKind(natsDep(), down),
		"nats-blackhole":   proxyKind(natsDep(), blackhole),
		"nats-slow":        proxyKind(natsDep(), slow),
		"db-lock":          buildDBLock,
		"redis-evict":      buildEvict,
		"worker-stall":     buildStall,
		"worker-crash":     buildCrash,
		"clock-skew":       buildSkew,
		"replica-kill":     buildKill,
	}
}

// resolve checks a fault on its own, then resolves it against the targets.
func resolve(f faults.Fault, t Targets, scale modeltime.Scale) (Breaker, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	inject, ok := injectors()[f.Kind]
	if !ok {
		return nil, fmt.Errorf("fault kind %q is described but this harness cannot inject it", f.Kind)
	}
	return inject(f, t, scale)
}

// Proxy faults: a toxic pushed on the proxies in front of one dependency.

type dependency struct {
	name string
	pick func(Proxies) *Proxy
}

func brokerDep() dependency   { return dependency{"broker", func(p Proxies) *Proxy { return p.Broker }} }
func redisDep() dependency    { return dependency{"redis", func(p Proxies) *Proxy { return p.Redis }} }
func databaseDep() dependency { return dependency{"database", func(p Proxies) *Proxy { return p.DB }} }
func natsDep() dependency     { return dependency{"NATS", func(p Proxies) *Proxy { return p.NATS }} }

// toxicOf is the toxic one fault of a proxy kind pushes, from its
// parameters.
type toxicOf func(p faults.Params, scale modeltime.Scale) (Toxic, error)

func down(faults.Params, modeltime.Scale) (Toxic, error)      { return Down{}, nil }
func blackhole(faults.Params, modeltime.Scale) (Toxic, error) { return Blackhole{}, nil }

func slow(p faults.Params, scale modeltime.Scale) (Toxic, error) {
	s, ok := p.(*faults.Slow)
	if !ok {
		return nil, fmt.Errorf("a slow kind takes %T, not %T", s, p)
	}
	model := time.Duration(s.Latency)
	wall := scale.Wall(model)
	if wall <= 0 {
		return nil, fmt.Errorf("latency %v (model) is %v at time scale %v, too small to inject; use a larger latency", model, wall, scale)
	}
	return New(Latency{}.Name(), wall)
}

func proxyKind(dep dependency, toxic toxicOf) injector {
	return func(f faults.Fault, t Targets, scale modeltime.Scale) (Breaker, error) {
		tx, err := toxic(f.Params, scale)
		if err != nil {
			return nil, err
		}
		which, err := replicas(f, len(t.Proxies))
		if err != nil {
			return nil, err
		}
		b := &proxyBreaker{toxic: tx}
		for _, r := range which {
			p := dep.pick(t.Proxies[r])
			if p == nil {
				return nil, fmt.Errorf("needs the proxy in front of replica %d's %s, and the run has none", r, dep.name)
			}
			if !slices.Contains(b.proxies, p) { // the broker may share Redis's proxy
				b.proxies = append(b.proxies, p)
			}
		}
		return b, nil
	}
}

type proxyBreaker struct {
	toxic   Toxic
	proxies []*Proxy
	pops    []func()
}

func (b *proxyBreaker) Apply(context.Context) error {
	for _, p := range b.proxies {
		b.pops = append(b.pops, p.Push(b.toxic))
	}
	return nil
}

// Lift pops the toxic.
func (b *proxyBreaker) Lift(context.Context) error {
	for _, pop := range b.pops {
		pop()
	}
	return nil
}

// Settle checks, where no other fault is in effect on a proxy, that it
// forwards again: a proxy that cannot heal fails the run.
func (b *proxyBreaker) Settle(ctx context.Context) error {
	var errs []error
	for _, p := range b.proxies {
		p.mu.Lock()
		idle := len(p.stack) == 0
		p.mu.Unlock()
		if idle {
			if err := p.Healthy(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("a fault proxy did not heal: %v", errs)
	}
	return nil
}
