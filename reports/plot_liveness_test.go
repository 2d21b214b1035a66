package reports

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/chart"
)

// livenessHistory is a 10-minute run sampled every second with an allowance
// of offline_after 1m + checker_every 15s = 1m15s and a 5 s poll gap.
// Service 1 is polled throughout and reads live. Service 2's workers stop at
// 2m but it reads live to the end (a sibling on its key keeps it fresh):
// silent from 2m05s, past the allowance from 3m15s. Service 3's workers stop
// at 4m and it reads offline from 5m, 55 s into its silence.
func livenessHistory() *history.History {
	h := &history.History{
		Duration:     10 * time.Minute,
		Throttle:     30 * time.Second,
		OfflineAfter: time.Minute,
		CheckerEvery: 15 * time.Second,
		MaxPollGap:   5 * time.Second,
		SampleEvery:  time.Second,
		Services: []history.Service{
			{ID: 1, Key: "heartbeat:k1", Polled: []history.Interval{{From: 0, To: 10 * time.Minute}}},
			{ID: 2, Key: "heartbeat:k1", Polled: []history.Interval{{From: 0, To: 2 * time.Minute}}},
			{ID: 3, Key: "heartbeat:k3", Polled: []history.Interval{{From: 0, To: 4 * time.Minute}}},
		},
	}
	addLiveSamples(h, func(id int64, at time.Duration) history.Sample {
		return history.Sample{Live: id != 3 || at < 5*time.Minute}
	})
	return h
}

// addLiveSamples reads every service of h once per sample period over the
// run; read gives each read's Live and LiveNull.
func addLiveSamples(h *history.History, read func(id int64, at time.Duration) history.Sample) {
	for at := time.Duration(0); at <= h.Duration; at += h.SampleEvery {
		for _, svc := range h.Services {
			s := read(svc.ID, at)
			s.At, s.ServiceID, s.Staleness = at, svc.ID, 10*time.Second
			h.Samples = append(h.Samples, s)
		}
	}
}

// liveRects lists, per CSS class, the "service N, from–to" part of the
// tooltip of every rectangle of the liveness strips, in drawing order.
func liveRects(c *chart.Chart) map[string][]string {
	out := make(map[string][]string)
	for _, el := range c.Els {
		if el.Kind != "rect" || !strings.HasPrefix(el.Class, "live-") {
			continue
		}
		where, _, _ := strings.Cut(el.Tip, ": ")
		out[el.Class] = append(out[el.Class], where)
	}
	return out
}

// liveLabels lists the strips' labels, top to bottom.
func liveLabels(c *chart.Chart) []string {
	var out []string
	for _, el := range c.Els {
		if el.Kind == "text" && el.Class == "key-label" {
			out = append(out, el.Text)
		}
	}
	return out
}

