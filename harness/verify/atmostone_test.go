package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

func TestCheckAtMostOne(t *testing.T) {
	const window = 30*time.Second - 150*time.Millisecond
	runInvariantCases(t, checkAtMostOne, []invariantCase{
		{
			name:   "dispatches a full window apart pass",
			want:   Pass,
			detail: []string{"closest", "30s apart", "tolerance 150ms", "40 dispatches on 2 keys"},
		},
		{
			name: "gap exactly throttle minus tolerance passes",
			edit: func(h *history.History) {
				h.Dispatches = dispatchesAt(*h, key1, time.Minute, time.Minute+window)
			},
			want:   Pass,
			detail: []string{"key " + key1, "29.85s apart at 1m29.85s", "tolerance 150ms"},
		},
		{
			name: "gap one millisecond inside the tolerance fails",
			edit: func(h *history.History) {
				h.Dispatches = dispatchesAt(*h, key1, time.Minute, time.Minute+window-time.Millisecond)
			},
			want:   Fail,
			detail: []string{"key " + key1, "29.849s apart at 1m29.849s", "tolerance 150ms", "1 gaps too short on 1 of 2 keys"},
		},
		{
			name: "two replicas dispatching at once fail and the closest pair is named",
			edit: func(h *history.History) {
				h.Dispatches = append(h.Dispatches,
					history.Dispatch{At: 3*time.Minute + 12*time.Second, Key: key2, Replica: 1},
					history.Dispatch{At: 4*time.Minute + time.Second, Key: key1, Replica: 1})
			},
			want:   Fail,
			detail: []string{"key " + key1, "0s apart at 4m1s", "3 gaps too short on 2 of 2 keys"},
		},
		{
			name: "close dispatches on different keys do not interact",
			edit: func(h *history.History) {
				h.Dispatches = []history.Dispatch{{At: 5 * time.Second, Key: key1}, {At: 5 * time.Second, Key: key2}}
			},
			want:   Pass,
			detail: []string{"no key had two dispatches"},
		},
		{
			name: "external mode judges writes and ignores dispatches",
			edit: func(h *history.History) {
				h.HaveDispatches = false
				h.Dispatches = dispatchesAt(*h, key1, time.Minute, time.Minute+time.Second)
			},
			want:   Pass,
			detail: []string{"writes", "30s apart"},
		},
		{
			name: "external mode fails on writes too close",
			edit: func(h *history.History) {
				h.HaveDispatches = false
				h.Writes = append(h.Writes, history.Write{At: 2 * time.Minute, Key: key2, Services: []int64{2}})
			},
			want:   Fail,
			detail: []string{"key " + key2, "writes", "1.01s apart at 2m1.01s"},
		},
	})
}

func TestAtMostOneFailsOnUnseenRowUpdates(t *testing.T) {
	h := history.History{Throttle: 30 * time.Second, SampleEvery: time.Second, UnseenRowUpdates: 3}
	out, detail := checkAtMostOne(h)
	if out != Fail || !strings.Contains(detail, "3 row updates") {
		t.Fatalf("got %s: %s", out, detail)
	}
	h.HaveDispatches = true // in-process, the audit counts every write: the field is not used
	if out, _ := checkAtMostOne(h); out != Pass {
		t.Fatalf("in-process history judged on unseen row updates")
	}
}
