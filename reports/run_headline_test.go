package reports

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/chart"
	"github.com/hbharness/hbharness/summary"
)

func ptr(f float64) *float64 { return &f }

// brokerOutage is a passing broker-outage run: its two staleness verdicts
// fail as the scenario expects, during the outage.
func brokerOutage() summary.Summary {
	s := testSummary()
	s.Passed = true
	s.Faults = []summary.Fault{{Kind: "broker-down", AtS: 70, ForS: 70}}
	for i := range s.Invariants {
		s.Invariants[i].Passed = true
		if s.Invariants[i].Name == verify.AtMostOnePerWindow {
			s.Invariants[i].Outcome = summary.Pass
		}
	}
	s.Invariants[2].Where = &summary.Where{Subject: "service 3", FromS: ptr(130), ToS: ptr(157)}
	s.Invariants[2].Detail = "staleness 1m36.531s, service 3 at 2m37.01s; 111 of 623 judged samples stale (offline_after 1m0s)"
	s.Invariants[3] = summary.Verdict{Name: verify.NeverOfflineWhilePolled, Outcome: summary.Fail, Expected: summary.Fail, Passed: true,
		Detail: "service 1 read offline from 2m5s", Where: &summary.Where{Subject: "service 1", FromS: ptr(125), ToS: ptr(150)}}
	return s
}

func TestRunHeadline(t *testing.T) {
	tests := []struct {
		name  string
		s     func() summary.Summary
		class string
		want  []string
	}{
		{
			name:  "an unexpected failure names the invariant, the key, the time and the fault",
			class: "fail",
			s: func() summary.Summary {
				s := testSummary()
				s.Invariants[0].Where = &summary.Where{Subject: "key heartbeat:pipeline:2:project:1", FromS: ptr(200), ToS: ptr(210)}
				return s
			},
			want: []string{"✗ dispatch_at_most_one_per_window failed, expected pass", "key heartbeat:pipeline:2:project:1",
				"from 3m20s to 3m30s", "during broker-down (3m–4m30s)", "gap 10.0s < 30s"},
		},
		{
			name:  "a summary without places gives the detail's gist",
			class: "fail",
			s:     testSummary,
			want:  []string{"✗ dispatch_at_most_one_per_window failed, expected pass", "key heartbeat:pipeline:2:project:1: gap 10.0s < 30s"},
		},
		{
			name:  "expected failures are amber, not red",
			class: "expected",
			s:     brokerOutage,
			want: []string{"last_seen_never_stale failed, as the scenario expects", "service 3", "from 2m10s to 2m37s",
				"during broker-down (1m10s–2m20s)", "staleness 1m36.531s, service 3 at 2m37.01s",
				"also expected to fail, and did: never_marked_offline_while_polled"},
		},
		{
			// clock-skew-behind: the worst place is the first half-minute,
			// the staleness lasted the whole fault and reached an hour.
			name:  "the headline sizes a violation whole: from, to, total, worst against its bound",
			class: "expected",
			s: func() summary.Summary {
				s := brokerOutage()
				s.Invariants[2].Where = &summary.Where{Subject: "service 3", FromS: ptr(61), ToS: ptr(90)}
				s.Invariants[2].Extent = &summary.Extent{FromS: 60, ToS: 120, TotalS: 59, Worst: 3629.56, Bound: 60, Unit: "s", Limit: "max",
					Count: 119, Of: 240, Noun: "judged samples"}
				s.Invariants[3].Extent = &summary.Extent{Worst: 692, Bound: 7, Unit: "dispatches of one key", Limit: "max", Count: 1, Of: 1, Noun: "active keys"}
				return s
			},
			want: []string{"119 of 240 judged samples", "59s in all, from 1m to 2m", "worst 1h0m30s against at most 1m",
				"at its worst: service 3 · from 1m1s to 1m30s",
				"never_marked_offline_while_polled (1 of 1 active keys; worst 692 dispatches of one key against at most 7)"},
		},
		{
			name:  "after the fault, its aftermath",
			class: "expected",
			s: func() summary.Summary {
				s := brokerOutage()
				s.Invariants[2].Where = &summary.Where{Subject: "service 3", FromS: ptr(150)}
				return s
			},
			want: []string{"at 2m30s", "10s after broker-down (1m10s–2m20s) ended"},
		},
		{
			name:  "all matched",
			class: "pass",
			s: func() summary.Summary {
				s := testSummary()
				s.Invariants = s.Invariants[1:2]
				s.Passed = true
				return s
			},
			want: []string{"✓ every verdict matched its expectation", "1 held"},
		},
		{
			name:  "a saturated generator voids the run",
			class: "void",
			s:     func() summary.Summary { s := testSummary(); s.LoadGenerator.Saturated = true; return s },
			want:  []string{"UNUSABLE", "saturated"},
		},
		{
			name:  "inconclusive",
			class: "void",
			s: func() summary.Summary {
				s := testSummary()
				s.Invariants = []summary.Verdict{{Name: verify.LastSeenNeverStale, Outcome: summary.Inconclusive, Expected: summary.Pass,
					Detail: "inconclusive: the sampler read nothing"}}
				return s
			},
			want: []string{"? last_seen_never_stale judged nothing", "the sampler read nothing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := runHeadline(tt.s())
			assert.Equal(t, tt.class, h.Class)
			line := h.Lead + " · " + h.Rest
			for _, w := range tt.want {
				assert.Contains(t, line, w)
			}
			assert.NotContains(t, line, "\n")
		})
	}
}

