package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/runfolder"
)

// sim needs no service: it judges a simulated run, or refuses with exit 2
// what it cannot model or size.
func TestSimCommand(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"many-keys holds", []string{"--scenario", "many-keys", "--seed", "3"}, 0, "event log sha256"},
		{"resized", []string{"--scenario", "many-keys", "--workers", "300", "--keys", "60", "--duration", "3m"}, 0, "60 active keys within bounds"},
		{"a fault is not modelled", []string{"--scenario", "redis-evict"}, 2, "not modelled by the simulation"},
		{"keys that no project count makes", []string{"--scenario", "many-keys", "--keys", "7"}, 2, "give a multiple of 10"},
		{"no scenario", nil, 2, "--scenario is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			code, stdout, stderr := cli(t, nil, append([]string{"sim", "--out", out}, tc.args...)...)
			require.Equal(t, tc.code, code, "stdout %s\nstderr %s", stdout, stderr)
			assert.Contains(t, stdout+stderr, tc.output)
			if tc.code != 0 {
				return
			}
			sum, err := runfolder.ReadSummary(out)
			require.NoError(t, err)
			assert.Equal(t, "sim", sum.Mode)
			require.NotNil(t, sum.Sim)
			assert.NotEmpty(t, sum.Sim.EventLogSHA256)
		})
	}
}
