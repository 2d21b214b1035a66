package reports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/summary"
)

// browserPath finds a Chromium that runs headless, or skips the test (fails
// it on CI) saying how to get one.
func browserPath(t *testing.T) string {
	t.Helper()
	testdeps.Short(t, "a headless Chromium")
	names := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testdeps.Require(t, "a headless Chromium", fmt.Errorf("none of %v on PATH", names),
		"the pages are not checked in a real browser without one: install one (Debian: apt-get install -y chromium)")
	return ""
}

// TestPagesInABrowser loads each kind of page in headless Chromium: it
// renders, writes nothing to the console, shows its headline, colours an
// expected failure amber and never red, and fits a 400 px window with
// nothing scrolling sideways but a chart inside its own box.
// HBHARNESS_SCREENSHOTS=DIR keeps a PNG of each page there, to look at.
func TestPagesInABrowser(t *testing.T) {
	testdeps.Slow(t)
	path := browserPath(t)
	pages := []struct {
		name string
		// write puts the page (and what it links to) into dir, and names
		// the file to open.
		write    func(t *testing.T, dir string) string
		headline []string // in #headline; none for a page without one
		svgs     int
		// amberOnly selects what holds only expected failures: nothing in
		// it may be red, and something in it must be amber.
		amberOnly string
		// links is how many run pages the page must link to, each a file
		// that exists.
		links int
	}{
		{name: "failing-run", write: page("failing-run", func(w io.Writer) error { return WriteHTML(w, testSummary(), testHistory(), RunLinks{}) }),
			headline: []string{"✗ dispatch_at_most_one_per_window failed, expected pass"}, svgs: 7},
		{name: "expected-failure-run", write: page("expected-failure-run", func(w io.Writer) error {
			s, h := expectedFailureRun()
			return WriteHTML(w, s, h, RunLinks{Up: Link{Text: "the suite's index", Href: "index.html"}})
		}), headline: []string{"last_seen_never_stale failed, as the scenario expects", "180 of 3960 judged samples",
			"1m in all, from 3m33s to 4m33s", "worst 2m against at most 1m"}, svgs: 7, amberOnly: "body"},
		{name: "run-without-history", write: page("run-without-history", func(w io.Writer) error { return WriteHTML(w, testSummary(), nil, RunLinks{}) }),
			headline: []string{"✗ dispatch_at_most_one_per_window"}},
		{name: "comparison", write: page("comparison", func(w io.Writer) error {
			other := testSummary()
			other.Strategy = "inline"
			return WriteComparisonHTML(w, []summary.Summary{testSummary(), other}, "", "report.html", []*history.History{testHistory(), testHistory()})
		}), svgs: 6}, // two metric bar charts, then each strategy over time in two rows
		{name: "suite-index", write: suiteIndex, headline: []string{"1 passed (1 with expected failures), 2 failed, 1 skipped"},
			svgs: 4, amberOnly: "table.suite tr.run:nth-child(3)", links: 3},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	require.NoError(t, chromedp.Do(browser), "start %s", path)

	// The checks themselves: a page that logs an error and loads something
	// from elsewhere is caught, and so is red inside what must be amber,
	// so that a quiet console and a clean colour check mean something.
	t.Run("the checks see errors and red", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "noisy.html")
		require.NoError(t, os.WriteFile(file, []byte(`<!DOCTYPE html><html><body><p id="headline">x</p>`+
			`<svg width="10" height="10"><rect width="5" height="5" fill="#d62728"/><rect x="5" width="5" height="5" fill="#d99a00"/></svg>`+
			`<script>console.error("planted error")</script><img src="missing.png"></body></html>`), 0o644))
		tab, closeTab := chromedp.NewContext(browser)
		defer closeTab()
		console := collectConsole(t, tab)
		require.NoError(t, chromedp.Do(tab, chromedp.Navigate("file://"+file)))
		red, amber := colours(t, tab, "body")
		assert.NotEmpty(t, red, "a red rect is seen")
		assert.Positive(t, amber, "an amber rect is seen")
		got := strings.Join(console(), "\n")
		assert.Contains(t, got, "planted error")
		assert.Contains(t, got, "Failed to load resource", "a failed load is reported too")
	})

	shots := os.Getenv("HBHARNESS_SCREENSHOTS")
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			dir := t.TempDir()
			file := pg.write(t, dir)

			tab, closeTab := chromedp.NewContext(browser)
			defer closeTab()
			console := collectConsole(t, tab)
			require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate("file://"+file)))

			title, err := chromedp.Run(tab, chromedp.Title())
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(title, "hbharness · "), "title %q", title)
			n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("svg").length`))
			require.NoError(t, err)
			assert.Equal(t, pg.svgs, n, "charts")
			if len(pg.headline) > 0 {
				text, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("headline")))
				require.NoError(t, err)
				for _, want := range pg.headline {
					assert.Contains(t, text, want)
				}
			}
			if pg.amberOnly != "" {
				red, amber := colours(t, tab, pg.amberOnly)
				assert.Empty(t, red, "an expected failure is amber, never red")
				assert.Positive(t, amber, "the expected failure is drawn, in amber")
			}
			if pg.links > 0 {
				hrefs, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.suite a")].map(a => decodeURI(new URL(a.href).pathname))`))
				require.NoError(t, err)
				assert.Len(t, hrefs, pg.links, "the index links every run that ran")
				for _, h := range hrefs {
					assert.FileExists(t, h, "a link to a run's page finds it")
				}
			}
			if shots != "" {
				png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(shots, pg.name+".png"), png, 0o644))
			}

			// A phone-sized window: the page does not scroll sideways; a
			// chart keeps its width and scrolls inside its own box.
			require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(400, 800)))
			overflow, err := chromedp.Run(tab, chromedp.Evaluate[float64](`document.documentElement.scrollWidth - window.innerWidth`))
			require.NoError(t, err)
			assert.LessOrEqual(t, overflow, 0.0, "the page scrolls sideways in a narrow window")
			details, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("table.verdicts td.detail, table.suite td.finding")].map(td => td.getBoundingClientRect().right)`))
			require.NoError(t, err)
			for i, right := range details {
				assert.LessOrEqual(t, right, 400.0, "text %d is on screen, not scrolled off", i)
			}
			scrollers, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("body *")].filter(el => {
				const cs = getComputedStyle(el);
				return !el.closest(".chart-box") && el.tagName !== "svg" && !el.closest("svg") &&
					(cs.overflowX === "auto" || cs.overflowX === "scroll") && el.scrollWidth > el.clientWidth + 1;
			}).map(el => el.tagName + "." + el.className + " " + el.scrollWidth + ">" + el.clientWidth)`))
			require.NoError(t, err)
			assert.Empty(t, scrollers, "only a chart scrolls sideways, inside its own box")
			boxes, err := chromedp.Run(tab, chromedp.Evaluate[[]map[string]float64](`[...document.querySelectorAll("svg")].map(s => {
				const box = s.closest(".chart-box");
				return {boxed: box ? 1 : 0, right: box ? box.getBoundingClientRect().right : 1e9,
					width: s.getBoundingClientRect().width, natural: s.width.baseVal.value};
			})`))
			require.NoError(t, err)
			for i, b := range boxes {
				assert.Equal(t, 1.0, b["boxed"], "chart %d is in a box of its own", i)
				assert.LessOrEqual(t, b["right"], 400.0, "chart %d's box fits the window", i)
				assert.InDelta(t, b["natural"], b["width"], 0.5, "chart %d keeps its width, its labels readable", i)
			}
			if shots != "" {
				png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(shots, pg.name+"-narrow.png"), png, 0o644))
			}
			for _, m := range console() {
				t.Errorf("console: %s", m)
			}
		})
	}
}

