// Package scenarios reads scenario files (docs/design.md#scenario-files): it decodes them
// strictly, reports every problem with its file, line and field, applies the
// defaults, and ships the built-in scenarios. All durations are model time.
package scenarios

import (
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/settings"
)

// Spec is one validated scenario with every default applied, so consumers
// never have to know what an omitted field means.
type Spec struct {
	Name        string
	Description string
	// Quick puts the scenario in the pull-request subset (suite --quick).
	Quick bool
	// Predeploy puts it in the subset run against a deployment before it
	// goes live (suite --predeploy, and suite --target by default): shaped
	// for real time, no faults.
	Predeploy     bool
	Duration      time.Duration
	TimeScale     modeltime.Scale
	Strategy      string
	FailurePolicy string // one of Options.Policies
	Replicas      int    // reference replicas sharing one Redis
	// AllowedErrors are the request errors requests_succeed tolerates.
	AllowedErrors Allowance
	// Settings are the reference's knobs (settings: in the file).
	Settings settings.Settings
	// SampleEvery is the observer's sampling period (settings.sample_every):
	// staleness is known to this precision.
	SampleEvery time.Duration
	Fixtures    Fixtures
	Fleet       []Group
	Load        []Attack
	Faults      []faults.Fault
	// RandomFaults, when set, draws more faults from the run's seed.
	RandomFaults *RandomFaults
	Expect       map[string]string // invariant name -> "pass" | "fail"; never nil
	Source       string            // file path or "builtin:NAME"
	// Runs, when the file lists them, run the scenario once per strategy,
	// each with its own expectations (Variants).
	Runs []Run
	// Label is the run's label when the spec is one labelled entry of runs.
	Label string
}

// Run is one entry of runs: a strategy and what is expected under it,
// optionally with its own failure policy and settings, and a label that
// tells it from another run of the same strategy.
type Run struct {
	Strategy      string
	Label         string // "" : the strategy names the run
	FailurePolicy string // "" : the file's
	// Settings, when the run gives any, are the file's with the run's
	// written over them; SampleEvery likewise.
	Settings    *settings.Settings
	SampleEvery time.Duration
	Expect      map[string]string // never nil
}

// Variants is the scenario once per entry of runs: (with that strategy and
// expectations), or itself alone.
func (s *Spec) Variants() []*Spec {
	if len(s.Runs) == 0 {
		return []*Spec{s}
	}
	out := make([]*Spec, len(s.Runs))
	for i, r := range s.Runs {
		out[i] = s.variant(r)
	}
	return out
}

// ForStrategy is the scenario as it runs under strategy: the entry of runs
// for it when there is one. A strategy the file does not list is an
// override like any other: the file's expectations for another strategy
// do not carry over, so every invariant is expected to pass. "" keeps the
// file's own (its first run).
func (s *Spec) ForStrategy(strategy string) *Spec {
	if len(s.Runs) == 0 {
		c := *s
		c.WithOverrides(strategy, 0)
		return &c
	}
	for _, r := range s.Runs {
		if strategy == "" || r.Strategy == strategy {
			return s.variant(r)
		}
	}
	return s.variant(Run{Strategy: strategy, Expect: map[string]string{}})
}

// ForRun is the scenario as one of its runs ran: the entry with label, or
// when label is "", as ForStrategy.
func (s *Spec) ForRun(strategy, label string) *Spec {
	if label != "" {
		for _, r := range s.Runs {
			if r.Label == label {
				return s.variant(r)
			}
		}
	}
	return s.ForStrategy(strategy)
}

func (s *Spec) variant(r Run) *Spec {
	c := *s
	c.Strategy, c.Expect, c.Runs, c.Label = r.Strategy, r.Expect, nil, r.Label
	if r.FailurePolicy != "" {
		c.FailurePolicy = r.FailurePolicy
	}
	if r.Settings != nil {
		c.Settings, c.SampleEvery = *r.Settings, r.SampleEvery
	}
	return &c
}

// RunName names the run among the scenario's others: its label, else its
// strategy.
func (s *Spec) RunName() string {
	if s.Label != "" {
		return s.Label
	}
	return s.Strategy
}

