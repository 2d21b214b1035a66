package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/runfolder"
)

// `report` renders a real run's files again from what it saved: the same
// page, and the broker outage's 5xx answers drawn inside its fault band.
// A folder it cannot read exits 2 and says why.
func TestReportRendersARunAgain(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "run", "--scenario", "broker-outage", "--time-scale", "0.055", "--out", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	page := filepath.Join(out, runfolder.ReportFile)
	first, err := os.ReadFile(page)
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(out, runfolder.HistoryFile))
	require.NoError(t, err)
	t.Logf("history.json.gz: %d bytes", fi.Size())

	require.NoError(t, os.Remove(page))
	require.NoError(t, os.Remove(filepath.Join(out, runfolder.JUnitFile)))
	code, stdout, stderr = cli(t, nil, "report", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stdout, "broker-outage · view-gate", "the run's table")
	again, err := os.ReadFile(page)
	require.NoError(t, err)
	require.Equal(t, string(first), string(again), "the same page, drawn from the saved data")
	require.FileExists(t, filepath.Join(out, runfolder.JUnitFile))
	sum := readSummary(t, out)
	require.NotNil(t, sum.Views, "the run's views are in its summary")
	require.Len(t, sum.Faults, 1)
	reconnect := modeltime.Scale(sum.TimeScale).Model(brokerReconnectWall).Seconds()
	requireErrorsInFaultBand(t, string(again), sum.Views.ByRoute["result"].MaxS/sum.Faults[0].ForS, reconnect/sum.Faults[0].ForS)

	// Without its history: the tables, and a note naming what is missing.
	require.NoError(t, os.Remove(filepath.Join(out, runfolder.HistoryFile)))
	code, stdout, stderr = cli(t, nil, "report", out)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stdout, "no history.json.gz")
	require.Contains(t, stdout, "not the charts of")
	bare, err := os.ReadFile(page)
	require.NoError(t, err)
	require.NotContains(t, string(bare), "<svg")
	require.Contains(t, string(bare), `id="headline"`)

	for _, args := range [][]string{{"report"}, {"report", filepath.Join(out, "missing")}, {"report", t.TempDir()}, {"report", out, "extra"}} {
		code, stdout, stderr = cli(t, nil, args...)
		require.Equal(t, 2, code, "%v: stdout %s stderr %s", args, stdout, stderr)
		require.Contains(t, stderr, "report")
	}
}

var (
	svgRe   = regexp.MustCompile(`(?s)<svg[^>]*aria-label="failed requests per[^"]*".*?</svg>`)
	faultRe = regexp.MustCompile(`<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" class="fault">`)
	errRe   = regexp.MustCompile(`<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" class="err-bar" fill="[^"]+"><title>([^<]*5xx[^<]*)</title>`)
)

// brokerReconnectWall bounds how long, in wall time, the reference's
// publisher keeps failing after the broker heals. While down, the fault
// proxy resets every connection it accepts. On a quiet machine the client's
// connect returns before that reset lands, and the first command fails
// (EOF). On a loaded one the connecting goroutine often runs only after the
// reset, so the connect itself fails; go-redis counts failed dials, and
// after as many as its pool size (64) it opens a dial circuit breaker: every
// publish fails at once with the last dial error until a background probe,
// once a second of wall time, connects again (go-redis internal/pool
// tryDial; measured beside other tests' load: 381 and 755 failed dials in a
// 3.85 s outage, publishes failing up to 0.74 s after the heal; on a quiet
// machine 35 to 73, none after it). That second is wall time, so it spans
// 1/scale model seconds: 18 at 0.055, which is the tail past the fault band
// that grows under load. 250 ms more for the probe's goroutine to be
// scheduled on a busy runner (the runner's queueJitterWall).
const brokerReconnectWall = time.Second + 250*time.Millisecond

// requireErrorsInFaultBand checks the Done-when of the reports issue on a
// page: its errors chart draws 5xx answers, and they lie inside the fault
// band (the broker being down, /result cannot queue and answers 503).
//
// inFlight is the longest /result view as a share of the fault's length: a
// /result sent before the outage whose view reached the broker after it
// went down is answered 503 and drawn at its send, up to that far before
// the band (a loaded machine stretches views in model time). reconnect is
// brokerReconnectWall in model time as a share of the fault's length: a
// /result sent after the heal fails only until the publisher reconnects.
func requireErrorsInFaultBand(t *testing.T, page string, inFlight, reconnect float64) {
	t.Helper()
	svg := svgRe.FindString(page)
	require.NotEmpty(t, svg, "the page has an errors chart")
	band := faultRe.FindStringSubmatch(svg)
	require.NotNil(t, band, "the errors chart shades the fault")
	from, w := atof(t, band[1]), atof(t, band[2])
	slack, tail := w*inFlight, w*reconnect
	bars := errRe.FindAllStringSubmatch(svg, -1)
	require.NotEmpty(t, bars, "5xx answers are drawn")
	inside, before, after := 0, 0, 0
	for _, b := range bars {
		x, bw := atof(t, b[1]), atof(t, b[2])
		switch {
		// A /result sent before the outage whose view reached the broker
		// after it went down: one bar and the longest view of slack.
		case x+bw < from-bw-slack-1:
			before++
		case x >= from-1 && x+bw <= from+w+1:
			inside++
		// Sent after the heal, before the publisher reconnected: a bar
		// starts no later than the reconnection's end.
		case x > from+w+tail+1:
			after++
		}
	}
	// No 5xx before the broker goes down (but for views sent just before it
	// that ran into it), none after the publisher is back, and most of them
	// while it is down.
	require.Zero(t, before, "5xx bars before the band [%v, %v]", from, from+w)
	require.Zero(t, after, "5xx bars past the band [%v, %v] and the publisher's reconnection (%v)", from, from+w, tail)
	require.Greater(t, 2*inside, len(bars), "%d of %d 5xx bars lie within the band [%v, %v]", inside, len(bars), from, from+w)
	var tips bytes.Buffer
	for _, b := range bars {
		tips.WriteString(b[3] + "\n")
	}
	require.True(t, strings.Contains(tips.String(), "result"), "the 5xx are /result's: %s", tips.String())
}

func atof(t *testing.T, s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v
}
