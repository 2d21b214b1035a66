package verify

import (
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/stretchr/testify/assert"
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
		ClockTolerance: 150 * time.Millisecond,
		SampleEvery:    5 * time.Second,
		HaveDispatches: true,
		Keys: []history.Key{
			{Key: key1, Services: []int64{1}, Active: []history.Interval{{From: 0, To: 10 * time.Minute}}},
			{Key: key2, Services: []int64{2}, Active: []history.Interval{{From: 0, To: 10 * time.Minute}}},
		},
		Services: []history.Service{
			{ID: 1, Key: key1, Polled: []history.Interval{{From: 0, To: 10 * time.Minute}}},
			{ID: 2, Key: key2, Polled: []history.Interval{{From: 0, To: 10 * time.Minute}}},
		},
		Requests: history.Requests{Total: 6000, OK: 6000, P50: 2 * time.Millisecond, P99: 9 * time.Millisecond},
	}
	for _, k := range h.Keys {
		for at := time.Second; at < h.Duration; at += 30 * time.Second {
			h.Dispatches = append(h.Dispatches, history.Dispatch{At: at, Key: k.Key})
			h.Writes = append(h.Writes, history.Write{At: at + 10*time.Millisecond, Key: k.Key, Services: k.Services})
		}
	}
	h.ReferenceWrites = int64(len(h.Writes))
	for at := time.Duration(0); at < h.Duration; at += h.SampleEvery {
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
		return history.Sample{At: at, ServiceID: id, Staleness: -1, LiveNull: true}
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
	for _, at := range ats {
		out = append(out, history.Dispatch{At: at, Key: key})
	}
	return out
}

// invariantCase is one hand-made history for one invariant: the healthy run
// changed by edit, and what the checker must say about it.
type invariantCase struct {
	name   string
	edit   func(h *history.History)
	want   Outcome
	detail []string // substrings the one-line detail must name
}

func runInvariantCases(t *testing.T, check func(history.History) (Outcome, string), cases []invariantCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := healthy()
			if tc.edit != nil {
				tc.edit(&h)
			}
			got, detail := check(h)
			assert.Equal(t, tc.want, got, "detail: %s", detail)
			assert.NotContains(t, detail, "\n")
			for _, s := range tc.detail {
				assert.Contains(t, detail, s)
			}
		})
	}
}
