package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/settings"
)

// The offline check's settings default to Antenna's (every 5 min, expires
// 240 s, on the heartbeat tasks' queue) and parse as written.
func TestCheckerSettingsParse(t *testing.T) {
	for _, tc := range []struct {
		line    string
		every   time.Duration
		expires time.Duration
		queue   string
	}{
		{"", 5 * time.Minute, 240 * time.Second, settings.CheckerOnHeartbeatQueue},
		{"settings: {checker_every: 5s}\n", 5 * time.Second, 240 * time.Second, settings.CheckerOnHeartbeatQueue},
		{"settings: {checker_expires: 30s, checker_queue: own}\n", 5 * time.Minute, 30 * time.Second, settings.CheckerOnOwnQueue},
		{"settings: {checker_queue: heartbeat}\n", 5 * time.Minute, 240 * time.Second, settings.CheckerOnHeartbeatQueue},
	} {
		t.Run(strings.TrimSpace(tc.line), func(t *testing.T) {
			spec, err := Parse(src("\nname: x\nduration: 10m\n"+tc.line+"fleet: [{name: a, workers: 1}]\n"), "x.yaml", vocab())
			require.NoError(t, err)
			require.Equal(t, tc.every, spec.Settings.CheckerEvery)
			require.Equal(t, tc.expires, spec.Settings.CheckerExpires)
			require.Equal(t, tc.queue, spec.Settings.CheckerQueue)
		})
	}
}

func TestCheckerSettingsReject(t *testing.T) {
	for _, tc := range []rejectCase{
		{name: "no expiry", src: `
name: x
duration: 10m
settings: {checker_expires: 0s}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.checker_expires", msg: "more than zero"},
		{name: "not a duration", src: `
name: x
duration: 10m
settings: {checker_expires: soon}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.checker_expires", msg: "duration"},
		{name: "unknown queue", src: `
name: x
duration: 10m
settings: {checker_queue: antenna}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.checker_queue", msg: `"antenna" is not one of heartbeat, own`},
	} {
		t.Run(tc.name, tc.check)
	}
}
