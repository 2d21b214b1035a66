package verify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hbharness/hbharness/harness/history"
)

// statsHistory is a short run with a bit of everything Summarize must sort
// out: a dispatch after the end, keys and services nobody declared, samples
// during the grace and after polling stopped, and unordered samples.
func statsHistory() history.History {
	s := time.Second
	return history.History{
		Duration:       150 * s,
		Throttle:       30 * s,
		OfflineAfter:   60 * s,
		MaxPollGap:     6 * s,
		HaveDispatches: true,
		Keys: []history.Key{
			{Key: key1, Active: []history.Interval{{From: 0, To: 90 * s}}},
			{Key: key2},
		},
		Services: []history.Service{
			{ID: 1, Key: key1, Polled: []history.Interval{{From: 0, To: 150 * s}}},
			{ID: 2, Key: key2, Polled: []history.Interval{{From: 0, To: 30 * s}}},
		},
		Dispatches: []history.Dispatch{
			{At: 61 * s, Key: key1}, {At: 0, Key: key1}, {At: 31 * s, Key: key1}, {At: 200 * s, Key: key1},
			{At: 10 * s, Key: key2},
			{At: 25 * s, Key: "heartbeat:list:project:3"}, {At: 20 * s, Key: "heartbeat:list:project:3"},
		},
		Writes: []history.Write{
			{At: 1 * s, Key: key1}, {At: 32 * s, Key: key1}, {At: 62 * s, Key: key1},
			{At: 11 * s, Key: key2},
			{At: 40 * s, Key: "heartbeat:service:9"},
		},
		Samples: []history.Sample{
			{At: 90 * s, ServiceID: 1, Staleness: 45 * s},
			{At: 30 * s, ServiceID: 1, Staleness: 200 * s, Live: true}, // in the grace: not judged
			{At: 60 * s, ServiceID: 1, Staleness: 20 * s, Live: true},
			{At: 100 * s, ServiceID: 1, Staleness: 5 * s, Live: true},
			{At: 110 * s, ServiceID: 1, Null: true, LiveNull: true},
			{At: 200 * s, ServiceID: 1, Staleness: 500 * s, Live: true}, // polling stopped: not judged
			{At: 10 * s, ServiceID: 2, Staleness: 40 * s, Live: true},
			{At: 20 * s, ServiceID: 2, Staleness: 50 * s},
			{At: 20 * s, ServiceID: 7, Staleness: 80 * s},
			{At: 10 * s, ServiceID: 7, Staleness: 70 * s, Live: true},
		},
	}
}

func TestSummarize(t *testing.T) {
	s := time.Second
	cases := []struct {
		name string
		edit func(h *history.History)
		want Stats
	}{
		{
			name: "reference run",
			want: Stats{
				Keys: []KeyStats{
					{Key: key1, Dispatches: 3, ExpectedMin: 2, ExpectedMax: 4, MinGap: 30 * s, DBWrites: 3},
					{Key: key2, Dispatches: 1, ExpectedMin: 0, ExpectedMax: 1, DBWrites: 1},
					{Key: "heartbeat:list:project:3", Dispatches: 2, ExpectedMin: 0, ExpectedMax: 1, MinGap: 5 * s},
					{Key: "heartbeat:service:9", ExpectedMin: 0, ExpectedMax: 1, DBWrites: 1},
				},
				Services: []ServiceStats{
					// Its NULL read at 110 s has been stale since its polling began.
					{ID: 1, MaxStaleness: 110 * s, OfflineFlips: 2},
					// Polled until 30 s, never read offline after; it may be
					// flipped up to offline_after after its last poll (no
					// check period in this history).
					{ID: 2, OfflineFlips: 1, Stopped: true, TimeToOfflineBound: time.Minute},
					{ID: 7, OfflineFlips: 1},
				},
				Liveness:        Liveness{Stopped: 1, BoundLo: 30 * s, BoundHi: 60 * s},
				DispatchesTotal: 6,
				DBWritesTotal:   5,
				MaxStaleness:    110 * s,
			},
		},
		{
			name: "external mode counts writes as dispatches",
			edit: func(h *history.History) {
				h.HaveDispatches = false
				h.Services, h.Samples = nil, nil
			},
			want: Stats{
				Keys: []KeyStats{
					{Key: key1, Dispatches: 3, ExpectedMin: 2, ExpectedMax: 4, MinGap: 30 * s, DBWrites: 3},
					{Key: key2, Dispatches: 1, ExpectedMin: 0, ExpectedMax: 1, DBWrites: 1},
					{Key: "heartbeat:service:9", Dispatches: 1, ExpectedMin: 0, ExpectedMax: 1, DBWrites: 1},
				},
				Services:        []ServiceStats{},
				Liveness:        Liveness{BoundLo: 30 * s, BoundHi: 60 * s},
				DispatchesTotal: 5,
				DBWritesTotal:   5,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := statsHistory()
			if tc.edit != nil {
				tc.edit(&h)
			}
			assert.Equal(t, tc.want, Summarize(h))
		})
	}
}

