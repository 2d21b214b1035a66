package reports

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/summary"
)

func TestWriteTable(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*summary.Summary)
		want, avoid []string
	}{
		{
			name: "failing run",
			edit: func(*summary.Summary) {},
			want: []string{"broker-outage · view-gate · time scale 0.05 · model 10m · FAIL",
				"clock tolerance 50 ms", "12000 total", "p99 7.5 ms", "48 dispatches", "47 db writes",
				"fault       broker-down at 3m for 1m30s", "note        redis ran in-process", "✗", "✓", "n/a"},
			avoid: []string{"PASS", "more)"},
		},
		{
			name:  "passing run",
			edit:  func(s *summary.Summary) { s.Passed = true },
			want:  []string{"· PASS\n"},
			avoid: []string{"FAIL"},
		},
		{
			name: "interrupted run",
			edit: func(s *summary.Summary) { s.Interrupted, s.ModelDurationS = true, 95 },
			want: []string{"INTERRUPTED", "only the first 1m35s"},
		},
		{
			name: "saturated generator",
			edit: func(s *summary.Summary) { s.LoadGenerator.Saturated = true },
			want: []string{"SATURATED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSummary()
			tt.edit(&s)
			var buf bytes.Buffer
			require.NoError(t, WriteTable(&buf, s))
			out := buf.String()
			for _, v := range s.Invariants {
				assert.Contains(t, out, v.Name)
			}
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			for _, a := range tt.avoid {
				assert.NotContains(t, out, a)
			}
		})
	}
}

func TestWriteTableAlignsVerdictColumns(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, testSummary()))
	col := -1
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "dispatch_") || strings.HasPrefix(line, "INVARIANT") || strings.HasPrefix(line, "observers_") {
			i := strings.Index(line, "  ")
			for i < len(line) && line[i] == ' ' {
				i++
			}
			if col < 0 {
				col = i
			}
			assert.Equal(t, col, i, "second column of %q", line)
		}
	}
	require.Positive(t, col)
}

func TestWriteTableShowsTheTenWorstKeys(t *testing.T) {
	s := testSummary()
	s.Keys = testKeys(14)
	s.Keys[12].Dispatches = 40 // 19 above its bound: worst
	s.Keys[3].Dispatches = 10  // 8 below
	s.Keys[7].MinGapS = 3      // within bounds, closest gap
	s.Keys[9].Dispatches = 1   // 17 below, and no gap at all
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, s))
	out := buf.String()

	assert.Contains(t, out, "(+4 more)")
	order := []string{"pipeline:13:", "pipeline:10:", "pipeline:4:", "pipeline:8:"}
	last := -1
	for _, k := range order {
		i := strings.Index(out, k)
		require.GreaterOrEqual(t, i, 0, k)
		assert.Greater(t, i, last, "%s comes after the keys worse than it", k)
		last = i
	}
	assert.Equal(t, 10, strings.Count(out, "\nheartbeat:pipeline:"), "ten key lines")
	assert.Contains(t, out, "—", "a key with one dispatch has no gap")
}

func TestWorstKeysDoesNotReorderItsInput(t *testing.T) {
	keys := testKeys(3)
	keys[2].Dispatches = 99
	_ = worstKeys(keys)
	assert.Equal(t, "heartbeat:pipeline:1:project:1", keys[0].Key)
}

func TestModelDuration(t *testing.T) {
	for sec, want := range map[float64]string{
		0: "0s", 0.25: "250ms", 2.5: "2.5s", 30: "30s", 90: "1m30s", 600: "10m", 3600: "1h", 3660: "1h1m", 5400.4: "1h30m",
	} {
		assert.Equal(t, want, modelDuration(sec), fmt.Sprint(sec))
	}
}
