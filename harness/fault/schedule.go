package fault

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// Fault kinds a scenario can schedule; Kinds lists them. redis-blackhole is
// the 5 s connect-timeout case of DESIGN.md §1.
const (
	BrokerDown     = "broker-down"
	RedisDown      = "redis-down"
	RedisSlow      = "redis-slow"
	DBSlow         = "db-slow"
	RedisBlackhole = "redis-blackhole"
)

// Fault is one scheduled fault. At, For and Latency are model time (DESIGN.md
// §5); Latency, only for the *-slow kinds, is scaled to wall time like every
// other duration, so a slow dependency costs the same share of a poll period
// at any time scale.
type Fault struct {
	Kind    string
	At      time.Duration
	For     time.Duration
	Latency time.Duration
}

// Targets says which proxy each dependency is behind. Broker may be the same
// proxy as Redis (the broker shares the Redis server); faults on both then
// stack on that one proxy as described at Schedule.
type Targets struct{ Redis, Broker, DB *Proxy }

// Applied is one fault as it actually happened: At and For are model time,
// measured from the instants the proxy was switched, not copied from the plan.
type Applied struct {
	Kind string
	At   time.Duration
	For  time.Duration
}

// route maps a fault kind onto the proxy it damages and the toxic it sets.
type route struct {
	kind   string
	target string // the Targets field, named in errors
	pick   func(Targets) *Proxy
	toxic  string
	slow   bool // takes a Latency
}

func routes() []route {
	redis := func(t Targets) *Proxy { return t.Redis }
	return []route{
		{kind: BrokerDown, target: "Broker", pick: func(t Targets) *Proxy { return t.Broker }, toxic: Down{}.Name()},
		{kind: RedisDown, target: "Redis", pick: redis, toxic: Down{}.Name()},
		{kind: RedisBlackhole, target: "Redis", pick: redis, toxic: Blackhole{}.Name()},
		{kind: RedisSlow, target: "Redis", pick: redis, toxic: Latency{}.Name(), slow: true},
		{kind: DBSlow, target: "DB", pick: func(t Targets) *Proxy { return t.DB }, toxic: Latency{}.Name(), slow: true},
	}
}

// Kind describes one fault kind to whoever schedules faults.
type Kind struct {
	Name string
	// Latency says the kind slows a dependency down by a given delay rather
	// than cutting it off, and so needs one.
	Latency bool
}

// Kinds lists the fault kinds Schedule accepts.
func Kinds() []Kind {
	rs := routes()
	out := make([]Kind, len(rs))
	for i, r := range rs {
		out[i] = Kind{Name: r.kind, Latency: r.slow}
	}
	return out
}

func kindNames() []string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return names
}

// planned is a validated fault with its proxy, toxic and what happened to it.
type planned struct {
	Fault
	index   int
	proxy   *Proxy
	toxic   Toxic
	started time.Time // wall instants, zero until they happen
	ended   time.Time
}

func (f *planned) String() string {
	return fmt.Sprintf("faults[%d] (%s at %v for %v)", f.index, f.Kind, f.At, f.For)
}

// event is one switch of a proxy: a fault starting or ending.
type event struct {
	at    time.Time
	start bool
	fault *planned
}

