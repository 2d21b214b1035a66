package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/scenarios"
)

// The charts mark what a scenario does to its fleets within the run, in
// time order; what happens at or past its end is not an event of the run.
func TestFleetEvents(t *testing.T) {
	const d = 10 * time.Minute
	tests := []struct {
		name  string
		fleet []scenarios.Group
		want  []history.Event
	}{
		{"a fleet that runs throughout has none", []scenarios.Group{{Name: "live", Workers: 5, StopAt: d}}, nil},
		{"a stop and a late start, in time order", []scenarios.Group{
			{Name: "late", Workers: 2, StartAt: 4 * time.Minute, StopAt: d},
			{Name: "dead", Workers: 40, StopAt: 2 * time.Minute},
		}, []history.Event{
			{At: 2 * time.Minute, What: "fleet dead stops: 40 workers"},
			{At: 4 * time.Minute, What: "fleet late starts: 2 workers"},
		}},
		{"a crash is said as one, not as its stop", []scenarios.Group{{Name: "gone", Workers: 3, CrashAt: time.Minute, StopAt: d}},
			[]history.Event{{At: time.Minute, What: "fleet gone crashes: 3 workers vanish mid-cycle"}}},
		{"a start at the end is past the run", []scenarios.Group{{Name: "never", Workers: 1, StartAt: d, StopAt: d}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, fleetEvents(tt.fleet, d))
		})
	}
}