// The page puts the headline above the verdicts, tints failing rows red and
// expected failures amber, explains ✓, and marks each finding on its chart.
func TestWriteHTMLHeadlineAndFindings(t *testing.T) {
	s := brokerOutage()
	s.Invariants[4] = summary.Verdict{Name: verify.RequestsSucceed, Outcome: summary.Fail, Expected: summary.Pass,
		Detail: "tasks: 20 errors (20 5xx), 0 allowed", Where: &summary.Where{Subject: "endpoint tasks", FromS: ptr(180), ToS: ptr(190)}}
	s.Passed = false
	p := renderHTML(t, s, testHistory())

	head := strings.Index(p.raw, `id="headline"`)
	verdicts := strings.Index(p.raw, "<h2>Verdicts</h2>")
	require.Positive(t, head)
	require.Less(t, head, verdicts, "the headline comes before the verdicts")
	assert.Contains(t, p.raw, `class="headline fail"`)
	assert.Contains(t, p.text(), "✗ requests_succeed failed, expected pass")

	var bad, amber int
	for tr := range p.elements("table")[0].Descendants() { // the verdicts
		if tr.Type != html.ElementNode || tr.Data != "tr" {
			continue
		}
		for _, a := range tr.Attr {
			if a.Key == "class" && a.Val == "bad" {
				bad++
			}
			if a.Key == "class" && a.Val == "expected" {
				amber++
			}
		}
	}
	assert.Equal(t, 1, bad, "the one unexpected failure is red")
	assert.Equal(t, 2, amber, "the two expected failures are amber")
	assert.Contains(t, p.text(), "✓ the outcome matched the scenario's expectation")

	find := func(title string) string {
		for _, svg := range p.svgs {
			if strings.Contains(svg, title) {
				return svg
			}
		}
		t.Fatalf("no chart %q", title)
		return ""
	}
	assert.Contains(t, find("staleness over time"), `class="finding expected"`)
	assert.Contains(t, find("staleness over time"), "expected: last_seen_never_stale")
	assert.Contains(t, find("liveness over time"), "expected: never_marked_offline_while_polled")
	assert.Contains(t, find("failed requests per"), `class="finding"`)
	assert.Contains(t, find("failed requests per"), "✗ requests_succeed")
	assert.NotContains(t, find("dispatches over time"), `class="finding`, "no finding there")
}

func TestFindingsAreDrawnWhereTheyHappened(t *testing.T) {
	h := testHistory()
	charts := runCharts(testSummary(), h)
	s := testSummary()
	s.Invariants[2].Where = &summary.Where{Subject: "service 1", FromS: ptr(240), ToS: ptr(270)}
	markFindings(charts, s)
	var stale *chart.Chart
	for _, c := range charts {
		if c.ID == "staleness" {
			stale = c
		}
	}
	require.NotNil(t, stale)
	var marks []chart.El
	for _, el := range stale.Els {
		if el.Kind == "rect" && strings.HasPrefix(el.Class, "finding") {
			marks = append(marks, el)
		}
	}
	require.Len(t, marks, 1)
	assert.InDelta(t, stale.Px(240), marks[0].X, 0.01)
	assert.InDelta(t, stale.Px(270)-stale.Px(240), marks[0].W, 0.01)
	assert.Contains(t, marks[0].Tip, "during broker-down")
}

func TestFoldLongTables(t *testing.T) {
	p := renderHTML(t, summary.Summary{Keys: testKeys(250), Invariants: testSummary().Invariants}, nil)
	details := p.elements("details")
	require.Len(t, details, 1, "the keys past the first 20 are folded")
	assert.Contains(t, p.text(), "180 more keys")
	assert.Contains(t, p.text(), "(+50 more in summary.json)")
	rows := func(table *html.Node) int {
		n := 0
		for tr := range table.Descendants() {
			if tr.Type == html.ElementNode && tr.Data == "tr" {
				n++
			}
		}
		return n - 1 // the header
	}
	tables := p.elements("table")
	require.Len(t, tables, 4, "verdicts, run, keys shown, keys folded")
	assert.Equal(t, 20, rows(tables[2]), "the worst 20 keys are shown")
	assert.Equal(t, 180, rows(tables[3]), "the next 180 are folded")
}

