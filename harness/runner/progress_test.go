package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
)

func TestActiveFaults(t *testing.T) {
	plan := []faults.Fault{
		{Kind: "broker-down", At: time.Minute, For: 30 * time.Second},
		{Kind: "redis-slow", At: 80 * time.Second, For: time.Minute},
		{Kind: "replica-kill", At: 3 * time.Minute}, // For 0: to the end
	}
	cases := []struct {
		at   time.Duration
		want []string
	}{
		{59 * time.Second, nil},
		{time.Minute, []string{"broker-down"}},
		{85 * time.Second, []string{"broker-down", "redis-slow"}},
		{90 * time.Second, []string{"redis-slow"}},
		{140 * time.Second, nil},
		{10 * time.Minute, []string{"replica-kill"}},
	}
	for _, tc := range cases {
		t.Run(tc.at.String(), func(t *testing.T) {
			require.Equal(t, tc.want, activeFaults(plan, tc.at))
		})
	}
}
