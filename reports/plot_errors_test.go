package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
)

// errRects lists the chart's error bars.
func errRects(c *chart.Chart) []chart.El {
	var out []chart.El
	for _, el := range c.Els {
		if el.Kind == "rect" && el.Class == "err-bar" {
			out = append(out, el)
		}
	}
	return out
}

func TestErrorsChart(t *testing.T) {
	tests := []struct {
		name    string
		h       func() *history.History
		absent  bool
		bars    int
		caption []string
		check   func(t *testing.T, c *chart.Chart)
	}{
		{
			name: "5xx answers inside the fault band",
			h:    testHistory,
			bars: 5,
			caption: []string{"in each 2s window of model time", "stacked by endpoint: tasks 20", "The scenario allows 0 errors in all.",
				"Red lines: where the errors went past what the scenario allows", faultCaption},
			check: func(t *testing.T, c *chart.Chart) {
				require.Equal(t, "failed requests per 2s window, by endpoint", c.Title)
				band := bandPx(t, c)
				for _, el := range errRects(c) {
					require.GreaterOrEqual(t, el.X, band[0], "error bar %q starts inside the fault", el.Tip)
					require.LessOrEqual(t, el.X+el.W, band[1], "and ends inside it")
					require.Contains(t, el.Tip, "tasks 4 errors (4 5xx) of 20 requests")
				}
				require.True(t, hasText(c, "over the 0 errors allowed"), "the allowance is crossed at the first error")
			},
		},
		{
			name: "each endpoint its own colour, the allowance per endpoint",
			h: func() *history.History {
				h := timelineOf(20*time.Second, 2*time.Second, func(i int) history.RequestWindow {
					w := okWindow(10, time.Millisecond)
					w.ByEndpoint["result"] = history.RequestCounts{Total: 10, OK: 7, Status5xx: 3}
					if i == 4 {
						w.ByEndpoint["list"] = history.RequestCounts{Total: 2, Transport: 2}
					}
					return w
				})
				h.AllowedErrors = history.Allowance{PerEndpoint: map[string]int64{"result": 10}}
				return h
			},
			bars:    11,
			caption: []string{"result 30 of 10 allowed, list 2 of 0 allowed"},
			check: func(t *testing.T, c *chart.Chart) {
				colors := map[string]string{}
				for _, el := range errRects(c) {
					ep := strings.Fields(strings.SplitN(el.Tip, ": ", 2)[1])[0]
					if prev, ok := colors[ep]; ok {
						require.Equal(t, prev, el.Color, "one colour per endpoint")
					}
					colors[ep] = el.Color
				}
				require.Len(t, colors, 2)
				require.NotEqual(t, colors["result"], colors["list"])
				require.True(t, hasText(c, "result over its 10 allowed"), "result's 11th error comes in the fourth window")
				require.True(t, hasText(c, "list over its 0 allowed"))
			},
		},
		{
			name: "no errors, no chart",
			h: func() *history.History {
				return timelineOf(10*time.Second, time.Second, func(int) history.RequestWindow { return okWindow(3, time.Millisecond) })
			},
			absent: true,
		},
		{
			name:   "no timeline, no chart",
			h:      func() *history.History { h := testHistory(); h.Requests.Timeline = nil; return h },
			absent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := errorsChart(tt.h(), 80, paintBad)
			if tt.absent {
				require.Nil(t, c)
				return
			}
			require.NotNil(t, c)
			require.Equal(t, "errors", c.ID)
			require.Len(t, errRects(c), tt.bars)
			for _, w := range tt.caption {
				require.Contains(t, c.Caption, w)
			}
			requireInsidePlot(t, c)
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}
