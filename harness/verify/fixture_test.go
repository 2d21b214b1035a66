package verify

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

const (
	key1 = "heartbeat:pipeline:1:project:1"
	key2 = "heartbeat:pipeline:2:project:1"
)

// healthy is a small run that every invariant accepts: two keys, one service
// each, polled for the whole 10 minutes, dispatches 30s apart, fresh samples.
// Tests derive failing histories from it by changing one thing.
func healthy() history.History {
	h := history.History{
		Duration:       10 * time.Minute,
		TimeScale:      0.05,
		Throttle:       30 * time.Second,
		OfflineAfter:   time.Minute,
		MaxPollGap:     6 * time.Second,
		Tolerance:      map[history.Clock]time.Duration{history.ClockRedis: 150 * time.Millisecond, history.ClockPostgres: 20 * time.Microsecond},
		SampleEvery:    5 * time.Second,
		Observation:    history.ObservedByAudit,
		HaveDispatches: true,
		PendingKnown:   true,
		Keys: []history.Key{
			{Key: key1, Services: []int64{1}, Active: []history.Interval{{From: 0, To: 10 * time.Minute}}},
			{Key: key2, Services: []int64{2}, Active: []history.Interval{{From: 0, To: 10 * time.Minute}}},
		},
		Services: []history.Service{
			{ID: 1, Key: key1, Polled: []history.Interval{{From: 0, To: 10 * time.Minute}}},
			{ID: 2, Key: key2, Polled: []history.Interval{{From: 0, To: 10 * time.Minute}}},
		},
		Requests: history.Requests{RequestCounts: history.RequestCounts{Total: 6000, OK: 6000},
			ByEndpoint: map[string]history.RequestCounts{"tasks": {Total: 3000, OK: 3000}, "result": {Total: 3000, OK: 3000}},
			P50:        2 * time.Millisecond, P99: 9 * time.Millisecond},
	}
	for ki, k := range h.Keys {
		for i, at := 0, time.Second; at < h.Duration; i, at = i+1, at+30*time.Second {
			id := fmt.Sprintf("k%d-%d", ki, i)
			h.Dispatches = append(h.Dispatches, history.Dispatch{At: at, Key: k.Key, ID: id, Clock: history.ClockRedis})
			h.Tasks = append(h.Tasks, history.Task{DispatchID: id, Result: history.TaskWrote, Rows: 1})
			// Stamped by the task just before its UPDATE reached the database.
			h.Writes = append(h.Writes, history.Write{At: at + 10*time.Millisecond, Key: k.Key, Services: k.Services,
				TxID: int64(1000*ki + i), DispatchID: id, Stamp: at + 9*time.Millisecond, Stamped: true})
		}
	}
	for at := time.Duration(0); at < h.Duration; at += h.SampleEvery {
		h.SamplerReads++
		for _, id := range []int64{1, 2} {
			h.Samples = append(h.Samples, sampleAt(h, id, at))
		}
	}
	return h
}

// sampleAt reads a service as the healthy run's writes leave it: fresh and
// live once the first write (at 1s) lands, NULL before.
func sampleAt(h history.History, id int64, at time.Duration) history.Sample {
	const first = time.Second + 10*time.Millisecond
	if at < first {
		return history.Sample{At: at, ServiceID: id, Null: true, LiveNull: true}
	}
	return history.Sample{At: at, ServiceID: id, Staleness: (at - first) % h.Throttle, Live: true}
}

// dispatchesAt replaces one key's dispatches with the given instants.
func dispatchesAt(h history.History, key string, ats ...time.Duration) []history.Dispatch {
	var out []history.Dispatch
	for _, d := range h.Dispatches {
		if d.Key != key {
			out = append(out, d)
		}
	}
	for i, at := range ats {
		out = append(out, history.Dispatch{At: at, Key: key, ID: fmt.Sprintf("%s-%d", key, i), Clock: history.ClockRedis})
	}
	return out
}

// invariantCase is one hand-made history for one invariant: the healthy run
// changed by edit, and what the checker must say about it.
type invariantCase struct {
	name   string
	edit   func(h *history.History)
	want   summary.Outcome
	detail []string // substrings the one-line detail must name
}

func runInvariantCases(t *testing.T, check func(history.History) judgement, cases []invariantCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := healthy()
			if tc.edit != nil {
				tc.edit(&h)
			}
			j := check(h)
			assert.Equal(t, tc.want, j.outcome, "detail: %s", j.detail)
			assert.NotContains(t, j.detail, "\n")
			for _, s := range tc.detail {
				assert.Contains(t, j.detail, s)
			}
			if j.outcome == summary.Pass || j.outcome == summary.Fail {
				assert.True(t, judgedSomething(j.evidence), "a %s must say what it judged: %v", j.outcome, j.evidence)
			}
		})
	}
}

func judgedSomething(ev summary.Evidence) bool {
	for _, c := range ev {
		if c.N > 0 {
			return true
		}
	}
	return false
}