// Schedule applies each fault at start + At (model time at the given scale)
// and lifts it For later. Everything is validated before anything is applied.
// It returns once every fault has ended, or when ctx ends; in that case the
// faults still active are lifted before it returns, the error wraps the
// context's cause, and Applied holds what happened up to then.
//
// Overlapping faults on one proxy stack rather than fight: the proxy shows the
// most recently started fault still in effect, and when that one ends it goes
// back to the previous one still in effect, or to pass-through when none is.
// So a fault is never lifted early by another one ending.
func Schedule(ctx context.Context, faults []Fault, t Targets, run modeltime.Run, log *slog.Logger) ([]Applied, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := run.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("fault schedule: %w", err)
	}
	plan, err := validate(faults, t, run.Scale)
	if err != nil {
		return nil, err
	}

	events := make([]event, 0, 2*len(plan))
	for _, f := range plan {
		events = append(events,
			event{at: run.At(f.At), start: true, fault: f},
			event{at: run.At(f.At + f.For), start: false, fault: f})
	}
	// At one instant, ends go first so a fault taking over from another never
	// shares the proxy's stack with it; then plan order, for determinism.
	slices.SortStableFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.start != b.start {
			if a.start {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.fault.index, b.fault.index)
	})

	active := make(map[*Proxy][]*planned)
	var started []*planned
	done := 0
	for _, ev := range events {
		if !sleepUntil(ctx, ev.at) {
			break
		}
		f, now := ev.fault, time.Now()
		stack := active[f.proxy]
		if ev.start {
			f.started = now
			started = append(started, f)
			active[f.proxy] = append(stack, f)
			f.proxy.Set(f.toxic)
			log.Info("fault applied", "fault", f.String(), "toxic", describe(f.toxic), "proxy", f.proxy.name, "model_at", run.Since(now))
		} else {
			f.ended = now
			stack = slices.DeleteFunc(stack, func(g *planned) bool { return g == f })
			active[f.proxy] = stack
			var next Toxic
			if len(stack) > 0 {
				next = stack[len(stack)-1].toxic
			}
			f.proxy.Set(next)
			log.Info("fault lifted", "fault", f.String(), "proxy", f.proxy.name, "model_at", run.Since(now))
		}
		done++
	}

	if done < len(events) {
		now := time.Now()
		for p, stack := range active {
			if len(stack) > 0 {
				p.Set(nil)
			}
		}
		for _, f := range started {
			if f.ended.IsZero() {
				f.ended = now
				log.Info("fault lifted early: schedule cancelled", "fault", f.String(), "proxy", f.proxy.name, "model_at", run.Since(now))
			}
		}
		return report(started, run), fmt.Errorf("fault schedule cut short with %d of %d faults started: %w", len(started), len(plan), context.Cause(ctx))
	}
	return report(started, run), nil
}

// validate resolves every fault to a proxy and toxic, so that a bad entry is
// reported before any proxy is touched.
func validate(faults []Fault, t Targets, scale modeltime.Scale) ([]*planned, error) {
	byKind := make(map[string]route)
	for _, r := range routes() {
		byKind[r.kind] = r
	}
	plan := make([]*planned, len(faults))
	for i, fl := range faults {
		f := &planned{Fault: fl, index: i}
		r, ok := byKind[f.Kind]
		if !ok {
			return nil, fmt.Errorf("%v: unknown fault kind %q; use one of %s", f, f.Kind, strings.Join(kindNames(), ", "))
		}
		if f.At < 0 {
			return nil, fmt.Errorf("%v: starts before the run (at must be ≥ 0)", f)
		}
		if f.For <= 0 {
			return nil, fmt.Errorf("%v: lasts no time (for must be > 0)", f)
		}
		if f.proxy = r.pick(t); f.proxy == nil {
			return nil, fmt.Errorf("%v: needs the proxy in front of %s, but Targets.%s is nil; start a fault.Proxy for it and pass it in Targets",
				f, strings.ToLower(r.target), r.target)
		}
		var wall time.Duration
		switch {
		case r.slow && f.Latency <= 0:
			return nil, fmt.Errorf("%v: needs a latency > 0, got %v", f, f.Latency)
		case r.slow:
			if wall = scale.Wall(f.Latency); wall <= 0 {
				return nil, fmt.Errorf("%v: latency %v (model) is %v at time scale %v, too small to inject; use a larger latency", f, f.Latency, wall, float64(scale))
			}
		case f.Latency != 0:
			return nil, fmt.Errorf("%v: latency %v given, but only %s and %s take one", f, f.Latency, RedisSlow, DBSlow)
		}
		toxic, err := New(r.toxic, wall)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", f, err)
		}
		f.toxic = toxic
		plan[i] = f
	}
	return plan, nil
}

func report(started []*planned, run modeltime.Run) []Applied {
	out := make([]Applied, len(started))
	for i, f := range started {
		out[i] = Applied{Kind: f.Kind, At: run.Since(f.started), For: run.Scale.Model(f.ended.Sub(f.started))}
	}
	return out
}

// sleepUntil waits for the wall instant at and reports false if ctx ends first.
func sleepUntil(ctx context.Context, at time.Time) bool {
	wait := time.Until(at)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
