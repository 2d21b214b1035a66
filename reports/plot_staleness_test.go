package reports

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
)

// legends lists the staleness chart's legend labels, top to bottom.
func legends(c *chart.Chart) []string {
	var out []string
	for _, el := range c.Els {
		if el.Kind == "text" && el.Class == "legend" {
			out = append(out, el.Text)
		}
	}
	return out
}

// sawtooth is n services, each written every 30 s from its own offset, so
// that services with different offsets draw different lines.
func sawtooth(n int, offset func(i int) time.Duration) *history.History {
	h := &history.History{Duration: 5 * time.Minute, OfflineAfter: time.Minute, SampleEvery: time.Second}
	for i := range n {
		id := int64(i + 1)
		h.Services = append(h.Services, history.Service{ID: id, Polled: []history.Interval{{From: 0, To: h.Duration}}})
		for at := time.Duration(0); at < h.Duration; at += time.Second {
			st := (at + offset(i)) % (30 * time.Second)
			// Samples of one read land microseconds apart, as they do.
			h.Samples = append(h.Samples, history.Sample{At: at + time.Duration(i)*time.Microsecond, ServiceID: id, Staleness: st, Live: true})
		}
	}
	return h
}

func TestStalenessLinesThatCoincideAreMerged(t *testing.T) {
	tests := []struct {
		name     string
		h        *history.History
		series   int
		legend   []string
		envelope bool
		caption  []string
	}{
		{
			name:    "one key's three services: one line, named together",
			h:       testHistory(),
			series:  3,                                                     // one per key
			legend:  []string{"svc 1, 2, 3", "svc 7, 8, 9", "svc 4, 5, 6"}, // stalest first
			caption: []string{"drawn as one line, named together in the legend"},
		},
		{
			name:   "services apart stay apart",
			h:      sawtooth(3, func(i int) time.Duration { return time.Duration(i) * 10 * time.Second }),
			series: 3,
			legend: []string{"svc 1", "svc 2", "svc 3"},
		},
		{
			name: "a service whose polling began a moment later still merges",
			h: func() *history.History {
				h := sawtooth(3, func(int) time.Duration { return 0 })
				h.Services[2].Polled[0].From = 3 * time.Second // a short dashed start
				return h
			}(),
			series: 1,
			legend: []string{"svc 1, 2, 3"},
		},
		{
			name:   "many alike in one line",
			h:      sawtooth(6, func(int) time.Duration { return 0 }),
			series: 1,
			legend: []string{"svc 1 +5"},
		},
		{
			name:     "past the legend, a band",
			h:        sawtooth(14, func(i int) time.Duration { return time.Duration(i) * 2 * time.Second }),
			series:   maxStaleSeries,
			envelope: true,
			caption:  []string{"pale blue band: the range of the other 5 services' polled staleness"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stalenessChart(tt.h, 80, paintBad)
			assert.Equal(t, tt.series, countKind(c, "polyline", "series"), "solid lines")
			got := legends(c)
			if tt.envelope {
				require.Len(t, got, maxStaleSeries+1)
				assert.Equal(t, "5 more", got[maxStaleSeries])
				assert.Positive(t, countKind(c, "polygon", "envelope"))
			} else {
				assert.Equal(t, tt.legend, got)
				assert.Zero(t, countKind(c, "polygon", "envelope"))
			}
			for _, w := range tt.caption {
				assert.Contains(t, c.Caption, w)
			}
		})
	}
}

// A staleness of an hour beside a 60 s threshold breaks the axis: linear
// up to twice the threshold, logarithmic above, so that the threshold and
// the sawtooth under it stay readable; under ten times it the axis stays
// linear.
func TestStalenessAxisBreaksPastTenTimesTheThreshold(t *testing.T) {
	tests := []struct {
		name   string
		worst  time.Duration
		broken bool
	}{
		{"a minute past the threshold: linear", 2 * time.Minute, false},
		{"an hour: broken", time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := sawtooth(2, func(i int) time.Duration { return time.Duration(i) * 10 * time.Second })
			for i, s := range h.Samples {
				if s.ServiceID == 1 && s.At >= 2*time.Minute && s.At < 3*time.Minute {
					h.Samples[i].Staleness = tt.worst
				}
			}
			c := stalenessChart(h, 80, paintExpected)
			threshold := c.Py(0) - c.Py(60)
			if !tt.broken {
				assert.Nil(t, c.YScale)
				assert.NotContains(t, c.Caption, "logarithmic")
				return
			}
			require.NotNil(t, c.YScale)
			assert.Contains(t, c.Caption, "linear up to 2m")
			assert.Contains(t, c.Caption, "logarithmic above it")
			assert.Greater(t, threshold, 0.15*c.PlotH(), "the 60 s line stands clear of the floor")
			assert.True(t, hasText(c, "1h"), "the axis names the hour")
			assert.True(t, hasText(c, "≈"), "and marks its break")
		})
	}
}

// The scenario's own events are marked on the charts over model time, with
// a name at the line's foot and the whole event in its tooltip.
func TestChartsMarkTheScenariosEvents(t *testing.T) {
	h := testHistory()
	h.Events = []history.Event{{At: 5 * time.Minute, What: "fleet dead stops: 40 workers"}}
	s := testSummary()
	for _, c := range []*chart.Chart{dispatchChart(s, h, 80), stalenessChart(h, 80, paintBad), livenessChart(h, 80, paintBad)} {
		t.Run(c.ID, func(t *testing.T) {
			var line, label bool
			for _, el := range c.Els {
				line = line || (el.Kind == "line" && el.Class == "event" && el.X == c.Px(300))
				label = label || (el.Class == "event-label" && el.Text == "▸ dead stops" && el.Tip == "fleet dead stops: 40 workers at 5m")
			}
			assert.True(t, line, "a line at 5m")
			assert.True(t, label, "named, with the event in its tooltip")
			assert.Contains(t, c.Caption, "the scenario's own events (fleet dead stops: 40 workers")
		})
	}
}
