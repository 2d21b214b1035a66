package fault

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// Kind describes one fault kind to whoever schedules faults: its name, the
// fields it takes, and what it does to a heartbeat, which the verifier needs
// to know to bound recovery.
type Kind struct {
	Name string
	// Latency: the kind slows a dependency by a delay (latency:, required).
	Latency bool
	// Offset: the kind sets a clock off (offset:, required).
	Offset bool
	// Replica: the kind may be aimed at one replica (replica:).
	Replica bool
	// Forever: for: 0 means it lasts to the end of the run.
	Forever bool
	// StopsDispatch: no heartbeat can be dispatched while it lasts.
	StopsDispatch bool
	// SpendsWindow: a gate may lose one more window to it: a key won while
	// the enqueue failed, or a SET NX held in the network and let through
	// when it heals.
	SpendsWindow bool
	Doc          string
}

// kind is a Kind with the constructor Schedule uses.
type kind struct {
	Kind
	build func(f Fault, t Targets, scale modeltime.Scale) (Breaker, error)
}

// registry lists every fault kind. It is built on each call so no
// package-level state exists to be mutated; adding a kind is adding a line.
func registry() []kind {
	return []kind{
		proxyKind("broker-down", "the broker refuses and resets every connection", brokerDep(), down, Kind{StopsDispatch: true, SpendsWindow: true}),
		proxyKind("broker-blackhole", "the broker's network drops everything until it heals", brokerDep(), blackhole, Kind{StopsDispatch: true, SpendsWindow: true}),
		proxyKind("broker-slow", "every broker call takes latency longer each way", brokerDep(), slow, Kind{Latency: true}),
		proxyKind("redis-down", "Redis (the gate) refuses and resets every connection", redisDep(), down, Kind{StopsDispatch: true}),
		proxyKind("redis-blackhole", "Redis's network drops everything until it heals: the 5 s timeout case", redisDep(), blackhole, Kind{StopsDispatch: true, SpendsWindow: true}),
		proxyKind("redis-slow", "every Redis call takes latency longer each way", redisDep(), slow, Kind{Latency: true}),
		proxyKind("redis-restart", "Redis restarts with its data: connections drop and are refused until it is back; keys survive", redisDep(), down, Kind{StopsDispatch: true}),
		// The gate still opens and the task is queued, but it fails at the
		// database: the window its dispatch won is spent.
		proxyKind("db-down", "the database refuses and resets every connection", databaseDep(), down, Kind{SpendsWindow: true}),
		proxyKind("db-slow", "every database call takes latency longer each way", databaseDep(), slow, Kind{Latency: true}),
		// The heartbeat runs before the reservation (ami/jobs/views.py:458
		// then 464), so a task queue outage fails /tasks with 503 and
		// stops no heartbeat.
		proxyKind("nats-down", "NATS (the task queue) refuses and resets every connection: /tasks answers 503", natsDep(), down, Kind{}),
		proxyKind("nats-blackhole", "NATS's network drops everything until it heals: each /tasks waits out the 5 s connect timeout, then 503", natsDep(), blackhole, Kind{}),
		proxyKind("nats-slow", "every NATS call takes latency longer each way", natsDep(), slow, Kind{Latency: true}),
		{Kind{Name: "db-lock", SpendsWindow: true, Doc: "a transaction holds every async service row's lock; a task waiting past its hard time limit is killed, its window spent"}, buildDBLock},
		{Kind{Name: "redis-evict", SpendsWindow: false, Doc: "the run's gate keys vanish, as under maxmemory eviction or a restart without persistence"}, buildEvict},
		{Kind{Name: "worker-stall", Replica: true, StopsDispatch: false, Doc: "task workers stop taking tasks: the queue backs up"}, buildStall},
		{Kind{Name: "worker-crash", Replica: true, Doc: "a task worker dies after its write and before its ack; its broker redelivers or loses the task"}, buildCrash},
		{Kind{Name: "clock-skew", Offset: true, Replica: true, Doc: "the task workers' clock runs offset ahead (positive) or behind"}, buildSkew},
		{Kind{Name: "replica-kill", Replica: true, Forever: true, Doc: "a replica dies, its requests in flight failing; back after for (for: 0: never)"}, buildKill},
	}
}

// Kinds lists the fault kinds Schedule accepts.
func Kinds() []Kind {
	rs := registry()
	out := make([]Kind, len(rs))
	for i, r := range rs {
		out[i] = r.Kind
	}
	return out
}

// KindOf looks a kind up by name.
func KindOf(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

func kindNames() []string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return names
}

func lookup(name string) (kind, error) {
	for _, k := range registry() {
		if k.Name == name {
			return k, nil
		}
	}
	return kind{}, fmt.Errorf("unknown fault kind %q; use one of %s", name, strings.Join(kindNames(), ", "))
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

type toxicOf func(latency time.Duration) (Toxic, error)

func down(time.Duration) (Toxic, error)      { return Down{}, nil }
func blackhole(time.Duration) (Toxic, error) { return Blackhole{}, nil }
func slow(d time.Duration) (Toxic, error)    { return New(Latency{}.Name(), d) }

func proxyKind(name, doc string, dep dependency, toxic toxicOf, k Kind) kind {
	k.Name, k.Doc, k.Replica = name, doc, true
	return kind{Kind: k, build: func(f Fault, t Targets, scale modeltime.Scale) (Breaker, error) {
		wall := scale.Wall(f.Latency)
		if k.Latency && wall <= 0 {
			return nil, fmt.Errorf("latency %v (model) is %v at time scale %v, too small to inject; use a larger latency", f.Latency, wall, scale)
		}
		tx, err := toxic(wall)
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
	}}
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
