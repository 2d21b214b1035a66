package verify

import (
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

func TestCheckAtMostOne(t *testing.T) {
	const window = 30*time.Second - 150*time.Millisecond
	runInvariantCases(t, checkAtMostOne, []invariantCase{
		{
			name:   "dispatches a full window apart pass",
			want:   summary.Pass,
			detail: []string{"closest", "30s apart", "redis clock ±150ms", "38 gaps on 2 keys"},
		},
		{
			name: "gap exactly throttle minus the clock's tolerance passes",
			edit: func(h *history.History) {
				h.Dispatches = dispatchesAt(*h, key1, time.Minute, time.Minute+window)
			},
			want:   summary.Pass,
			detail: []string{"key " + key1, "29.85s apart at 1m29.85s", "(redis clock)"},
		},
		{
			name: "gap one millisecond inside the tolerance fails",
			edit: func(h *history.History) {
				h.Dispatches = dispatchesAt(*h, key1, time.Minute, time.Minute+window-time.Millisecond)
			},
			want:   summary.Fail,
			detail: []string{"key " + key1, "29.849s apart at 1m29.849s", "1 gaps too short on 1 of 2 keys"},
		},
		{
			name: "a process-clock dispatch gets no Redis tolerance",
			edit: func(h *history.History) {
				h.Tolerance[history.ClockProcess] = 0
				h.Dispatches = dispatchesAt(*h, key1, time.Minute, time.Minute+window)
				for i := range h.Dispatches {
					h.Dispatches[i].Clock = history.ClockProcess
				}
			},
			want:   summary.Fail,
			detail: []string{"(process clock)"},
		},
		{
			name: "two replicas dispatching at once fail and the closest pair is named",
			edit: func(h *history.History) {
				h.Dispatches = append(h.Dispatches,
					history.Dispatch{At: 3*time.Minute + 12*time.Second, Key: key2, Replica: 1, ID: "x", Clock: history.ClockRedis},
					history.Dispatch{At: 4*time.Minute + time.Second, Key: key1, Replica: 1, ID: "y", Clock: history.ClockRedis})
			},
			want:   summary.Fail,
			detail: []string{"key " + key1, "0s apart at 4m1s", "3 gaps too short on 2 of 2 keys"},
		},
		{
			name: "close dispatches on different keys do not interact",
			edit: func(h *history.History) {
				h.Dispatches = []history.Dispatch{{At: 5 * time.Second, Key: key1}, {At: 5 * time.Second, Key: key2}}
			},
			want:   summary.Pass,
			detail: []string{"no key had two dispatches"},
		},
		{
			name: "no key polled and nothing dispatched judges nothing",
			edit: func(h *history.History) {
				h.Keys, h.Dispatches = nil, nil
			},
			want:   summary.Inconclusive,
			detail: []string{"no key was ever polled"},
		},
	})
}

// External targets: the writes, per row, against the keys covering it.
func TestCheckAtMostOneExternal(t *testing.T) {
	external := func(h *history.History) {
		h.HaveDispatches, h.Dispatches, h.Tasks = false, nil, nil
		h.Observation = history.ObservedByLogicalDecoding
		h.QueueAllowance = 3 * time.Second
		for i := range h.Writes {
			h.Writes[i].DispatchID = ""
		}
	}
	// key3 is the list key: it marks service 1 too, as the job key key1 does.
	const key3 = "heartbeat:list:pipelines:default"
	runInvariantCases(t, checkAtMostOne, []invariantCase{
		{
			name:   "writes a window apart pass",
			edit:   external,
			want:   summary.Pass,
			detail: []string{"40 row writes on 2 rows", "queue allowance 3s", "observed by logical decoding"},
		},
		{
			name: "a write a second after another of the same row fails",
			edit: func(h *history.History) {
				external(h)
				h.Writes = append(h.Writes, history.Write{At: 2*time.Minute + time.Second, Key: key2, Services: []int64{2}})
			},
			want:   summary.Fail,
			detail: []string{"service 2 written 2 times within 10ms from 2m1s while 1 of its keys were polled"},
		},
		{
			name: "a write inside the queue allowance is counted, not judged",
			edit: func(h *history.History) {
				external(h)
				for i, w := range h.Writes {
					if w.Key == key2 && w.At == 2*time.Minute+31*time.Second+10*time.Millisecond {
						h.Writes[i].At -= 2 * time.Second // its task ran 2 s sooner than the last one's
					}
				}
			},
			want:   summary.Pass,
			detail: []string{"1 pairs within the allowance not judged"},
		},
		{
			name: "two keys covering one row may each write it once per window",
			edit: func(h *history.History) {
				external(h)
				h.Keys = append(h.Keys, history.Key{Key: key3, Services: []int64{1}, Active: []history.Interval{{From: 0, To: 10 * time.Minute}}})
				h.Writes = append(h.Writes, history.Write{At: 2*time.Minute + 2*time.Second, Key: key3, Services: []int64{1}})
			},
			want: summary.Pass,
		},
		{
			name: "but not twice",
			edit: func(h *history.History) {
				external(h)
				h.Keys = append(h.Keys, history.Key{Key: key3, Services: []int64{1}, Active: []history.Interval{{From: 0, To: 10 * time.Minute}}})
				h.Writes = append(h.Writes,
					history.Write{At: 2*time.Minute + 2*time.Second, Key: key3, Services: []int64{1}},
					history.Write{At: 2*time.Minute + 4*time.Second, Key: key3, Services: []int64{1}})
			},
			want:   summary.Fail,
			detail: []string{"service 1 written 3 times", "while 2 of its keys were polled"},
		},
		{
			name: "sampling states its detection limit",
			edit: func(h *history.History) {
				external(h)
				h.Observation, h.DetectionLimit = history.ObservedBySampling, time.Second
			},
			want:   summary.Pass,
			detail: []string{"observed by sampling (writes closer than 1s apart cannot be told apart)"},
		},
	})
}
