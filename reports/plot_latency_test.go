package reports

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
)

func TestLatencyChart(t *testing.T) {
	tests := []struct {
		name     string
		h        func() *history.History
		absent   bool
		p99, p50 int // polylines of each
		log      bool
		caption  []string
		check    func(t *testing.T, c *chart.Chart)
	}{
		{
			name: "a fault's slow answers on a log axis",
			h:    testHistory,
			p99:  1, p50: 1, log: true,
			caption: []string{"dark p99, light p50", "The axis is logarithmic", faultCaption},
			check: func(t *testing.T, c *chart.Chart) {
				require.Equal(t, "latency per 2s window: p50 and p99 of the answered requests", c.Title)
				for _, tick := range []string{"1 ms", "10 ms", "100 ms", "1000 ms"} {
					require.True(t, hasText(c, tick), "decade tick %s", tick)
				}
				require.True(t, hasText(c, "250 ms"), "the legend gives the worst p99")
				// The p99 line rises inside the fault band: its highest point
				// lies between the band's edges.
				band := bandPx(t, c)
				x, _ := highestPoint(t, c, "latency")
				require.True(t, x >= band[0] && x <= band[1], "peak at x=%v, band %v", x, band)
			},
		},
		{
			name: "close latencies stay on a linear axis",
			h: func() *history.History {
				return timelineOf(10*time.Second, time.Second, func(i int) history.RequestWindow {
					w := okWindow(10, time.Duration(5+i)*time.Millisecond)
					w.P50 = 2 * time.Millisecond
					return w
				})
			},
			p99: 1, p50: 1,
			check: func(t *testing.T, c *chart.Chart) {
				require.True(t, hasText(c, "ms"))
				require.False(t, hasText(c, "ms (log scale)"))
				require.NotContains(t, c.Caption, "logarithmic")
			},
		},
		{
			name: "windows without an answer break the lines",
			h: func() *history.History {
				return timelineOf(10*time.Second, time.Second, func(i int) history.RequestWindow {
					if i >= 3 && i < 6 {
						return refusedWindow(10)
					}
					return okWindow(10, time.Duration(i+1)*time.Millisecond)
				})
			},
			p99: 2, p50: 2,
			caption: []string{"Lines break where a window had no answer."},
		},
		{
			name: "a lone answered window still shows as a level",
			h: func() *history.History {
				return timelineOf(5*time.Second, time.Second, func(i int) history.RequestWindow {
					if i == 2 {
						return okWindow(4, 3*time.Millisecond)
					}
					return refusedWindow(4)
				})
			},
			p99: 1, p50: 1,
			check: func(t *testing.T, c *chart.Chart) {
				for _, el := range c.Els {
					if el.Kind == "polyline" && el.Class == "latency" {
						require.Len(t, strings.Fields(el.Points), 2, "a level across the window")
					}
				}
			},
		},
		{
			name: "nothing answered: no lines, and it says so",
			h: func() *history.History {
				return timelineOf(5*time.Second, time.Second, func(int) history.RequestWindow { return refusedWindow(2) })
			},
			check: func(t *testing.T, c *chart.Chart) {
				require.True(t, hasText(c, "no request got an answer, so no latency"))
			},
		},
		{
			name:   "no timeline, no chart",
			h:      func() *history.History { return &history.History{Duration: time.Minute} },
			absent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := latencyChart(tt.h(), 80)
			if tt.absent {
				require.Nil(t, c)
				return
			}
			require.NotNil(t, c)
			require.Equal(t, "latency", c.ID)
			require.Equal(t, tt.p99, countKind(c, "polyline", "latency"), "p99 lines")
			require.Equal(t, tt.p50, countKind(c, "polyline", "latency p50"), "p50 lines")
			require.Equal(t, tt.log, hasText(c, "ms (log scale)"))
			for _, w := range tt.caption {
				require.Contains(t, c.Caption, w)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// bandPx is the x range, in pixels, of the chart's one fault band.
func bandPx(t *testing.T, c *chart.Chart) [2]float64 {
	t.Helper()
	var bands [][2]float64
	for _, el := range c.Els {
		if el.Kind == "rect" && el.Class == "fault" {
			bands = append(bands, [2]float64{el.X, el.X + el.W})
		}
	}
	require.Len(t, bands, 1, "one fault band")
	return bands[0]
}

// highestPoint is the topmost point (smallest pixel y) of the chart's
// polylines of a class.
func highestPoint(t *testing.T, c *chart.Chart, class string) (x, y float64) {
	t.Helper()
	y = c.Height
	for _, el := range c.Els {
		if el.Kind != "polyline" || el.Class != class {
			continue
		}
		for _, p := range strings.Fields(el.Points) {
			var px, py float64
			_, err := fmt.Sscanf(p, "%f,%f", &px, &py)
			require.NoError(t, err)
			if py < y {
				x, y = px, py
			}
		}
	}
	return x, y
}
