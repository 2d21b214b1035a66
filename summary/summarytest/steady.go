// Package summarytest holds summaries for the tests of what reads them
// (renderers, baseline judging), so that each does not build its own.
package summarytest

import "github.com/hbharness/hbharness/summary"

// Steady is a passing 6-minute run of one key: 12 windows, one dispatch and
// one write each, a fault got over in 20 s; p99 and staleness as given.
func Steady(strategy string, p99, staleness float64) summary.Summary {
	rec := 20.0
	return summary.Summary{
		Scenario: "steady", Strategy: strategy, TimeScale: 0.03, ModelDurationS: 360, ThrottleS: 30, Passed: true,
		Requests:        summary.Requests{Total: 24000, OK: 24000, RPSModel: 66.7, P50MS: 1, P99MS: p99},
		Keys:            []summary.KeyStats{{Key: "heartbeat:pipeline:1:project:1", Dispatches: 12, DBWrites: 12}},
		Services:        []summary.ServiceStats{{ID: 1, MaxStalenessS: staleness}},
		DispatchesTotal: 12, DBWritesTotal: 12, MaxStalenessS: staleness,
		Faults: []summary.Fault{{Kind: "broker-down", AtS: 60, ForS: 30, RecoveryS: &rec}},
	}
}
