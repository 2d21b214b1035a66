package summary

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a run with one of everything a list holds, so that every
// nested name is written.
func fixture() Summary {
	return Summary{
		Scenario: "broker-outage", Strategy: "view-gate", TimeScale: 0.05, ModelDurationS: 600,
		Invariants: []Verdict{{Name: "dispatch_at_most_one_per_window", Outcome: Fail, Expected: Pass, Detail: "gap 10.0s < 30s",
			Evidence: Evidence{{What: "gaps", N: 47}}}},
		Requests:        Requests{Total: 12000, OK: 12000, RPSModel: 20, P50MS: 1.25, P99MS: 7.5},
		Keys:            []KeyStats{{Key: "heartbeat:pipeline:1:project:1", Dispatches: 19, ExpectedMin: 18, ExpectedMax: 21, MinGapS: 30.2, DBWrites: 19}},
		Services:        []ServiceStats{{ID: 1, MaxStalenessS: 95, OfflineFlips: 1}},
		DispatchesTotal: 48, DBWritesTotal: 47, MaxStalenessS: 95,
		Faults:        []Fault{{Kind: "broker-down", AtS: 180, ForS: 90}},
		StartedAt:     time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		WallDurationS: 31.2, Target: "in-process", FailurePolicy: "fail-closed", Replicas: 2, ClockToleranceMS: 50,
		LoadGenerator: LoadGenerator{ScheduleLagP99MS: 0.8, LateSends: 3},
		Notes:         []string{"redis ran in-process"},
	}
}

func TestRunName(t *testing.T) {
	assert.Equal(t, "view-gate", Summary{Strategy: "view-gate"}.RunName())
	assert.Equal(t, "view-gate [fail-open]", Summary{Strategy: "view-gate", Label: "fail-open"}.RunName())
}

func TestWriteJSONKeepsEveryContractName(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, fixture()))

	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
	top := []string{
		// docs/design.md#summaryjson
		"schema", "scenario", "strategy", "time_scale", "model_duration_s", "passed", "invariants",
		"requests", "keys", "services", "dispatches_total", "db_writes_total", "max_staleness_s", "faults",
		// added in v1
		"interrupted", "started_at", "wall_duration_s", "target", "failure_policy", "replicas",
		"clock_tolerance_ms", "load_generator", "notes",
	}
	for _, k := range top {
		assert.Contains(t, raw, k, "top-level field %q", k)
	}
	assert.NotContains(t, raw, "OutDir")
	assert.NotContains(t, raw, "out_dir")

	nested := map[string][]string{
		"invariants":     {"name", "passed", "expected", "detail", "outcome"},
		"requests":       {"total", "ok", "errors", "rps_model", "p50_ms", "p99_ms"},
		"keys":           {"key", "dispatches", "expected_min", "expected_max", "min_gap_s", "db_writes"},
		"services":       {"id", "max_staleness_s", "offline_flips"},
		"faults":         {"kind", "at_s", "for_s"},
		"load_generator": {"schedule_lag_p99_ms", "late_sends", "dropped_sends", "saturated"},
	}
	for field, names := range nested {
		obj := firstObject(t, raw[field])
		for _, k := range names {
			assert.Contains(t, obj, k, "%s[].%s", field, k)
		}
	}
	assert.JSONEq(t, `"hbharness.summary/v1"`, string(raw["schema"]))
	assert.JSONEq(t, `"2025-03-01T12:00:00Z"`, string(raw["started_at"]))
}

// firstObject returns msg itself or, for a list, its first element.
func firstObject(t *testing.T, msg json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	if bytes.HasPrefix(bytes.TrimSpace(msg), []byte("[")) {
		var list []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(msg, &list))
		require.NotEmpty(t, list)
		return list[0]
	}
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(msg, &obj))
	return obj
}

func TestJSONRoundTrip(t *testing.T) {
	in := fixture()
	in.OutDir = "/tmp/run-1" // not part of the file
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, in))
	assert.True(t, strings.HasPrefix(buf.String(), "{\n  \""), "indented")

	out, err := ReadJSON(&buf)
	require.NoError(t, err)
	want := in
	want.Schema = Schema
	want.OutDir = ""
	assert.Equal(t, want, out)
}

func TestWriteJSONWritesEmptyListsAsArrays(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, Summary{Scenario: "s"}))
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
	for _, k := range []string{"invariants", "keys", "services", "faults", "notes"} {
		assert.Equal(t, "[]", string(raw[k]), k)
	}
}

func TestWriteJSONRejectsNonFiniteWithoutWriting(t *testing.T) {
	var buf bytes.Buffer
	err := WriteJSON(&buf, Summary{Scenario: "s", MaxStalenessS: math.Inf(1)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "summary of s/")
	assert.Zero(t, buf.Len())
}

func TestReadJSONRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"other schema", `{"schema":"hbharness.summary/v2","scenario":"x"}`, `"hbharness.summary/v2"`},
		{"no schema", `{"scenario":"x"}`, `no "schema" field`},
		{"not JSON", `schema: v1`, "not valid JSON"},
		{"wrong type", `{"schema":"hbharness.summary/v1","passed":"yes"}`, "decode hbharness.summary/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tt.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestReadJSONAcceptsAddedFields(t *testing.T) {
	s, err := ReadJSON(strings.NewReader(`{"schema":"hbharness.summary/v1","scenario":"steady","from_the_future":1}`))
	require.NoError(t, err)
	assert.Equal(t, "steady", s.Scenario)
}
