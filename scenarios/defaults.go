package scenarios

import (
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// Enumerated field values, as written in scenario files.
const (
	BehaviourActive = "active"
	BehaviourIdle   = "idle"
	// BehaviourADC emulates the real worker client, ami-data-companion, one
	// GPU per worker (docs/design.md#the-pattern-under-test).
	BehaviourADC = "adc"

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

	// The real client's settings for adc groups: antenna_api_batch_size,
	// and SLEEP_TIME_SECONDS when no listed job has work.
	DefaultADCBatchSize = 24
	DefaultADCPollEvery = 5 * time.Second
	// ADCListLatency is what MaxPollGap allows an adc worker's list answer
	// on top of its sleep, which only starts once the answer is in. Far above
	// what a healthy target takes; a slower answer shows in the run's
	// latency figures.
	ADCListLatency = 2 * time.Second
)

// maxCount bounds every count in a file. Fixtures and fleets are materialised
// as rows and goroutines, and sums of counts must not overflow; nothing this
// harness can run on one machine comes near it.
const maxCount = 10_000_000

func enumBehaviour() []string { return []string{BehaviourActive, BehaviourIdle, BehaviourADC} }
func enumStart() []string     { return []string{StartTogether, StartSpread, StartRamp} }
