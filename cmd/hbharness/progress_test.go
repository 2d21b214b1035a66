package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/runner"
)

// A run not on a terminal prints a line each `every` of wall time, and
// nothing in between, whatever the rate of reports.
func TestPlainViewPrintsALineEveryPeriod(t *testing.T) {
	var out bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := &plainView{w: &out, name: "steady/view-gate", every: 10 * time.Second, now: func() time.Time { return clock }}
	// Reports every 500 ms of wall time for 25 s, at time scale 0.05: 10
	// model seconds each, 100 requests each (10 req/s model).
	for i := range 51 {
		v.update(runner.Progress{Elapsed: time.Duration(i) * 10 * time.Second, Duration: 600 * time.Second,
			Requests: uint64(100 * i), Dispatches: int64(i / 3), Writes: int64(i / 3), WorstStaleness: -1, Late: 2})
		clock = clock.Add(500 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, "at 10 s and 20 s of wall time: %q", out.String())
	require.Equal(t, "steady/view-gate  model 3m20s/10m0s · 10 req/s (model) · 6 dispatches · 6 writes · worst staleness - · 2 late · no fault", lines[0])
	require.True(t, strings.HasPrefix(lines[1], "steady/view-gate  model 6m40s/10m0s · 10 req/s (model)"), lines[1])
}

func TestFigures(t *testing.T) {
	cases := []struct {
		name string
		p    runner.Progress
		rps  float64
		want string
	}{
		{"in-process, a fault under way",
			runner.Progress{Elapsed: 95 * time.Second, Duration: 6 * time.Minute, Dispatches: 3, Writes: 3,
				WorstStaleness: 31250 * time.Millisecond, Late: 0, Faults: []string{"broker-down", "redis-slow"}}, 412.4,
			"model 1m35s/6m0s · 412 req/s (model) · 3 dispatches · 3 writes · worst staleness 31.2 s · 0 late · faults: broker-down, redis-slow"},
		{"external: no dispatches to count",
			runner.Progress{Elapsed: time.Minute, Duration: 2 * time.Minute, Dispatches: -1, Writes: 7, WorstStaleness: -1}, 0,
			"model 1m0s/2m0s · 0 req/s (model) · 7 writes · worst staleness - · 0 late · no fault"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, figures(tc.p, tc.rps))
		})
	}
}

func TestRate(t *testing.T) {
	from := runner.Progress{Elapsed: 10 * time.Second, Requests: 100}
	require.InDelta(t, 50.0, rate(from, runner.Progress{Elapsed: 20 * time.Second, Requests: 600}), 1e-9)
	require.Zero(t, rate(from, from), "no model time passed")
}

// Outside a run, log lines go to stderr; during one, to its log only, or
// to its log and the echo with -v.
func TestLogRouter(t *testing.T) {
	var stderr, file, echo bytes.Buffer
	r := newLogRouter(&stderr)
	_, _ = r.Write([]byte("before\n"))
	restore := r.toRun(&file, nil)
	_, _ = r.Write([]byte("quiet run\n"))
	restore()
	restore = r.toRun(&file, &echo)
	_, _ = r.Write([]byte("verbose run\n"))
	restore()
	_, _ = r.Write([]byte("after\n"))
	require.Equal(t, "before\nafter\n", stderr.String())
	require.Equal(t, "quiet run\nverbose run\n", file.String())
	require.Equal(t, "verbose run\n", echo.String())
}
