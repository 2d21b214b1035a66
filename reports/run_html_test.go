package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// parsedPage is an HTML report checked for well-formedness: the document
// parses as HTML and each inline <svg> parses as strict XML on its own.
type parsedPage struct {
	raw  string
	doc  *html.Node
	svgs []string
}

func parsePage(t *testing.T, raw string) parsedPage {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(raw))
	require.NoError(t, err)
	p := parsedPage{raw: raw, doc: doc}
	rest := raw
	for {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "</svg>")
		require.GreaterOrEqual(t, j, 0, "unterminated <svg>")
		svg := rest[i : i+j+len("</svg>")]
		p.svgs = append(p.svgs, svg)
		rest = rest[i+j:]
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, "SVG is not well-formed XML:\n%.2000s", svg)
		}
	}
	assert.Equal(t, len(p.svgs), len(p.elements("svg")), "every <svg> in the text is an <svg> element")
	assert.Empty(t, p.elements("script"), "reports run no script")
	for _, n := range append(p.elements("link"), p.elements("img")...) {
		t.Errorf("external asset: %s", n.Data)
	}
	return p
}

// elements returns every element of the given tag, in document order.
func (p parsedPage) elements(tag string) []*html.Node {
	var out []*html.Node
	for n := range p.doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	}
	return out
}

// text is the document's visible text.
func (p parsedPage) text() string {
	var b strings.Builder
	for n := range p.doc.Descendants() {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	}
	return b.String()
}

func renderHTML(t *testing.T, s summary.Summary, h *history.History) parsedPage {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, s, h, RunLinks{}))
	return parsePage(t, buf.String())
}

func TestWriteHTMLRun(t *testing.T) {
	p := renderHTML(t, testSummary(), testHistory())

	require.Len(t, p.svgs, 7, "one <svg> per plot")
	assert.Contains(t, p.svgs[0], "dispatches over time")
	assert.Contains(t, p.svgs[1], "staleness over time")
	assert.Contains(t, p.svgs[2], "liveness over time")
	assert.Contains(t, p.svgs[3], "requests per second (model), per 2s window")
	assert.Contains(t, p.svgs[4], "latency per 2s window")
	assert.Contains(t, p.svgs[5], "failed requests per 2s window")
	assert.Contains(t, p.svgs[6], "dispatches per 30s window vs requests")
	assert.Len(t, p.elements("figcaption"), 7)

	text := p.text()
	for _, v := range testSummary().Invariants {
		assert.Contains(t, text, v.Name)
	}
	assert.Contains(t, text, "FAIL")
	assert.Contains(t, text, "broker-down at 3m for 1m30s")
	// Key 2's early dispatch is drawn red, key 1's outage goes red above
	// offline_after, and the outage itself is shaded.
	// Key 2's extra dispatch is 10 s after one and 20 s before the next.
	assert.Equal(t, 2, strings.Count(p.svgs[0], `class="tick-mark bad"`))
	assert.Contains(t, p.svgs[1], `class="threshold"`)
	assert.Contains(t, p.svgs[1], `clip-path="url(#staleness-stale)"`)
	assert.Contains(t, p.svgs[1], `<clipPath id="staleness-stale">`)
	for _, svg := range p.svgs {
		assert.Contains(t, svg, `class="fault"`)
	}
	assert.Contains(t, p.svgs[3], `class="bar err"`)
	assert.Contains(t, p.svgs[6], `class="ideal"`)
	assert.Contains(t, p.svgs[6], `class="reqline"`, "the per-window chart draws the requests it is set against")
	assert.Contains(t, text, "Red marks: 2 came within")
	assert.Contains(t, p.svgs[1], `class="series unpolled"`, "key 3's services after its workers stop")

	if path := os.Getenv("HBHARNESS_REPORT_EXAMPLE"); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(p.raw), 0o644))
		t.Logf("wrote %s", path)
	}
}

func TestWriteHTMLDegenerateHistories(t *testing.T) {
	manyKeys := testHistory()
	for i := range 40 {
		manyKeys.Dispatches = append(manyKeys.Dispatches, history.Dispatch{At: time.Duration(i) * time.Second, Key: fmt.Sprintf("heartbeat:extra:%02d", i)})
	}
	flood := &history.History{Duration: time.Minute, Throttle: 30 * time.Second, HaveDispatches: true,
		Keys: []history.Key{{Key: "k", Active: []history.Interval{{From: 0, To: time.Minute}}}}}
	for i := range 200_000 {
		flood.Dispatches = append(flood.Dispatches, history.Dispatch{At: time.Duration(i) * 300 * time.Microsecond, Key: "k"})
	}
	for i := range 60_000 {
		flood.Samples = append(flood.Samples, history.Sample{At: time.Duration(i) * time.Millisecond, ServiceID: 1, Staleness: time.Duration(i%3000) * time.Millisecond})
	}
	neverSeen := testHistory()
	for i := range neverSeen.Samples {
		neverSeen.Samples[i].Staleness = -1
	}
	external := testHistory()
	external.HaveDispatches = false

	tests := []struct {
		name  string
		h     *history.History
		svgs  int
		want  []string
		limit int // bytes; 0 = no limit
	}{
		{name: "nil history: tables only", h: nil, svgs: 0},
		{name: "zero history", h: &history.History{}, svgs: 3, want: []string{"(0 in all;", "no samples were recorded"}},
		{name: "no samples, no dispatches", h: &history.History{Duration: 10 * time.Minute, Throttle: 30 * time.Second, OfflineAfter: time.Minute, HaveDispatches: true},
			svgs: 4, want: []string{"no samples were recorded", "(0 in all;"}},
		{name: "last_seen always NULL", h: neverSeen, svgs: 7, want: []string{"reads of a NULL last_seen"}},
		{name: "external target plots writes", h: external, svgs: 7, want: []string{"database writes over time", "database writes per 30s window"}},
		{name: "more keys than rows", h: manyKeys, svgs: 7, want: []string{"Showing 30 of 43 keys"}},
		{name: "200k dispatches stay small", h: flood, svgs: 4, want: []string{"(200000 in all;"}, limit: 400_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := renderHTML(t, testSummary(), tt.h)
			assert.Len(t, p.svgs, tt.svgs)
			text := p.text()
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			assert.Contains(t, text, "dispatch_at_most_one_per_window", "the verdict table is always there")
			if tt.limit > 0 {
				assert.Less(t, len(p.raw), tt.limit)
			}
		})
	}
}

func TestWriteHTMLEscapes(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	s := testSummary()
	s.Scenario, s.Strategy = evil, evil+"&"
	s.Invariants[0].Detail = evil
	s.Keys[0].Key = evil
	s.Notes = []string{evil}
	s.Faults[0].Kind = evil
	h := testHistory()
	h.Keys[0].Key = evil
	h.Faults[0].Kind = evil
	for i := range h.Dispatches {
		h.Dispatches[i].Key = evil
	}

	p := renderHTML(t, s, h)
	assert.NotContains(t, strings.ToLower(p.raw), "<script")
	assert.Contains(t, p.text(), evil, "shown as text")

	var buf bytes.Buffer
	s2 := s
	s2.Strategy = "other"
	require.NoError(t, WriteComparisonHTML(&buf, []summary.Summary{s, s2}, "", "report.html", nil))
	cp := parsePage(t, buf.String())
	assert.NotContains(t, strings.ToLower(cp.raw), "<script")
	assert.Contains(t, cp.text(), evil)
}
