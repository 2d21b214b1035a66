package verify

import (
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// outage makes key 1's service stale from 3m until a write at wellAt.
func outage(h *history.History, wellAt time.Duration, spends bool) {
	h.CheckerEvery = 5 * time.Second
	h.Faults = []history.Fault{{Kind: "broker-down", At: 3 * time.Minute, For: 70 * time.Second, StopsDispatch: true, SpendsWindow: spends}}
	for i, s := range h.Samples {
		if s.ServiceID == 1 && s.At >= 3*time.Minute && s.At < wellAt {
			h.Samples[i].Staleness = s.At - 3*time.Minute + time.Second
			h.Samples[i].Live = h.Samples[i].Staleness < time.Minute
		}
	}
}

func TestCheckRecovery(t *testing.T) {
	const end = 3*time.Minute + 70*time.Second
	runInvariantCases(t, checkRecovery, []invariantCase{
		{
			name:   "no fault: nothing to judge",
			want:   summary.NotApplicable,
			detail: []string{"no fault was injected"},
		},
		{
			name: "well again within a window and a poll gap",
			edit: func(h *history.History) { outage(h, end+20*time.Second, false) },
			want: summary.Pass,
			// window 30 s + poll gap 6 s + sample 5 s + checker 5 s (it flipped)
			detail: []string{"broker-down at 3m0s for 1m10s recovered in 20s, bound 46s"},
		},
		{
			name:   "too slow",
			edit:   func(h *history.History) { outage(h, end+50*time.Second, false) },
			want:   summary.Fail,
			detail: []string{"broker-down at 3m0s for 1m10s: recovered 50s after it ended, bound 46s"},
		},
		{
			name:   "a fault that spends a window is allowed one more",
			edit:   func(h *history.History) { outage(h, end+50*time.Second, true) },
			want:   summary.Pass,
			detail: []string{"bound 1m16s"},
		},
		{
			name:   "never well again",
			edit:   func(h *history.History) { outage(h, time.Hour, false) },
			want:   summary.Fail,
			detail: []string{"never recovered in the 5m50s after it ended"},
		},
		{
			name: "too slow only by the sampler's blind stretch: not judged",
			edit: func(h *history.History) {
				outage(h, end+50*time.Second, false)
				dropSamples(h, end, end+45*time.Second)
				h.Unobserved = []history.Gap{{Observer: history.ObserverSampler, From: end, To: end + 45*time.Second, Reason: "connection lost"}}
			},
			want:   summary.Inconclusive,
			detail: []string{"the sampler was blind for 45s of its recovery"},
		},
		{
			name: "too slow even without the blind stretch",
			edit: func(h *history.History) {
				outage(h, end+90*time.Second, false)
				h.Unobserved = []history.Gap{{Observer: history.ObserverSampler, From: end, To: end + 10*time.Second, Reason: "connection lost"}}
				dropSamples(h, end, end+10*time.Second)
			},
			want:   summary.Fail,
			detail: []string{"recovered 1m30s after it ended, bound 46s"},
		},
		{
			name: "ended too close to the end to tell",
			edit: func(h *history.History) {
				outage(h, time.Hour, false)
				h.Faults[0].At, h.Faults[0].For = 9*time.Minute, 50*time.Second
			},
			want:   summary.Inconclusive,
			detail: []string{"ended too close to the end"},
		},
	})
}

func dropSamples(h *history.History, from, to time.Duration) {
	kept := h.Samples[:0]
	for _, s := range h.Samples {
		if s.At < from || s.At >= to {
			kept = append(kept, s)
		}
	}
	h.Samples = kept
}
