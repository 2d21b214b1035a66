package scenarios

import (
	"math/rand/v2"
	"time"
)

// WorkerPlan is one closed-model worker as the scenario lays it out, before
// the runner knows tokens and job ids: which key, which of the key's services
// it authenticates as, which of the key's jobs it starts on, and when.
type WorkerPlan struct {
	ID           int
	Group        string
	Behaviour    string
	KeyIndex     int
	ServiceIndex int // worker i of a key is that key's service i mod services_per_key
	JobIndex     int // which of the key's jobs; meaningless when jobs_per_key is 0
	PollEvery    time.Duration
	IdleEvery    time.Duration
	Jitter       time.Duration
	StartAt      time.Duration
	StopAt       time.Duration
	CrashAt      time.Duration // 0: the worker does not crash
	BatchSize    int
	Register     bool // registers its service's pipelines before it polls
}

// Plan spreads the fleet over the fixtures: workers go round-robin over the
// jobs of the keys their group may use (every key unless it names some), so
// every job gets its share, and start together, spread over one poll period,
// or evenly over the ramp. seed makes spread starts reproducible.
func (s *Spec) Plan(seed int64) []WorkerPlan {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	perKey := make(map[int]int) // workers assigned to each key so far
	jobsPerKey := max(1, s.Fixtures.JobsPerKey)
	var out []WorkerPlan
	for _, g := range s.Fleet {
		keys := g.Keys
		if len(keys) == 0 {
			keys = make([]int, s.Fixtures.Keys())
			for i := range keys {
				keys[i] = i
			}
		}
		inGroup := make(map[int]int) // this group's workers on each key so far
		for i := 0; i < g.Workers; i++ {
			slot := i % (len(keys) * jobsPerKey)
			key := keys[slot/jobsPerKey]
			start := g.StartAt
			switch g.Start {
			case StartSpread:
				start += time.Duration(rng.Int64N(int64(g.PollEvery)))
			case StartRamp:
				start += time.Duration(int64(g.RampOver) * int64(i) / int64(g.Workers))
			}
			if start >= g.StopAt || (g.CrashAt > 0 && start >= g.CrashAt) {
				continue // a ramp that would start it after the group stops
			}
			svc := perKey[key] % s.Fixtures.ServicesPerKey
			if len(g.Services) > 0 {
				svc = g.Services[inGroup[key]%len(g.Services)]
			}
			out = append(out, WorkerPlan{
				ID: len(out), Group: g.Name, Behaviour: g.Behaviour,
				KeyIndex: key, ServiceIndex: svc, JobIndex: slot % jobsPerKey,
				PollEvery: g.PollEvery, IdleEvery: g.IdleEvery, Jitter: g.Jitter,
				StartAt: start, StopAt: g.StopAt, CrashAt: g.CrashAt, BatchSize: g.BatchSize,
				Register: g.Register,
			})
			perKey[key]++
			inGroup[key]++
		}
	}
	return out
}
