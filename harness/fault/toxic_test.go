package fault

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKinds(t *testing.T) {
	assert.Equal(t, []string{"down", "blackhole", "latency"}, Toxics())
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		latency time.Duration
		want    Toxic
		wantErr string
	}{
		{name: "down", kind: "down", want: Down{}},
		{name: "blackhole", kind: "blackhole", want: Blackhole{}},
		{name: "latency", kind: "latency", latency: 30 * time.Millisecond, want: Latency{Delay: 30 * time.Millisecond}},
		{name: "unknown kind lists the kinds", kind: "slow", wantErr: `unknown toxic kind "slow": use one of down, blackhole, latency`},
		{name: "latency without delay", kind: "latency", wantErr: "needs a delay > 0"},
		{name: "negative latency", kind: "latency", latency: -time.Millisecond, wantErr: "needs a delay > 0"},
		{name: "latency on down", kind: "down", latency: time.Millisecond, wantErr: `toxic "down" takes no latency`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := New(tc.kind, tc.latency)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.kind, got.Name())
		})
	}
}
