package scenarios

import "time"

// Enumerated field values, as written in scenario files.
const (
	BehaviourActive = "active"
	BehaviourIdle   = "idle"

	StartTogether = "together"
	StartSpread   = "spread"
	StartRamp     = "ramp"

	EndpointTasks  = "tasks"
	EndpointResult = "result"
	EndpointList   = "list"

	FaultBrokerDown = "broker-down"
	FaultRedisDown  = "redis-down"
	FaultRedisSlow  = "redis-slow"
	FaultDBSlow     = "db-slow"
	// FaultRedisBlackhole holds Redis traffic without answering: the 5 s
	// connect/read timeout case of Antenna's cache client.
	FaultRedisBlackhole = "redis-blackhole"

	PolicyFailClosed    = "fail-closed"
	PolicyFailOpen      = "fail-open"
	PolicyFailOpenLocal = "fail-open-local"

	OutcomePass = "pass"
	OutcomeFail = "fail"
)

// Defaults for omitted fields: production values (DESIGN.md §1, §5).
const (
	DefaultTimeScale     = 0.05
	DefaultStrategy      = "view-gate"
	DefaultFailurePolicy = PolicyFailClosed
	DefaultReplicas      = 1

	DefaultThrottle     = 30 * time.Second
	DefaultOfflineAfter = 60 * time.Second
	DefaultCheckerEvery = 5 * time.Second
	DefaultSampleEvery  = time.Second
	DefaultTaskWorkers  = 4
	DefaultJobCacheTTL  = time.Second

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
func enumEndpoint() []string  { return []string{EndpointTasks, EndpointResult, EndpointList} }
func enumFaultKind() []string {
	return []string{FaultBrokerDown, FaultRedisDown, FaultRedisBlackhole, FaultRedisSlow, FaultDBSlow}
}
func enumPolicy() []string  { return []string{PolicyFailClosed, PolicyFailOpen, PolicyFailOpenLocal} }
func enumOutcome() []string { return []string{OutcomePass, OutcomeFail} }
