package verify

import (
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

// In the healthy run service 2's workers stop at 4 min. Under a shared key
// its sibling (service 1, on key1 too here) keeps its last_seen fresh.
func silentSibling(h *history.History, stillLive bool) {
	h.CheckerEvery = 5 * time.Second
	h.Services[1].Polled = []history.Interval{{From: 0, To: 4 * time.Minute}}
	for i, s := range h.Samples {
		if s.ServiceID == 2 && s.At > 4*time.Minute {
			h.Samples[i].Live = stillLive
			h.Samples[i].Staleness = 20 * time.Second
		}
	}
}

func TestCheckFalseLiveness(t *testing.T) {
	runInvariantCases(t, checkFalseLiveness, []invariantCase{
		{
			name:   "every service polled throughout: nothing to judge",
			want:   NotApplicable,
			detail: []string{"no service was silent for longer than 1m0s"},
		},
		{
			name:   "a silent service kept live by a sibling fails",
			edit:   func(h *history.History) { silentSibling(h, true) },
			want:   Fail,
			detail: []string{"service 2 read live at 5m10s, silent for 1m10s (service 2 still at 9m55s, silent for 5m55s)", "offline_after + checker_every = 1m5s"},
		},
		{
			name: "a silent service that went offline passes",
			edit: func(h *history.History) { silentSibling(h, false) },
			want: Pass,
		},
		{
			name: "live within the window after its last poll is not false",
			edit: func(h *history.History) {
				silentSibling(h, true)
				h.Duration = 5 * time.Minute
			},
			want:   Inconclusive,
			detail: []string{"service 2 went silent at 4m0s, too close to the end (5m0s) to judge"},
		},
		{
			name: "a service never polled at all is silent from the start",
			edit: func(h *history.History) {
				h.Services[1].Polled = nil
			},
			want:   Fail,
			detail: []string{"service 2 read live"},
		},
	})
}
