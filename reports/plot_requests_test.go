package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
)

// reqRects lists, per CSS class, the tooltips of the chart's bars; the
// legend's swatches have none and are left out.
func reqRects(c *chart.Chart) map[string][]string {
	out := make(map[string][]string)
	for _, el := range c.Els {
		if el.Kind == "rect" && strings.HasPrefix(el.Class, "bar") && el.Tip != "" {
			out[el.Class] = append(out[el.Class], el.Tip)
		}
	}
	return out
}

func countKind(c *chart.Chart, kind, class string) int {
	n := 0
	for _, el := range c.Els {
		if el.Kind == kind && el.Class == class {
			n++
		}
	}
	return n
}

// timelineOf is a run of d with windows every wide, each as window(i) says;
// From and Every are filled in.
func timelineOf(d, every time.Duration, window func(i int) history.RequestWindow) *history.History {
	h := &history.History{Duration: d}
	for i := 0; time.Duration(i)*every < d; i++ {
		w := window(i)
		w.From, w.Every = time.Duration(i)*every, every
		h.Requests.Timeline = append(h.Requests.Timeline, w)
	}
	return h
}

func okWindow(n int64, p99 time.Duration) history.RequestWindow {
	return history.RequestWindow{P99: p99, ByEndpoint: map[string]history.RequestCounts{"tasks": {Total: n, OK: n}}}
}

func refusedWindow(n int64) history.RequestWindow {
	return history.RequestWindow{ByEndpoint: map[string]history.RequestCounts{"tasks": {Total: n, Transport: n}}}
}

