package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPlanSpreadsRoundRobin(t *testing.T) {
	s, err := Parse([]byte(`
name: p
duration: 10m
fixtures: {projects: 2, pipelines: 2, services_per_key: 3, jobs_per_key: 2}
fleet:
  - {name: a, workers: 16, start: ramp, poll_every: 5s}
  - {name: b, workers: 4, behaviour: idle, start: together, keys: [3]}
`), "t.yaml", vocab())
	require.NoError(t, err)
	p := s.Plan(1)
	require.Len(t, p, 20)
	perKey := map[int]int{}
	for _, w := range p[:16] {
		perKey[w.KeyIndex]++
	}
	require.Equal(t, map[int]int{0: 4, 1: 4, 2: 4, 3: 4}, perKey, "even over keys")
	require.Equal(t, 0, p[0].JobIndex)
	require.Equal(t, 1, p[1].JobIndex, "then the key's second job")
	require.Equal(t, 1, p[2].KeyIndex)
	require.Equal(t, []int{0, 1, 2, 0}, []int{p[0].ServiceIndex, p[1].ServiceIndex, p[8].ServiceIndex, p[9].ServiceIndex}, "services of key 0 in turn")
	require.Equal(t, time.Duration(0), p[0].StartAt)
	require.Equal(t, 10*time.Minute*15/16, p[15].StartAt, "ramp over the whole run")
	for _, w := range p[16:] {
		require.Equal(t, 3, w.KeyIndex)
		require.Equal(t, time.Duration(0), w.StartAt)
		require.Equal(t, "idle", w.Behaviour)
	}
	require.Equal(t, 1, p[16].ServiceIndex, "key 3's services continue after group a's four workers")
}
