package reports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
// renders, writes nothing to the console, shows its headline, and fits a
// narrow window without a horizontal scroll bar. HBHARNESS_SCREENSHOTS=DIR
// keeps a PNG of each page there, to look at.
func TestPagesInABrowser(t *testing.T) {
	testdeps.Slow(t)
	path := browserPath(t)
	pages := []struct {
		name     string
		write    func(w io.Writer) error
		headline string // in #headline; "" for a page without one
		svgs     int
	}{
		{"failing-run", func(w io.Writer) error { return WriteHTML(w, testSummary(), testHistory()) },
			"✗ dispatch_at_most_one_per_window failed, expected pass", 7},
		{"expected-failures", func(w io.Writer) error { return WriteHTML(w, brokerOutage(), testHistory()) },
			"last_seen_never_stale failed, as the scenario expects", 7},
		{"run-without-history", func(w io.Writer) error { return WriteHTML(w, testSummary(), nil) },
			"✗ dispatch_at_most_one_per_window", 0},
		{"comparison", func(w io.Writer) error {
			other := testSummary()
			other.Strategy = "inline"
			return WriteComparisonHTML(w, []summary.Summary{testSummary(), other}, "", "report.html", []*history.History{testHistory(), testHistory()})
		}, "", 6}, // two metric bar charts, then each strategy over time in two rows
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	require.NoError(t, chromedp.Do(browser), "start %s", path)

	// The check itself: a page that logs an error and loads something from
	// elsewhere is caught, so that a quiet console means something.
	t.Run("the console check sees errors", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "noisy.html")
		require.NoError(t, os.WriteFile(file, []byte(`<!DOCTYPE html><html><body><p id="headline">x</p>`+
			`<script>console.error("planted error")</script><img src="missing.png"></body></html>`), 0o644))
		tab, closeTab := chromedp.NewContext(browser)
		defer closeTab()
		console := collectConsole(t, tab)
		require.NoError(t, chromedp.Do(tab, chromedp.Navigate("file://"+file)))
		got := strings.Join(console(), "\n")
		assert.Contains(t, got, "planted error")
		assert.Contains(t, got, "Failed to load resource", "a failed load is reported too")
	})

	shots := os.Getenv("HBHARNESS_SCREENSHOTS")
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, pg.write(&buf))
			file := filepath.Join(t.TempDir(), pg.name+".html")
			require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))

			tab, closeTab := chromedp.NewContext(browser)
			defer closeTab()
			console := collectConsole(t, tab)
			require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(1100, 900), chromedp.Navigate("file://"+file)))

			title, err := chromedp.Run(tab, chromedp.Title())
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(title, "hbharness · "), "title %q", title)
			n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("svg").length`))
			require.NoError(t, err)
			assert.Equal(t, pg.svgs, n, "charts")
			widths, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("svg")].map(s => s.getBoundingClientRect().width)`))
			require.NoError(t, err)
			for i, w := range widths {
				assert.Greater(t, w, 300.0, "chart %d is drawn", i)
			}
			if pg.headline != "" {
				text, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("headline")))
				require.NoError(t, err)
				assert.Contains(t, text, pg.headline)
			}
			if shots != "" {
				png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(shots, pg.name+".png"), png, 0o644))
			}

			// A phone-sized window: charts shrink to fit, wide tables scroll
			// in their own box, and the page itself does not.
			require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(400, 800)))
			if pg.headline != "" { // the comparison page's table is its own
				overflow, err := chromedp.Run(tab, chromedp.Evaluate[float64](`document.documentElement.scrollWidth - window.innerWidth`))
				require.NoError(t, err)
				assert.LessOrEqual(t, overflow, 0.0, "the page scrolls sideways in a narrow window")
			}
			details, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("table.verdicts td.detail")].map(td => td.getBoundingClientRect().right)`))
			require.NoError(t, err)
			for i, right := range details {
				assert.LessOrEqual(t, right, 400.0, "verdict %d's detail is on screen, not scrolled off", i)
			}
			widths, err = chromedp.Run(tab, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("svg")].map(s => s.getBoundingClientRect().right)`))
			require.NoError(t, err)
			for i, right := range widths {
				assert.LessOrEqual(t, right, 400.0, "chart %d fits the window", i)
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