func TestRequestsChart(t *testing.T) {
	tests := []struct {
		name    string
		h       func() *history.History
		absent  bool // no chart at all
		bars    int  // ok bars
		errs    int  // error bars
		caption []string
		check   func(t *testing.T, c *chart.Chart)
	}{
		{
			name: "5xx errors during a fault",
			h:    testHistory,
			bars: 300,
			errs: 5,
			caption: []string{
				"Requests per model second in each 2s window of model time", "(12000 in all)", "(20 errors: 20 5xx)",
				faultCaption,
			},
			check: func(t *testing.T, c *chart.Chart) {
				require.Equal(t, "requests per second (model), per 2s window", c.Title)
				errs := reqRects(c)["bar err"]
				require.Equal(t, "3m–3m2s: 40 requests, 36 ok, 4 errors (4 5xx) · result 20 · tasks 20, 4 errors (4 5xx) · p50 1.25 ms, p99 250 ms", errs[0])
				for _, tip := range errs {
					require.Contains(t, tip, "4 errors (4 5xx)")
				}
				require.Contains(t, reqRects(c)["bar"], "0–2s: 40 requests, 40 ok, 0 errors · result 20 · tasks 20 · p50 1.25 ms, p99 7.5 ms")
				require.True(t, hasClass(c, "fault"))
				var label string
				for _, el := range c.Els {
					if el.Class == "fault-label" {
						label = el.Text
					}
				}
				require.Equal(t, "broker-down", label)
				require.True(t, hasText(c, "req/s"), "the axis is in requests per model second")
				require.True(t, hasText(c, "20"), "40 requests per 2 s window is 20 req/s")
			},
		},
		{
			name:   "an empty timeline draws no chart",
			h:      func() *history.History { h := testHistory(); h.Requests.Timeline = nil; return h },
			absent: true,
		},
		{
			name:   "a zero history draws no chart",
			h:      func() *history.History { return &history.History{} },
			absent: true,
		},
		{
			name: "no errors",
			h: func() *history.History {
				h := testHistory()
				h.Requests.Timeline = testTimeline(h.Duration, time.Hour)
				return h
			},
			bars:    300,
			caption: []string{"(12000 in all)", "(0 errors)"},
		},
		{
			name: "refused windows are all error",
			h: func() *history.History {
				return timelineOf(10*time.Second, time.Second, func(i int) history.RequestWindow {
					if i >= 3 && i < 6 {
						return refusedWindow(10)
					}
					return okWindow(10, time.Duration(i+1)*time.Millisecond)
				})
			},
			bars:    7,
			errs:    3,
			caption: []string{"(100 in all)", "(30 errors: 30 transport)"},
			check: func(t *testing.T, c *chart.Chart) {
				require.Equal(t, "3s–4s: 10 requests, 0 ok, 10 errors (10 transport) · tasks 10, 10 errors (10 transport) · no answers, so no latency",
					reqRects(c)["bar err"][0])
				require.NotContains(t, c.Caption, "Violet bands")
			},
		},
		{
			name: "more windows than the plot has room for are merged",
			h: func() *history.History {
				return timelineOf(10*time.Minute, 100*time.Millisecond, func(i int) history.RequestWindow {
					return okWindow(1, time.Duration(i%50+1)*time.Millisecond)
				})
			},
			bars:    375, // 770 px of plot fit 385 bars, so 16 windows to a bar
			caption: []string{"(6000 in all)", "The run's 6000 timeline windows are merged 16 to a bar"},
			check: func(t *testing.T, c *chart.Chart) {
				require.Equal(t, "requests per second (model), per 1.6s window", c.Title)
				tip := reqRects(c)["bar"][0]
				require.Equal(t, "0–1.6s: 16 requests, 16 ok, 0 errors · tasks 16 · p50 0 ms, p99 16 ms (worst of 16 windows)", tip)
			},
		},
		{
			name: "requests meant for after the run's end are counted, not drawn",
			h: func() *history.History {
				h := timelineOf(15*time.Second, time.Second, func(int) history.RequestWindow { return okWindow(3, time.Millisecond) })
				h.Duration = 10 * time.Second
				return h
			},
			bars:    10,
			caption: []string{"(45 in all)", "15 requests meant for after the run's end are counted but not drawn."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := requestsChart(tt.h(), 80)
			if tt.absent {
				require.Nil(t, c)
				return
			}
			require.NotNil(t, c)
			require.Equal(t, "requests", c.ID)
			rects := reqRects(c)
			require.Len(t, rects["bar"], tt.bars, "ok bars")
			require.Len(t, rects["bar err"], tt.errs, "error bars")
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

// requireInsidePlot checks that every data mark with a tooltip lies within
// the plot area.
func requireInsidePlot(t *testing.T, c *chart.Chart) {
	t.Helper()
	for _, el := range c.Els {
		if el.Kind == "rect" && el.Tip != "" && (strings.HasPrefix(el.Class, "bar") || el.Class == "err-bar") {
			require.GreaterOrEqual(t, el.X, c.Left-0.01, "drawn inside the plot")
			require.LessOrEqual(t, el.X+el.W, c.Left+c.PlotW()+0.01, "drawn inside the plot")
			require.GreaterOrEqual(t, el.Y, c.Top-0.01, "drawn inside the plot")
			require.LessOrEqual(t, el.Y+el.H, c.Top+c.PlotH()+0.01, "drawn inside the plot")
		}
	}
}

func TestWriteHTMLRequests(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	tests := []struct {
		name   string
		h      func() *history.History
		svgs   int
		absent bool
		want   []string // in the requests chart's SVG
	}{
		{
			name: "the fixture run",
			h:    testHistory,
			svgs: 7,
			want: []string{
				`class="bar err"><title>3m–3m2s: 40 requests, 36 ok, 4 errors (4 5xx)`,
				`class="fault-label"><title>broker-down at 3m for 1m30s</title>broker-down</text>`,
			},
		},
		{
			name:   "no timeline",
			h:      func() *history.History { h := testHistory(); h.Requests.Timeline = nil; return h },
			svgs:   4,
			absent: true,
		},
		{
			name: "endpoint names are escaped",
			h: func() *history.History {
				h := testHistory()
				for i, w := range h.Requests.Timeline {
					h.Requests.Timeline[i].ByEndpoint = map[string]history.RequestCounts{evil: w.ByEndpoint["tasks"]}
				}
				return h
			},
			svgs: 7,
			want: []string{`class="bar err"><title>3m–3m2s: 20 requests, 16 ok, 4 errors (4 5xx) · &lt;script&gt;`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteHTML(&buf, testSummary(), tt.h(), RunLinks{}))
			p := parsePage(t, buf.String())
			require.Len(t, p.svgs, tt.svgs)
			require.NotContains(t, strings.ToLower(p.raw), "<script")
			idx := -1
			for i, svg := range p.svgs {
				if strings.Contains(svg, "requests per second") {
					idx = i
				}
			}
			if tt.absent {
				require.Equal(t, -1, idx, "no requests chart")
				return
			}
			require.Positive(t, idx, "the page has the requests chart")
			require.Contains(t, p.svgs[idx-1], "liveness over time", "right after the liveness chart")
			for _, w := range tt.want {
				require.Contains(t, p.svgs[idx], w)
			}
			require.Contains(t, p.raw, "svg .bar.err{", "the page styles the error bars")
			require.Contains(t, p.raw, "svg .latency{", "and the latency lines")
			require.Contains(t, p.svgs[idx+1], "latency per 2s window", "the latency chart follows")
			require.Contains(t, p.svgs[idx+2], "failed requests per 2s window", "then the errors chart")
		})
	}
}