// Allowance is allowed_errors: a bare number is a total over every
// endpoint; a mapping ({tasks: 0, result: 1000}) is a number per endpoint,
// endpoints it leaves out allowing none.
type Allowance struct {
	Total       int
	PerEndpoint map[string]int // nil for a total
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
	Behaviour string // active | idle | adc
	Start     string // together | spread | ramp
	Workers   int
	BatchSize int
	// PollEvery is one tasks → result cycle for active workers, the sleep
	// between list polls for idle ones, and for adc workers the sleep after a
	// list that offered no work (while a job has tasks they post back to back).
	PollEvery time.Duration
	// IdleEvery is the sleep between list polls when an active worker finds
	// no job; adc groups may not set it.
	IdleEvery time.Duration
	Jitter    time.Duration // added to each sleep, at most this much; < PollEvery
	RampOver  time.Duration // set only when Start is "ramp"
	StartAt   time.Duration
	StopAt    time.Duration
	// CrashAt, when set, is when the group's workers vanish mid-cycle,
	// without a last result (StopAt ends them after a finished cycle).
	CrashAt time.Duration
	Keys    []int // key indexes the group is confined to; nil = all keys round-robin
	// Services are the indexes, within each key, of the services the
	// group's workers authenticate as, round-robin; nil = all of them.
	Services []int
	// Register makes each worker register its service's pipelines once
	// (POST /api/v2/projects/{id}/pipelines/) before it begins to poll, as
	// a deployment that runs `ami worker register` before `ami worker` does.
	Register bool
}

// Attack is an open-model load: requests arrive at Rate regardless of answers.
type Attack struct {
	Name     string
	Endpoint string // one of antenna.Endpoints()
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

// RandomFaults is faults: {random: ...}: a schedule drawn from the run's
// seed, so that a failure can be replayed exactly (FaultPlan).
type RandomFaults struct {
	Kinds          []string
	Every          time.Duration // one fault starts in each period of this length
	ForMin, ForMax time.Duration // each lasts between these
	// Params are the kinds' parameters as the file gives them (latency:
	// 200ms), each handed to the drawn kinds that take it.
	Params map[string]string
}

// RequestRate is the most requests per model second the scenario can send:
// every worker at full speed (an active worker sends tasks then result per
// cycle, or one list poll per idle_every when it has no job; an idle worker
// one list poll per cycle) plus every attack at its higher rate.
//
// An adc worker with work has no pace but the target's answers, so only the
// work bounds it: one tasks and one result post per batch of every job,
// averaged over the run, on top of its list polls. On endless jobs
// (tasks_per_job: 0) nothing does, and only its list polls are counted.
func (s *Spec) RequestRate() float64 {
	model := 0.0
	adcBatch := 0 // the smallest batch of any adc group: the most posts per job
	for _, g := range s.Fleet {
		perWorker := 1 / g.PollEvery.Seconds()
		switch g.Behaviour {
		case BehaviourActive:
			perWorker = max(2/g.PollEvery.Seconds(), 1/g.IdleEvery.Seconds())
		case BehaviourADC:
			if adcBatch == 0 || g.BatchSize < adcBatch {
				adcBatch = g.BatchSize
			}
		}
		model += float64(g.Workers) * perWorker
	}
	if adcBatch > 0 && s.Duration > 0 {
		tasks := s.Fixtures.Keys() * s.Fixtures.JobsPerKey * s.Fixtures.TasksPerJob
		model += 2 * float64((tasks+adcBatch-1)/adcBatch) / s.Duration.Seconds()
	}
	for _, a := range s.Load {
		model += max(a.Rate.Per, a.RateTo.Per)
	}
	return model
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
// idle_every+jitter when that is longer. An adc worker waits longest when
// idle: its sleep runs from the list's answer, so the list's latency
// (ADCListLatency) adds to it; while a job has tasks its four loaders post
// back to back and two senders post results, gaps of one answer's latency.
// It widens the lower bound of dispatch_rate_near_expected.
func (s *Spec) MaxPollGap() time.Duration {
	var gap time.Duration
	for _, g := range s.Fleet {
		sleep := g.PollEvery
		switch g.Behaviour {
		case BehaviourActive:
			sleep = max(sleep, g.IdleEvery)
		case BehaviourADC:
			sleep += ADCListLatency
		}
		gap = max(gap, sleep+g.Jitter)
	}
	return gap
}
