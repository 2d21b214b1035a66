package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
)

func TestWriteJSONKeepsEveryContractName(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, testSummary()))

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
	in := testSummary()
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

// A fault's requests come from the exact span the runner summed when there
// is one, not from the worst of the windows it touches.
func TestDuringUsesTheExactSpan(t *testing.T) {
	h := &history.History{Requests: history.Requests{Timeline: []history.RequestWindow{
		{From: 0, Every: time.Second, P99: 900 * time.Millisecond,
			ByEndpoint: map[string]history.RequestCounts{"result": {Total: 10, OK: 9, Status5xx: 1}}},
	}}}
	f := history.Fault{At: 0, For: time.Second}
	d := During{Errors: map[string]int64{}}
	during(h, f, &d)
	require.Equal(t, 900.0, d.P99MS, "without a span: the worst window")
	require.Equal(t, map[string]int64{"result": 1}, d.Errors)

	f.Requests = &history.RequestWindow{P99: 250 * time.Millisecond,
		ByEndpoint: map[string]history.RequestCounts{"tasks": {Total: 4, Status5xx: 4}}}
	d = During{Errors: map[string]int64{}}
	during(h, f, &d)
	require.Equal(t, 250.0, d.P99MS)
	require.Equal(t, map[string]int64{"tasks": 4}, d.Errors)
}
