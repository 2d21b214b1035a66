package settings

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDefaultIsUsable(t *testing.T) {
	require.Empty(t, Default().Problems())
	require.Equal(t, 30*time.Second, Default().Throttle, "Antenna's window")
	require.Equal(t, 60*time.Second, Default().OfflineAfter, "PROCESSING_SERVICE_LAST_SEEN_MAX")
}

func TestProblemsNameTheSetting(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Settings)
		field string
	}{
		{"no window", func(s *Settings) { s.Throttle = 0 }, "throttle"},
		{"window not shorter than offline", func(s *Settings) { s.Throttle = s.OfflineAfter }, "throttle"},
		{"no offline window", func(s *Settings) { s.OfflineAfter = -time.Second }, "offline_after"},
		{"no checker", func(s *Settings) { s.CheckerEvery = 0 }, "checker_every"},
		{"no workers", func(s *Settings) { s.TaskWorkers = 0 }, "task_workers"},
		{"negative cache", func(s *Settings) { s.JobCacheTTL = -1 }, "job_cache_ttl"},
		{"negative cost", func(s *Settings) { s.ResultCost = -1 }, "result_cost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Default()
			tc.edit(&s)
			ps := s.Problems()
			require.Len(t, ps, 1, "%v", ps)
			require.Equal(t, tc.field, ps[0].Field)
		})
	}
}
