package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// silent-service under view-gate: the dead services were never polled, so
// their max staleness is 0; what they did wrong is read live while silent.
// Those rows lead, tinted by no_false_liveness's verdict, with how long
// they read live and that they never read offline.
func TestServiceRowsShowWhatSilentServicesDid(t *testing.T) {
	bound := 105.0
	took := 80.0
	svcs := []summary.ServiceStats{
		{ID: 1, MaxStalenessS: 31},
		{ID: 2, MaxStalenessS: 0, FalseLiveS: 240, Stopped: true, TimeToOfflineBoundS: &bound},
		{ID: 3, MaxStalenessS: 0, Stopped: true, TimeToOfflineS: &took, TimeToOfflineBoundS: &bound},
	}
	tests := []struct {
		name     string
		expect   summary.Outcome
		outcome  summary.Outcome
		wantTint string
	}{
		{"expected to fail: amber", summary.Fail, summary.Fail, paintExpected},
		{"a finding: red", summary.Pass, summary.Fail, paintBad},
		{"held: untinted", summary.Pass, summary.Pass, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSummary()
			s.Services = svcs
			s.Invariants = []summary.Verdict{{Name: verify.NoFalseLiveness, Outcome: tt.outcome, Expected: tt.expect,
				Passed: tt.outcome == tt.expect}}
			rows := serviceRows(s)
			require.Len(t, rows, 3)
			assert.Equal(t, int64(2), rows[0].ID, "the service read live while silent leads")
			assert.Equal(t, tt.wantTint, rows[0].Class)
			assert.Equal(t, "never (bound 105 s)", rows[0].Offline)
			assert.Equal(t, "80 s (bound 105 s)", rows[2].Offline, "a stopped service detected in time")
			assert.Empty(t, rows[2].Class, "within its bound: nothing to tint")
			assert.Equal(t, "—", rows[1].Offline, "still polled at the end")
		})
	}
}
