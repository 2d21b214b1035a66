package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// Strategies over time share both axes, so a reader compares heights across
// a row: the stalest run sets every staleness chart's top, the leakiest run
// every per-window chart's.
func TestTimeRowsShareTheirAxes(t *testing.T) {
	stale := testHistory() // a broker outage: services go ~120 s stale
	calm := testHistory()
	calm.Faults = nil
	calm.Duration = 5 * time.Minute
	calm.Samples = nil
	for at := time.Duration(0); at <= calm.Duration; at += time.Second {
		calm.Samples = append(calm.Samples, history.Sample{At: at, ServiceID: 1, Staleness: at % (30 * time.Second)})
	}
	rows := timeRows([]strategyHistory{{"view-gate", stale}, {"two-tier", calm}})
	require.Len(t, rows, 2)
	for _, row := range rows {
		require.Len(t, row.Charts, 2)
		a, b := row.Charts[0], row.Charts[1]
		assert.Equal(t, a.X1(), b.X1(), "%s: one time axis", row.Title)
		assert.Equal(t, a.Y1(), b.Y1(), "%s: one value axis", row.Title)
		assert.Equal(t, "view-gate", a.Title)
		assert.Equal(t, "two-tier", b.Title)
	}
	worst := 0.0
	for _, p := range worstStaleness(stale) {
		worst = max(worst, p[1])
	}
	assert.Greater(t, worst, 100.0, "the fixture's outage leaves its services over 100 s stale")
	assert.GreaterOrEqual(t, rows[0].Charts[1].Y1(), worst, "the calm run is drawn on the stale run's axis")
	assert.Equal(t, 600.0, rows[0].Charts[1].X1(), "the shorter run is drawn on the longer run's time axis")
	// Key 2 of the fixture dispatches twice in one window: 2 per key there.
	perWin := heartbeatsPerWindow(stale)
	top := 0.0
	for _, n := range perWin {
		top = max(top, n)
	}
	assert.InDelta(t, 4.0/3, top, 1e-9, "three keys, four heartbeats in the leaky window")
}

// The page draws the rows only when histories were given, and names them.
func TestComparisonPageDrawsStrategiesOverTime(t *testing.T) {
	a, b := testSummary(), testSummary()
	b.Strategy = "two-tier"
	runs := []summary.Summary{a, b}
	var without, with bytes.Buffer
	require.NoError(t, WriteComparisonHTML(&without, runs, "", "report.html", nil))
	require.NoError(t, WriteComparisonHTML(&with, runs, "", "report.html", []*history.History{testHistory(), testHistory()}))
	assert.NotContains(t, without.String(), "worst staleness over time")
	page := with.String()
	assert.Contains(t, page, "worst staleness over time")
	assert.Contains(t, page, "heartbeats per throttle window per active key")
	// Two rows, one chart per strategy in each.
	assert.Equal(t, 2, strings.Count(page, `aria-label="view-gate"`))
	assert.Equal(t, 2, strings.Count(page, `aria-label="two-tier"`))
}
