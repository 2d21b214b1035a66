package faults

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Kind is one fault kind: its name, what it does, and the parameters it
// takes beyond kind, at, for and replica (New).
type Kind struct {
	Name string
	Doc  string
	// Replica: it may be aimed at one replica (replica:).
	Replica bool
	// Forever: for: 0 means it lasts to the end of the run.
	Forever bool
	// StopsDispatch: no heartbeat can be dispatched while it lasts.
	StopsDispatch bool
	// SpendsWindow: a gate may lose one more window to it: a key won while
	// the enqueue failed, or a SET NX held in the network and let through
	// when it heals.
	SpendsWindow bool
	// New returns the kind's parameters, unset.
	New func() Params
}

// Params are one kind's own parameters. Each kind's type owns its fields'
// names (in scenario files and, through its JSON tags, in summary.json),
// their parsing, their validation and their description: a parameter added
// to a kind is added to its type alone.
type Params interface {
	// Fields names the parameters as a scenario file writes them, in the
	// order they are set.
	Fields() []string
	// Set parses one of Fields from the scenario file's text.
	Set(field, text string) error
	// Check tells, once every field given is set, whether the parameters
	// are complete and sound for kind; a *FieldError names the field.
	Check(kind string) error
	// String describes the parameters for a reader ("latency 200ms"), ""
	// when there are none.
	String() string
}

// FieldError is a parameter missing or wrong, named by its field.
type FieldError struct {
	Field string
	// Missing: the field was not given, and the kind needs it.
	Missing bool
	Msg     string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Kinds lists every fault kind, in the order documentation shows them. It
// is built on each call, so no package-level state exists to be mutated;
// adding a kind is adding a line.
func Kinds() []Kind {
	return []Kind{
		{Name: "broker-down", Doc: "the broker refuses and resets every connection", Replica: true, StopsDispatch: true, SpendsWindow: true, New: none},
		{Name: "broker-blackhole", Doc: "the broker's network drops everything until it heals", Replica: true, StopsDispatch: true, SpendsWindow: true, New: none},
		{Name: "broker-slow", Doc: "every broker call takes latency longer each way", Replica: true, New: slow},
		{Name: "redis-down", Doc: "Redis (the gate) refuses and resets every connection", Replica: true, StopsDispatch: true, New: none},
		{Name: "redis-blackhole", Doc: "Redis's network drops everything until it heals: the 5 s timeout case", Replica: true, StopsDispatch: true, SpendsWindow: true, New: none},
		{Name: "redis-slow", Doc: "every Redis call takes latency longer each way", Replica: true, New: slow},
		{Name: "redis-restart", Doc: "Redis restarts with its data: connections drop and are refused until it is back; keys survive", Replica: true, StopsDispatch: true, New: none},
		// The gate still opens and the task is queued, but it fails at the
		// database: the window its dispatch won is spent.
		{Name: "db-down", Doc: "the database refuses and resets every connection", Replica: true, SpendsWindow: true, New: none},
		{Name: "db-slow", Doc: "every database call takes latency longer each way", Replica: true, New: slow},
		// The heartbeat runs before the reservation (ami/jobs/views.py:458
		// then 464), so a task queue outage fails /tasks with 503 and
		// stops no heartbeat.
		{Name: "nats-down", Doc: "NATS (the task queue) refuses and resets every connection: /tasks answers 503", Replica: true, New: none},
		{Name: "nats-blackhole", Doc: "NATS's network drops everything until it heals: each /tasks waits out the 5 s connect timeout, then 503", Replica: true, New: none},
		{Name: "nats-slow", Doc: "every NATS call takes latency longer each way", Replica: true, New: slow},
		{Name: "db-lock", Doc: "a transaction holds every async service row's lock; a task waiting past its hard time limit is killed, its window spent", SpendsWindow: true, New: none},
		{Name: "redis-evict", Doc: "the run's gate keys vanish, as under maxmemory eviction or a restart without persistence", New: none},
		{Name: "worker-stall", Doc: "task workers stop taking tasks: the queue backs up", Replica: true, New: none},
		{Name: "worker-crash", Doc: "a task worker dies after its write and before its ack; its broker redelivers or loses the task", Replica: true, New: none},
		{Name: "clock-skew", Doc: "the task workers' clock runs offset ahead (positive) or behind", Replica: true, New: clockSkew},
		{Name: "replica-kill", Doc: "a replica dies, its requests in flight failing; back after for (for: 0: never)", Replica: true, Forever: true, New: none},
	}
}

// Lookup finds a kind by name.
func Lookup(name string) (Kind, error) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, nil
		}
	}
	return Kind{}, fmt.Errorf("unknown fault kind %q; use one of %s", name, strings.Join(Names(), ", "))
}

// Names lists the kinds' names.
func Names() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, k.Name)
	}
	return out
}

// Takes lists the kinds that take field, for an error that says where it
// belongs.
func Takes(field string) []string {
	var out []string
	for _, k := range Kinds() {
		if slices.Contains(k.New().Fields(), field) {
			out = append(out, k.Name)
		}
	}
	return out
}

// Check validates a fault on its own: a known kind, a start and a length
// it allows, parameters of its kind that are complete.
func (f Fault) Check() error {
	k, err := Lookup(f.Kind)
	if err != nil {
		return err
	}
	switch {
	case f.At < 0:
		return errors.New("starts before the run (at must be ≥ 0)")
	case f.For < 0 || (f.For == 0 && !k.Forever):
		return errors.New("lasts no time (for must be > 0)")
	case !k.Replica && f.Replica != AllReplicas:
		return fmt.Errorf("%s cannot be aimed at one replica", f.Kind)
	case f.Params == nil: // none given: the kind's, unset
		return k.New().Check(f.Kind)
	case reflect.TypeOf(f.Params) != reflect.TypeOf(k.New()):
		return fmt.Errorf("%s takes parameters of type %T, not %T", f.Kind, k.New(), f.Params)
	}
	return f.Params.Check(f.Kind)
}
