package reports

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
	"github.com/hbharness/hbharness/summary/summarytest"
)

// nightlies are three nights of steady, found out of order, and one run of
// a scenario without faults (no recovery to show).
func nightlies() []summary.Summary {
	var runs []summary.Summary
	for i, night := range []int{3, 1, 2} {
		s := summarytest.Steady("view-gate", float64(10*night), 33)
		s.StartedAt = time.Date(2026, 11, night, 2, 0, 0, 0, time.UTC)
		s.OutDir = "nightly/" + string(rune('a'+i))
		runs = append(runs, s)
	}
	calm := summarytest.Steady("two-tier", 5, 30)
	calm.Scenario, calm.Faults = "many-keys", nil
	calm.StartedAt = time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	return append(runs, calm)
}

func TestWriteTrend(t *testing.T) {
	ms, err := metric.Parse("p99,recovery")
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteTrend(&buf, nightlies(), ms))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 5)
	assert.Equal(t, []string{"STARTED", "(UTC)", "SCENARIO", "STRATEGY", "VERDICT", "P99", "LATENCY", "MS", "WORST", "RECOVERY", "S", "FOLDER"}, strings.Fields(lines[0]))
	assert.Equal(t, []string{"2026-11-01", "02:00:00", "steady", "view-gate", "PASS", "10", "20", "nightly/b"}, strings.Fields(lines[1]), "oldest first")
	assert.Equal(t, []string{"2026-11-02", "03:00:00", "many-keys", "two-tier", "PASS", "5", "—", "—"}, strings.Fields(lines[3]), "no faults: no recovery")
	assert.Contains(t, lines[4], "2026-11-03")

	buf.Reset()
	require.NoError(t, WriteTrendCSV(&buf, nightlies(), ms))
	recs, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"started_at", "scenario", "strategy", "label", "verdict", "p99_ms", "recovery_s", "folder"}, recs[0])
	assert.Equal(t, []string{"2026-11-02T03:00:00Z", "many-keys", "two-tier", "", "PASS", "5", "", ""}, recs[3])
}

func TestParseMetrics(t *testing.T) {
	ms, err := metric.Parse(" p99, staleness,p99 ")
	require.NoError(t, err)
	require.Len(t, ms, 2)
	_, err = metric.Parse("p98")
	require.ErrorContains(t, err, `no metric "p98"`)
	_, err = metric.Parse(",")
	require.ErrorContains(t, err, "no metrics named")
	assert.Len(t, metric.Checked(), 5)
}

func TestWriteTrendHTML(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTrendHTML(&buf, nightlies(), metric.Checked()))
	p := parsePage(t, buf.String())
	require.Len(t, p.svgs, 5, "one chart per metric")
	assert.Contains(t, p.svgs[0], "steady · view-gate")
	assert.Contains(t, p.svgs[0], "many-keys · two-tier")
	assert.Contains(t, p.svgs[0], "11-01 02:00", "runs are labelled with when they started")
	assert.Contains(t, p.text(), "history · 4 runs")
}
