package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/settings"
)

func TestSettingsFieldsNameHeartbeatQueue(t *testing.T) {
	require.Contains(t, settingsFields(), "heartbeat_queue")
	for _, f := range settingsFields() {
		require.NotContains(t, f, "time_limit", "Antenna's task time limits are fixed, not a scenario field")
	}
}

func TestHeartbeatQueueParses(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"", settings.QueueSeparate}, // Antenna's topology by default
		{"settings: {heartbeat_queue: shared}\n", settings.QueueShared},
		{"settings: {heartbeat_queue: separate}\n", settings.QueueSeparate},
	} {
		t.Run(tc.want+"/"+strings.TrimSpace(tc.line), func(t *testing.T) {
			spec, err := Parse(src("\nname: x\nduration: 10m\n"+tc.line+"fleet: [{name: a, workers: 1}]\n"), "x.yaml", vocab())
			require.NoError(t, err)
			require.Equal(t, tc.want, spec.Settings.HeartbeatQueue)
		})
	}
}

func TestHeartbeatQueueRejects(t *testing.T) {
	for _, tc := range []rejectCase{
		{name: "unknown topology", src: `
name: x
duration: 10m
settings: {heartbeat_queue: default}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.heartbeat_queue", msg: `"default" is not one of shared, separate`},
		{name: "not a string", src: `
name: x
duration: 10m
settings:
  heartbeat_queue: [shared]
fleet: [{name: a, workers: 1}]
`, line: 4, field: "settings.heartbeat_queue", msg: "one of shared, separate"},
		{name: "time limits are not scenario fields", src: `
name: x
duration: 10m
settings: {task_time_limit: 15s}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.task_time_limit", msg: "unknown field"},
	} {
		t.Run(tc.name, tc.check)
	}
}