// A key's dispatch count is judged on its own row of the dispatch chart:
// the finding tints that row, not the whole plot.
func TestRateFindingTintsTheKeysRow(t *testing.T) {
	h := testHistory()
	s := testSummary()
	s.Invariants[1] = summary.Verdict{Name: verify.RateNearExpected, Outcome: summary.Fail, Expected: summary.Pass,
		Where: &summary.Where{Subject: "key heartbeat:pipeline:3:project:1", FromS: ptr(0), ToS: ptr(300)}}
	charts := runCharts(s, h)
	markFindings(charts, s)
	d := charts[0]
	require.Equal(t, "dispatches", d.ID)
	var row, mark *chart.El
	for i, el := range d.Els {
		switch {
		case el.Class == "key-label" && strings.HasPrefix(el.Tip, "heartbeat:pipeline:3:project:1:"):
			row = &d.Els[i]
		case el.Kind == "rect" && el.Class == "finding":
			mark = &d.Els[i]
		}
	}
	require.NotNil(t, row)
	require.NotNil(t, mark, "a band on one row")
	assert.InDelta(t, row.Y-12, mark.Y, 0.01, "on the key's row")
	assert.InDelta(t, d.Px(300)-d.Px(0), mark.W, 0.01, "over its polled span")
	assert.True(t, hasText(d, "✗ dispatch_rate_near_expected 0–5m (its row)"))
}

// Service rows that flipped offline explain never_marked_offline_while_polled:
// red when that is a finding, amber when the scenario expects it.
func TestServiceRowsTakeTheirVerdictsTint(t *testing.T) {
	rowClasses := func(s summary.Summary) []string {
		p := renderHTML(t, s, nil)
		tables := p.elements("table")
		var out []string
		for tr := range tables[len(tables)-1].Descendants() {
			if tr.Type == html.ElementNode && tr.Data == "tr" {
				for _, a := range tr.Attr {
					if a.Key == "class" {
						out = append(out, a.Val)
					}
				}
			}
		}
		return out
	}
	failing := testSummary()
	failing.Invariants[3] = summary.Verdict{Name: verify.NeverOfflineWhilePolled, Outcome: summary.Fail, Expected: summary.Pass}
	assert.Equal(t, []string{"bad"}, rowClasses(failing))
	assert.Equal(t, []string{"expected"}, rowClasses(brokerOutage()))
}

// A service read offline is marked on its own strip of the liveness chart.
func TestOfflineFindingMarksTheServicesStrip(t *testing.T) {
	s := brokerOutage()
	charts := runCharts(s, testHistory())
	markFindings(charts, s)
	var live *chart.Chart
	for _, c := range charts {
		if c.ID == "liveness" {
			live = c
		}
	}
	require.NotNil(t, live)
	var label, mark *chart.El
	for i, el := range live.Els {
		switch {
		case el.Class == "key-label" && el.Text == "svc 1":
			label = &live.Els[i]
		case el.Kind == "rect" && strings.HasPrefix(el.Class, "finding"):
			mark = &live.Els[i]
		}
	}
	require.NotNil(t, label)
	require.NotNil(t, mark)
	assert.InDelta(t, label.Y-17, mark.Y, 0.01, "on service 1's strip")
	assert.InDelta(t, float64(liveRowH), mark.H, 0.01)
	assert.Equal(t, "finding expected", mark.Class)
}

func TestSubjectRowMatchesWholeNames(t *testing.T) {
	c := &chart.Chart{ID: "liveness", Els: []chart.El{
		{Kind: "text", Class: "key-label", Y: 40, Tip: "service 10 (heartbeat:pipeline:1:project:1): read live …"},
		{Kind: "text", Class: "key-label", Y: 60, Tip: "service 1: read live …"},
	}}
	top, _, ok := subjectRow(c, "service 1")
	require.True(t, ok)
	assert.InDelta(t, 60.0-17, top, 0.01, "service 1, not service 10")
	_, _, ok = subjectRow(c, "service 2")
	assert.False(t, ok)
	d := &chart.Chart{ID: "dispatches", Els: []chart.El{
		{Kind: "text", Class: "key-label", Y: 50, Tip: "heartbeat:list:project:10: 3 dispatches"},
		{Kind: "text", Class: "key-label", Y: 66, Tip: "heartbeat:list:project:1: 4 dispatches"},
	}}
	top, _, ok = subjectRow(d, "key heartbeat:list:project:1")
	require.True(t, ok)
	assert.InDelta(t, 66.0-12, top, 0.01)
}