// page writes one self-contained page into a test's folder.
func page(name string, write func(io.Writer) error) func(*testing.T, string) string {
	return func(t *testing.T, dir string) string {
		var buf bytes.Buffer
		require.NoError(t, write(&buf))
		file := filepath.Join(dir, name+".html")
		require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
		return file
	}
}

// suiteIndex writes a suite of four runs into dir, as a suite leaves it: a
// failing run, one that passed by failing as declared, one whose history
// was not kept, and one skipped; then their index.
func suiteIndex(t *testing.T, dir string) string {
	failing := testSummary()
	expected, eh := expectedFailureRun()
	plain := testSummary()
	plain.Scenario = "steady"
	skipped := summary.Summary{Scenario: "replica-kill", Strategy: "view-gate", Skipped: "needs the reference's replicas"}
	runs := []summary.Summary{failing, expected, plain, skipped}
	hists := []*history.History{testHistory(), eh, nil, nil}
	for i, name := range []string{"broker-outage", "broker-outage-expected", "steady"} {
		runs[i].OutDir = filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(runs[i].OutDir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(runs[i].OutDir, "report.html"), []byte("<!DOCTYPE html><title>hbharness · run</title>"), 0o644))
	}
	var buf bytes.Buffer
	require.NoError(t, WriteSuiteHTML(&buf, runs, hists, dir, "report.html", []Link{{Text: "junit.xml", Href: "junit.xml"}}))
	file := filepath.Join(dir, "index.html")
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
	return file
}

// colours lists what is drawn red under the elements scope selects
// (fill, stroke, text or background, as the browser computed them) and
// counts what is drawn amber.
func colours(t *testing.T, tab context.Context, scope string) (red []string, amber int) {
	t.Helper()
	type found struct {
		Red   []string `json:"red"`
		Amber int      `json:"amber"`
	}
	f, err := chromedp.Run(tab, chromedp.Evaluate[found](`(() => {
		const red = new Set(["rgb(214, 39, 40)", "rgb(198, 40, 40)", "rgb(183, 28, 28)", "rgb(225, 87, 89)", "rgb(253, 236, 234)"]);
		const amber = new Set(["rgb(217, 154, 0)", "rgb(138, 101, 0)", "rgb(255, 244, 214)", "rgb(184, 134, 11)"]);
		const out = {red: [], amber: 0};
		for (const root of document.querySelectorAll(`+strconv.Quote(scope)+`)) {
			for (const el of [root, ...root.querySelectorAll("*")]) {
				const cs = getComputedStyle(el);
				if (cs.display === "none" || cs.visibility === "hidden") continue;
				const props = ["fill", "stroke", "backgroundColor", "borderLeftColor"];
				if (el.childElementCount === 0 && el.textContent.trim() !== "") props.push("color");
				for (const p of props) {
					if (red.has(cs[p])) out.red.push(el.tagName + "." + (el.getAttribute("class") || "") + " " + p);
					if (amber.has(cs[p])) out.amber++;
				}
			}
		}
		return out;
	})()`))
	require.NoError(t, err)
	return f.Red, f.Amber
}

// collectConsole gathers what the tab writes to its console (console API
// calls, uncaught exceptions, browser log entries such as failed loads);
// the returned func stops and hands them over.
func collectConsole(t *testing.T, tab context.Context) func() []string {
	t.Helper()
	ctx, stop := context.WithCancel(tab)
	messages := chromedp.Console(ctx)
	var (
		mu   sync.Mutex
		got  []string
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, m.String()+" ("+m.URL+")")
			mu.Unlock()
		}
	}()
	return func() []string {
		// Give messages already in flight a moment to arrive.
		time.Sleep(200 * time.Millisecond)
		stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}