func TestLivenessChart(t *testing.T) {
	threeServices := map[string][]string{
		"live-polled":    {"service 2, 0–2m5s", "service 3, 0–4m5s", "service 1, 0–10m"},
		"live-false bad": {"service 2, 3m16s–10m"},
		"live-silent":    {"service 2, 2m6s–3m16s", "service 3, 4m6s–5m"},
		"live-on":        {"service 2, 0–2m6s", "service 3, 0–4m6s", "service 1, 0–10m"},
		"live-off":       {"service 3, 5m–10m"},
	}
	tests := []struct {
		name    string
		h       func() *history.History
		labels  []string            // strips, top to bottom
		rects   map[string][]string // nil: not checked
		caption []string
		absent  []string // not in the caption
		check   func(t *testing.T, c *chart.Chart)
	}{
		{
			name:   "polled, silent and live, stopped and offline",
			h:      livenessHistory,
			labels: []string{"svc 2", "svc 3", "svc 1"},
			rects:  threeServices,
			caption: []string{
				"a service silent for longer than offline_after plus the offline check's delay = 1m15s must not read live",
				"Read live while silent: 8m49s in all, 6m45s of it past the allowance",
				"Showing all 3 services",
				"(every 1s)",
				"5s max poll gap",
			},
			absent: []string{"Violet bands", "after the run's end"},
			check: func(t *testing.T, c *chart.Chart) {
				for _, el := range c.Els {
					if el.Class == "live-false bad" {
						require.Contains(t, el.Tip, "silent for up to 8m, past the 1m15s allowance")
					}
				}
				values := map[string]string{}
				for _, el := range c.Els {
					if el.Kind == "text" && strings.HasPrefix(el.Class, "value") {
						values[el.Text] = el.Class
					}
				}
				require.Equal(t, map[string]string{"7m55s": "value bad", "54s": "value", "0": "value"}, values,
					"each strip's time live while silent on its right, red where past the allowance")
			},
		},
		{
			name: "a service never polled is silent from the start",
			h: func() *history.History {
				h := livenessHistory()
				h.Services = append(h.Services, history.Service{ID: 4, Key: "heartbeat:k1"})
				h.Samples = nil
				addLiveSamples(h, func(id int64, at time.Duration) history.Sample {
					return history.Sample{Live: id != 3 || at < 5*time.Minute}
				})
				return h
			},
			labels: []string{"svc 4", "svc 2", "svc 3", "svc 1"},
			rects: map[string][]string{
				"live-polled":    threeServices["live-polled"], // none for service 4
				"live-false bad": {"service 4, 1m16s–10m", "service 2, 3m16s–10m"},
				"live-silent":    {"service 4, 1s–1m16s", "service 2, 2m6s–3m16s", "service 3, 4m6s–5m"},
				"live-on":        {"service 4, 0–1s", "service 2, 0–2m6s", "service 3, 0–4m6s", "service 1, 0–10m"},
				"live-off":       {"service 3, 5m–10m"},
			},
			caption: []string{"Showing all 4 services"},
		},
		{
			name: "a service the history does not list counts as never polled",
			h: func() *history.History {
				h := livenessHistory()
				for at := time.Duration(0); at <= h.Duration; at += h.SampleEvery {
					h.Samples = append(h.Samples, history.Sample{At: at, ServiceID: 9, Live: true})
				}
				return h
			},
			labels: []string{"svc 9", "svc 2", "svc 3", "svc 1"},
			check: func(t *testing.T, c *chart.Chart) {
				require.Contains(t, liveRects(c)["live-false bad"], "service 9, 1m16s–10m")
				var tip string
				for _, el := range c.Els {
					if el.Kind == "text" && el.Text == "svc 9" {
						tip = el.Tip
					}
				}
				require.Contains(t, tip, "not among the run's services, so counted as never polled")
			},
		},
		{
			name: "a service with only NULL reads",
			h: func() *history.History {
				h := livenessHistory()
				h.Services = []history.Service{{ID: 5, Key: "heartbeat:k5", Polled: []history.Interval{{From: 0, To: 10 * time.Minute}}}}
				h.Samples = nil
				addLiveSamples(h, func(int64, time.Duration) history.Sample { return history.Sample{LiveNull: true} })
				return h
			},
			labels:  []string{"svc 5"},
			rects:   map[string][]string{"live-polled": {"service 5, 0–10m"}, "live-null": {"service 5, 0–10m"}},
			caption: []string{"Read live while silent: 0s in all, 0s of it past the allowance", "pale NULL"},
			check: func(t *testing.T, c *chart.Chart) {
				for _, el := range c.Els {
					if el.Class == "live-null" {
						require.Contains(t, el.Tip, "last_seen_live NULL")
					}
				}
			},
		},
		{
			name:    "no samples",
			h:       func() *history.History { h := livenessHistory(); h.Samples = nil; return h },
			rects:   map[string][]string{},
			caption: []string{"No reads of last_seen_live were recorded", "offline_after plus the offline check's delay = 1m15s must not read live"},
			check: func(t *testing.T, c *chart.Chart) {
				require.True(t, hasText(c, "no samples were recorded"))
			},
		},
		{
			name:    "no services and no samples",
			h:       func() *history.History { return &history.History{} },
			rects:   map[string][]string{},
			caption: []string{"No reads of last_seen_live were recorded", "offline_after plus the offline check's delay = 0s"},
			check: func(t *testing.T, c *chart.Chart) {
				require.True(t, hasText(c, "no samples were recorded"))
			},
		},
		{
			name: "more services than strips: the worst are shown",
			h: func() *history.History {
				h := livenessHistory()
				for id := int64(10); id < 30; id++ {
					h.Services = append(h.Services, history.Service{ID: id, Key: "heartbeat:many", Polled: []history.Interval{{From: 0, To: 10 * time.Minute}}})
				}
				h.Samples = nil
				addLiveSamples(h, func(id int64, at time.Duration) history.Sample {
					return history.Sample{Live: id != 3 || at < 5*time.Minute}
				})
				return h
			},
			labels:  []string{"svc 2", "svc 3", "svc 1", "svc 10", "svc 11", "svc 12", "svc 13", "svc 14", "svc 15", "svc 16", "svc 17", "svc 18"},
			caption: []string{"Showing the 12 worst of 23 services"},
		},
		{
			name: "faults are shaded",
			h: func() *history.History {
				h := livenessHistory()
				h.Faults = []history.Fault{{Kind: "broker-down", At: 3 * time.Minute, For: time.Minute}}
				return h
			},
			labels:  []string{"svc 2", "svc 3", "svc 1"},
			rects:   threeServices,
			caption: []string{faultCaption},
			check: func(t *testing.T, c *chart.Chart) {
				require.True(t, hasClass(c, "fault"))
				require.True(t, hasClass(c, "fault-label"))
			},
		},
		{
			name: "reads after the run's end are not judged",
			h: func() *history.History {
				h := livenessHistory()
				h.Duration = 8 * time.Minute // the last two minutes are a drain
				return h
			},
			labels:  []string{"svc 2", "svc 3", "svc 1"},
			caption: []string{"Reads after the run's end (a drain) are not judged", "Read live while silent: 6m49s in all, 4m45s of it past the allowance"},
			check: func(t *testing.T, c *chart.Chart) {
				rects := liveRects(c)
				require.Equal(t, []string{"service 2, 3m16s–8m1s"}, rects["live-false bad"])
				require.Equal(t, []string{"service 2, 2m6s–3m16s", "service 3, 4m6s–5m"}, rects["live-silent"])
				require.Equal(t, []string{"service 2, 8m1s–10m"}, rects["live-late"], "grey: not judged")
			},
		},
		{
			name: "a flapping service stays compact",
			h: func() *history.History {
				h := &history.History{Duration: 10 * time.Minute, OfflineAfter: time.Minute, SampleEvery: 10 * time.Millisecond,
					Services: []history.Service{{ID: 1, Key: "k", Polled: []history.Interval{{From: 0, To: 10 * time.Minute}}}}}
				addLiveSamples(h, func(_ int64, at time.Duration) history.Sample {
					return history.Sample{Live: (at/h.SampleEvery)%2 == 0}
				})
				return h
			},
			labels: []string{"svc 1"},
			check: func(t *testing.T, c *chart.Chart) {
				rects := liveRects(c)
				require.Less(t, len(rects["live-on"])+len(rects["live-off"]), 700, "about one per two pixels, not one per read")
				require.Empty(t, rects["live-false bad"])
				n := 0
				for _, el := range c.Els {
					if strings.Contains(el.Tip, "changes too close to tell apart") {
						n++
					}
				}
				require.Positive(t, n)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.h()
			c := livenessChart(h, 80, paintBad)
			require.Equal(t, "liveness", c.ID)
			require.Equal(t, tt.labels, liveLabels(c))
			if tt.rects != nil {
				got := liveRects(c)
				for class, want := range tt.rects {
					require.Equal(t, want, got[class], class)
				}
				for class := range got {
					require.Contains(t, tt.rects, class, "unexpected %s rectangles: %v", class, got[class])
				}
			}
			for _, w := range tt.caption {
				require.Contains(t, c.Caption, w)
			}
			for _, w := range tt.absent {
				require.NotContains(t, c.Caption, w)
			}
			for _, el := range c.Els {
				if el.Kind == "rect" {
					require.GreaterOrEqual(t, el.X, c.Left-0.01, "drawn inside the plot")
					require.LessOrEqual(t, el.X+el.W, c.Left+c.PlotW()+1.01, "drawn inside the plot")
				}
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// The chart's totals are the summary's: both judge silence the way
// no_false_liveness does.
func TestLivenessChartAgreesWithStats(t *testing.T) {
	h := livenessHistory()
	st := verify.Summarize(*h)
	c := livenessChart(h, 80, paintBad)
	require.Contains(t, c.Caption, fmt.Sprintf("Read live while silent: %s in all", modelDuration(st.Liveness.FalseLive.Seconds())))
	for _, s := range st.Services {
		want := "0"
		if s.FalseLive > 0 {
			want = modelDuration(s.FalseLive.Seconds())
		}
		require.True(t, hasText(c, want), "service %d: %s", s.ID, want)
	}
}

func TestWriteHTMLLiveness(t *testing.T) {
	tests := []struct {
		name string
		h    *history.History
		reds int // red segments
		want []string
	}{
		{name: "a silent service read live", h: livenessHistory(), reds: 1,
			want: []string{"offline_after plus the offline check's delay = 1m15s must not read live", "svc 2"}},
		{name: "the fixture run", h: testHistory(), reds: 0,
			want: []string{"offline_after plus the offline check's delay = 1m must not read live", "Showing all 9 services"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteHTML(&buf, testSummary(), tt.h, RunLinks{}))
			p := parsePage(t, buf.String())
			idx := -1
			for i, svg := range p.svgs {
				if strings.Contains(svg, "liveness over time") {
					idx = i
				}
			}
			require.Positive(t, idx, "the page has the liveness chart")
			require.Contains(t, p.svgs[idx-1], "staleness over time", "right after the staleness chart")
			svg := p.svgs[idx]
			require.Equal(t, tt.reds, strings.Count(svg, `class="live-false bad"`))
			require.Contains(t, svg, `class="live-polled"`)
			require.Contains(t, svg, `class="live-on"`)
			require.Contains(t, svg, "<title>service ")
			text := p.text()
			for _, w := range tt.want {
				require.Contains(t, text, w)
			}
			require.Contains(t, p.raw, "svg .live-false.bad", "the page styles the strips")
		})
	}
}

func hasText(c *chart.Chart, s string) bool {
	for _, el := range append(slices.Clone(c.Els), c.Above...) {
		if el.Kind == "text" && el.Text == s {
			return true
		}
	}
	return false
}

func hasClass(c *chart.Chart, class string) bool {
	for _, el := range c.Els {
		if el.Class == class {
			return true
		}
	}
	return false
}
