package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/scenarios"
)

// The verdicts' clock tolerances, worked by hand: Redis keeps a TTL in whole
// milliseconds (the window rounded down to one, at least one, plus its
// 1 ms expiry resolution); the database and this process keep microseconds.
// All in model time, so a compressed run's tolerance is 1/scale times its
// wall tolerance. Exact values: a loosening of even 1% fails.
func TestClockTolerances(t *testing.T) {
	cases := []struct {
		name            string
		scale           modeltime.Scale
		throttle        time.Duration
		redis, database time.Duration
	}{
		{name: "real time: the 1 ms resolution, a whole-ms window",
			scale: 1, throttle: 30 * time.Second, redis: time.Millisecond, database: time.Microsecond},
		{name: "0.055: 30 s is 1650 ms of wall, whole; 1 ms / 0.055, 1 µs / 0.055",
			scale: 0.055, throttle: 30 * time.Second, redis: 18181818, database: 18182},
		{name: "0.033: 990 ms of wall, whole; 1 ms / 0.033",
			scale: 0.033, throttle: 30 * time.Second, redis: 30303030, database: 30303},
		{name: "0.03333: 999.9 ms of wall loses 0.9 ms to truncation; 1.9 ms / 0.03333",
			scale: 0.03333, throttle: 30 * time.Second, redis: 57005701, database: 30003},
		{name: "a window under 1 ms of wall is set as 1 ms, longer, so nothing is lost; 1 ms / 0.001",
			scale: 0.001, throttle: 500 * time.Millisecond, redis: time.Second, database: time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, map[history.Clock]time.Duration{
				history.ClockRedis:    tc.redis,
				history.ClockPostgres: tc.database,
				history.ClockProcess:  tc.database,
			}, Tolerances(tc.scale, tc.throttle))
		})
	}
}

// How far an external target's queue may move a write towards the next of
// its key: a tenth of the window, floored at 250 ms of wall time in model
// time (a busy runner's scheduling stall).
func TestDefaultQueueAllowance(t *testing.T) {
	cases := []struct {
		name     string
		throttle time.Duration
		scale    modeltime.Scale
		want     time.Duration
	}{
		{name: "real time: a tenth of 30 s", throttle: 30 * time.Second, scale: 1, want: 3 * time.Second},
		{name: "0.1: 250 ms of wall is 2.5 s, under a tenth", throttle: 30 * time.Second, scale: 0.1, want: 3 * time.Second},
		{name: "0.08: 250 ms of wall is 3.125 s, over a tenth", throttle: 30 * time.Second, scale: 0.08, want: 3125 * time.Millisecond},
		{name: "0.055: 250 ms / 0.055", throttle: 30 * time.Second, scale: 0.055, want: 4545454545},
		{name: "0.055, a 60 s window: its tenth, 6 s, wins", throttle: time.Minute, scale: 0.055, want: 6 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, DefaultQueueAllowance(tc.throttle, tc.scale))
		})
	}
}

// Sampling tells apart writes one sample period apart: sample_every in
// model time, unless the sampler's 1 ms wall floor makes the period longer.
func TestSamplingDetectionLimit(t *testing.T) {
	cases := []struct {
		name        string
		sampleEvery time.Duration
		scale       modeltime.Scale
		period      time.Duration // wall
		want        time.Duration // model
	}{
		{name: "real time: 1 s", sampleEvery: time.Second, scale: 1, period: time.Second, want: time.Second},
		{name: "0.033: 33 ms of wall, 1 s of model", sampleEvery: time.Second, scale: 0.033, period: 33 * time.Millisecond, want: time.Second},
		{name: "5 s at 0.055: 275 ms of wall", sampleEvery: 5 * time.Second, scale: 0.055, period: 275 * time.Millisecond, want: 5 * time.Second},
		{name: "10 ms at 0.05 would be 0.5 ms of wall: read every 1 ms, 20 ms of model",
			sampleEvery: 10 * time.Millisecond, scale: 0.05, period: time.Millisecond, want: 20 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := &scenarios.Spec{SampleEvery: tc.sampleEvery, TimeScale: tc.scale}
			assert.Equal(t, tc.period, samplePeriod(spec))
			assert.Equal(t, tc.want, samplingDetectionLimit(spec))
		})
	}
}