// A service whose workers stop is timed until it reads offline; the time it
// read live meanwhile, with nobody of its own polling, is false liveness.
// Its bound follows the checks: their gaps and their queue waits.
func TestLivenessFigures(t *testing.T) {
	tests := []struct {
		name string
		// checks, when set, are the target's reported copies (every 5 s,
		// each waiting wait); nil: not reported, a period of 5 s.
		checks     bool
		wait       time.Duration
		liveUntil  time.Duration // service 2 reads live through this
		want       time.Duration // its time_to_offline
		detected   bool
		bound      time.Duration // its bound: offline_after + lag + allowance
		boundHi    time.Duration // the run's: offline_after + allowance
		unmeasured string
	}{
		{name: "checks not reported", liveUntil: 5 * time.Minute, want: 65 * time.Second, detected: true,
			bound: time.Minute + 10*time.Millisecond + 5*time.Second, boundHi: 65 * time.Second},
		{name: "checks on a quiet queue", checks: true, wait: 20 * time.Millisecond, liveUntil: 5 * time.Minute,
			want: 65 * time.Second, detected: true,
			bound: time.Minute + 10*time.Millisecond + 5*time.Second + 20*time.Millisecond, boundHi: 65*time.Second + 20*time.Millisecond},
		{name: "checks waiting 40 s behind a backlog", checks: true, wait: 40 * time.Second, liveUntil: 5*time.Minute + 40*time.Second,
			want: 105 * time.Second, detected: true,
			bound: time.Minute + 10*time.Millisecond + 45*time.Second, boundHi: 105 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := healthy()
			deadAt(&h, 4*time.Minute, 10*time.Millisecond, tc.liveUntil)
			h.CheckerEvery = 5 * time.Second
			if tc.checks {
				checksEvery(&h, 5*time.Second, waits(tc.wait), nil)
			}
			st := Summarize(h)
			svc := st.Services[1]
			assert.True(t, svc.Stopped)
			assert.Equal(t, tc.detected, svc.Detected)
			assert.Equal(t, tc.want, svc.TimeToOffline, "first read offline after its last poll at 4m")
			assert.Equal(t, tc.bound, svc.TimeToOfflineBound)
			assert.Equal(t, 10*time.Millisecond, svc.HeartbeatLag)
			assert.LessOrEqual(t, svc.TimeToOffline, svc.TimeToOfflineBound+h.SampleEvery, "read within a sample period of its bound")
			// Silent from 4m+6s (the longest poll gap): the samples from
			// 4m10s through liveUntil read live.
			assert.Equal(t, (tc.liveUntil-4*time.Minute-5*time.Second)/h.SampleEvery*h.SampleEvery, svc.FalseLive)
			assert.Equal(t, 30*time.Second, st.Liveness.BoundLo)
			assert.Equal(t, tc.boundHi, st.Liveness.BoundHi)
			assert.Equal(t, tc.unmeasured, st.Liveness.Unmeasured)
			assert.Equal(t, tc.checks, st.Liveness.Checker.Known)
		})
	}
}

// A stopped service no check ran after, once it was stale, is named: its
// time_to_offline measured no check.
func TestLivenessNamesServicesNoCheckCouldFlip(t *testing.T) {
	h := healthy()
	deadAt(&h, 4*time.Minute, 10*time.Millisecond, h.Duration)
	checksEvery(&h, 4*time.Minute, waits(time.Second), nil) // at 4m and 8m
	h.Checks[1].Outcome = history.CheckDropped
	st := Summarize(h)
	assert.False(t, st.Services[1].Detected)
	assert.Equal(t, "no offline check ran after service 2 (stale from 5m0.01s) went stale, before the run ended: its time_to_offline measures no check",
		st.Liveness.Unmeasured)
	assert.Equal(t, 1, st.Liveness.Checker.Ran)
	assert.Equal(t, 1, st.Liveness.Checker.Dropped)
}

// A dispatch made just before the end writes after it; one made after the
// end is not the run's, nor is its write.
func TestWritesInRunFollowTheirDispatches(t *testing.T) {
	h := healthy()
	last := h.Dispatches[len(h.Dispatches)-1]
	h.Writes = append(h.Writes,
		history.Write{At: h.Duration + time.Second, Key: last.Key, DispatchID: "late", Services: []int64{1}},
		history.Write{At: h.Duration + 2*time.Second, Key: last.Key, DispatchID: "after", Services: []int64{1}})
	h.Dispatches = append(h.Dispatches,
		history.Dispatch{At: h.Duration - time.Millisecond, Key: last.Key, ID: "late", Clock: history.ClockRedis},
		history.Dispatch{At: h.Duration + time.Second, Key: last.Key, ID: "after", Clock: history.ClockRedis})
	st := Summarize(h)
	assert.Equal(t, st.DispatchesTotal, st.DBWritesTotal)
	assert.Equal(t, len(healthy().Writes)+1, st.DBWritesTotal)
}
