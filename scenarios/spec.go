// Package scenarios reads scenario files (DESIGN.md §7): it decodes them
// strictly, reports every problem with its file, line and field, applies the
// defaults, and ships the built-in scenarios. All durations are model time.
package scenarios

import "time"

// Spec is one validated scenario with every default applied, so consumers
// never have to know what an omitted field means.
type Spec struct {
	Name          string
	Description   string
	Duration      time.Duration
	TimeScale     float64 // wall seconds per model second, in (0, 1]
	Strategy      string
	FailurePolicy string // fail-closed | fail-open | fail-open-local
	Replicas      int    // reference replicas sharing one Redis
	AllowedErrors int    // request errors tolerated by requests_succeed
	Settings      Settings
	Fixtures      Fixtures
	Fleet         []Group
	Load          []Attack
	Faults        []Fault
	Expect        map[string]string // invariant name -> "pass" | "fail"; never nil
	Source        string            // file path or "builtin:NAME"
}

// Settings are the reference's timing knobs, in model time.
type Settings struct {
	Throttle     time.Duration // gate TTL
	OfflineAfter time.Duration // a service older than this is offline
	CheckerEvery time.Duration // offline checker period
	SampleEvery  time.Duration // observer's sampling period
	JobCacheTTL  time.Duration // 0 disables the job lookup cache
	TaskWorkers  int           // background task workers per replica
	// ResultCost is how long a task worker spends on each queued result
	// (Antenna saves detections there); results share the queue with the
	// heartbeat tasks, so a high cost backs the queue up. 0: free.
	ResultCost time.Duration
}

// Fixtures size the database the reference is seeded with.
type Fixtures struct {
	Projects       int
	Pipelines      int
	ServicesPerKey int
	JobsPerKey     int
	TasksPerJob    int // 0 = unlimited
}

// Keys is the number of gate keys: every (pipeline, project) pair is one.
func (f Fixtures) Keys() int { return f.Projects * f.Pipelines }

// Group is a closed-model fleet of identical pollers.
type Group struct {
	Name      string
	Behaviour string // active | idle
	Start     string // together | spread | ramp
	Workers   int
	BatchSize int
	// PollEvery is one tasks → result cycle for active workers and the sleep
	// between list polls for idle ones.
	PollEvery time.Duration
	// IdleEvery is the sleep between list polls when an active worker finds no job.
	IdleEvery time.Duration
	Jitter    time.Duration // added to each sleep, at most this much; < PollEvery
	RampOver  time.Duration // set only when Start is "ramp"
	StartAt   time.Duration
	StopAt    time.Duration
	Keys      []int // key indexes the group is confined to; nil = all keys round-robin
}

// Attack is an open-model load: requests arrive at Rate regardless of answers.
type Attack struct {
	Name     string
	Endpoint string // tasks | result | list
	Rate     Rate
	RateTo   Rate // zero = constant Rate; otherwise a linear ramp from Rate to RateTo
	StartAt  time.Duration
	Duration time.Duration
	Keys     []int // nil = all keys
	// MaxWorkers caps vegeta's concurrent senders (0: vegeta's default, no
	// cap). Above the target's capacity an uncapped attack spawns a sender
	// per late hit and measures its own goroutine pile-up.
	MaxWorkers int
}

// Fault is one scheduled failure of a dependency.
type Fault struct {
	Kind    string // broker-down | redis-down | redis-blackhole | redis-slow | db-slow
	At      time.Duration
	For     time.Duration
	Latency time.Duration // only for the *-slow kinds
}

// Options carry what the caller knows and this package must not import.
type Options struct {
	// Strategies are the valid strategy names; empty means don't check.
	Strategies []string
}

// WorkerCount is the total number of closed-model workers over all groups.
func (s *Spec) WorkerCount() int {
	n := 0
	for _, g := range s.Fleet {
		n += g.Workers
	}
	return n
}

// MaxPollGap is the longest a worker of any group can wait between two
// requests: poll_every+jitter, or for active workers without a job
// idle_every+jitter when that is longer. It widens the lower bound of
// dispatch_rate_near_expected.
func (s *Spec) MaxPollGap() time.Duration {
	var gap time.Duration
	for _, g := range s.Fleet {
		sleep := g.PollEvery
		if g.Behaviour == BehaviourActive && g.IdleEvery > sleep {
			sleep = g.IdleEvery
		}
		gap = max(gap, sleep+g.Jitter)
	}
	return gap
}
