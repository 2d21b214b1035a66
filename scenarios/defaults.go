package scenarios

import (
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// Enumerated field values, as written in scenario files.
const (
	BehaviourActive = "active"
	BehaviourIdle   = "idle"

	StartTogether = "together"
	StartSpread   = "spread"
	StartRamp     = "ramp"
)

// Defaults for omitted fields. The reference's settings default to
// settings.Default(), the strategy and failure policy to Options'.
const (
	DefaultTimeScale   modeltime.Scale = 0.05
	DefaultReplicas                    = 1
	DefaultSampleEvery                 = time.Second

	DefaultProjects       = 1
	DefaultPipelines      = 1
	DefaultServicesPerKey = 3
	DefaultJobsPerKey     = 1
	DefaultTasksPerJob    = 0

	DefaultBehaviour = BehaviourActive
	DefaultPollEvery = 5 * time.Second
	DefaultIdleEvery = 5 * time.Second
	DefaultStart     = StartSpread
	DefaultBatchSize = 8
)

// maxCount bounds every count in a file. Fixtures and fleets are materialised
// as rows and goroutines, and sums of counts must not overflow; nothing this
// harness can run on one machine comes near it.
const maxCount = 10_000_000

func enumBehaviour() []string { return []string{BehaviourActive, BehaviourIdle} }
func enumStart() []string     { return []string{StartTogether, StartSpread, StartRamp} }
