package reports

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

func TestWriteSuiteTable(t *testing.T) {
	pass := testSummary()
	pass.Scenario, pass.Passed, pass.OutDir = "steady", true, "out/steady"
	for i := range pass.Invariants {
		pass.Invariants[i].Passed = true
	}
	fail := testSummary()
	tests := []struct {
		name  string
		runs  []summary.Summary
		tally string
		want  []string
	}{
		{"none", nil, "0 passed, 0 failed\n", nil},
		{"mixed", []summary.Summary{pass, fail, fail}, "1 passed (1 with expected failures), 2 failed\n",
			[]string{"steady", "out/steady", "FAIL (dispatch_at_most_one_per_window)", "95 s", "7.5 ms"}},
		{"expected failures are named", []summary.Summary{pass, brokerOutage()}, "2 passed (2 with expected failures), 0 failed\n",
			[]string{"PASS (expected fail: last_seen_never_stale)  ", "PASS (expected fail: last_seen_never_stale, never_marked_offline_while_polled)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteSuiteTable(&buf, tt.runs, false))
			out := buf.String()
			assert.True(t, strings.HasSuffix(out, tt.tally), out)
			assert.Equal(t, len(tt.runs)+2, strings.Count(out, "\n"), "header, one line per run, tally")
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

// On a terminal the verdicts are painted by the pages' colour rule (an
// expected failure amber, not red) without moving the columns; off one,
// nothing but text.
func TestWriteSuiteTableColour(t *testing.T) {
	pass := testSummary()
	pass.Scenario, pass.Passed = "steady", true
	for i := range pass.Invariants {
		pass.Invariants[i].Passed = true
	}
	runs := []summary.Summary{pass, brokerOutage(), testSummary()}
	var plain, painted bytes.Buffer
	require.NoError(t, WriteSuiteTable(&plain, runs, false))
	require.NoError(t, WriteSuiteTable(&painted, runs, true))
	assert.NotContains(t, plain.String(), "\x1b[")
	unpaint := regexp.MustCompile("\x1b\\[[0-9;]*m")
	assert.Equal(t, plain.String(), unpaint.ReplaceAllString(painted.String(), ""), "the same table, columns where they were")
	out := painted.String()
	assert.Contains(t, out, ansiGreen+"PASS"+ansiReset+" "+ansiAmber+"(expected fail: last_seen_never_stale, never_marked_offline_while_polled)"+ansiReset)
	assert.Contains(t, out, ansiRed+"FAIL"+ansiReset+" "+ansiRed+"(dispatch_at_most_one_per_window)")
	assert.NotContains(t, out, ansiRed+"PASS")
}

func TestWriteComparison(t *testing.T) {
	gate := testSummary()
	inline := testSummary()
	inline.Strategy, inline.DispatchesTotal, inline.MaxStalenessS = "inline", 12000, 4.5
	inline.Invariants = inline.Invariants[:2] // a run missing verdicts shows dashes
	inline.Invariants = append(inline.Invariants, summary.Verdict{Name: "custom_check", Outcome: summary.Pass, Expected: summary.Pass, Passed: true})

	var buf bytes.Buffer
	require.NoError(t, WriteComparison(&buf, []summary.Summary{gate, inline}))
	lines := strings.Split(buf.String(), "\n")
	row := func(label string) []string {
		for _, l := range lines {
			if strings.HasPrefix(l, label+" ") {
				return strings.Fields(strings.TrimPrefix(l, label))
			}
		}
		t.Fatalf("no row %q in\n%s", label, buf.String())
		return nil
	}
	assert.Equal(t, []string{"view-gate", "inline"}, strings.Fields(lines[2]), "header")
	assert.Equal(t, []string{"48", "12000"}, row("dispatches_total"))
	assert.Equal(t, []string{"95", "4.5"}, row("worst staleness s"))
	assert.Equal(t, []string{"fail", "✗", "fail", "✗"}, row(verify.AtMostOnePerWindow))
	assert.Equal(t, []string{"fail", "✓", "—"}, row(verify.LastSeenNeverStale))
	assert.Equal(t, []string{"—", "pass", "✓"}, row("custom_check"))
	for _, label := range []string{"verdict", "db_writes_total", "requests / s (model)", "p50 latency ms", "p99 latency ms"} {
		row(label)
	}
	for _, name := range verify.Names() {
		row(name)
	}
}

func TestWriteComparisonRejects(t *testing.T) {
	other := testSummary()
	other.Scenario = "steady"
	tests := []struct {
		name string
		runs []summary.Summary
		want string
	}{
		{"no runs", nil, "no runs"},
		{"different scenarios", []summary.Summary{testSummary(), other}, "different scenarios"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteComparison(&buf, tt.runs)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Zero(t, buf.Len())
			assert.Error(t, WriteComparisonHTML(&buf, tt.runs, "", "report.html", nil))
		})
	}
}

func TestWriteSuiteFindings(t *testing.T) {
	pass := testSummary()
	pass.Scenario, pass.Passed = "steady", true
	for i := range pass.Invariants {
		pass.Invariants[i].Passed = true
	}
	fail := testSummary()
	fail.OutDir = "out/broker-outage"
	fail.Invariants[0].Where = &summary.Where{Subject: "key heartbeat:pipeline:2:project:1", FromS: ptr(200), ToS: ptr(210)}

	var buf bytes.Buffer
	require.NoError(t, WriteSuiteFindings(&buf, []summary.Summary{pass, brokerOutage()}))
	assert.Empty(t, buf.String(), "passing runs, expected failures included, need no line")

	buf.Reset()
	require.NoError(t, WriteSuiteFindings(&buf, []summary.Summary{pass, fail}))
	out := buf.String()
	assert.Contains(t, out, "what failed, and when:")
	assert.Contains(t, out, "broker-outage/view-gate: ✗ dispatch_at_most_one_per_window failed, expected pass · key heartbeat:pipeline:2:project:1 · from 3m20s to 3m30s · during broker-down (3m–4m30s)")
	assert.Contains(t, out, "out/broker-outage/report.html")
	assert.NotContains(t, out, "steady")
}
