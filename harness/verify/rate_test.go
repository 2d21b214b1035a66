package verify

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stretchr/testify/assert"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

func TestBounds(t *testing.T) {
	cases := []struct {
		name                      string
		active, throttle, pollGap time.Duration
		lo, hi                    int
	}{
		{"exactly ten windows", 5 * time.Minute, 30 * time.Second, 6 * time.Second, 8, 11},
		{"one nanosecond past ten windows", 5*time.Minute + 1, 30 * time.Second, 6 * time.Second, 8, 12},
		{"exactly one window and no poll gap", 30 * time.Second, 30 * time.Second, 0, 1, 2},
		{"lower bound exactly on a window plus gap", 72 * time.Second, 30 * time.Second, 6 * time.Second, 2, 4},
		{"never active", 0, 30 * time.Second, 6 * time.Second, 0, 1},
		{"no throttle leaves the top open", time.Minute, 0, 6 * time.Second, 10, math.MaxInt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := Bounds(tc.active, tc.throttle, tc.pollGap)
			assert.Equal(t, tc.lo, lo, "lo")
			assert.Equal(t, tc.hi, hi, "hi")
		})
	}
}

func TestCheckRate(t *testing.T) {
	// key1 active for exactly three windows: bounds [floor(90/36), ceil(90/30)+1] = [2, 4].
	threeWindows := func(h *history.History, ats ...time.Duration) {
		h.Keys[0].Active = []history.Interval{{From: time.Minute, To: time.Minute + 90*time.Second}}
		h.Dispatches = dispatchesAt(*h, key1, ats...)
	}
	runInvariantCases(t, checkRate, []invariantCase{
		{
			name:   "one dispatch per window passes",
			want:   summary.Pass,
			detail: []string{"tightest", "20 dispatches over 10m0s active, expected [16, 21]", "all 2 active keys"},
		},
		{
			name:   "active exactly three windows allows four",
			edit:   func(h *history.History) { threeWindows(h, time.Minute, 90*time.Second, 2*time.Minute, 150*time.Second) },
			want:   summary.Pass,
			detail: []string{"key " + key1, "4 dispatches over 1m30s active, expected [2, 4]"},
		},
		{
			name: "active exactly three windows rejects five",
			edit: func(h *history.History) {
				threeWindows(h, time.Minute, 70*time.Second, 90*time.Second, 2*time.Minute, 150*time.Second)
			},
			want:   summary.Fail,
			detail: []string{"key " + key1, "5 dispatches over 1m30s active, expected [2, 4]", "1 of 2 active keys out of bounds"},
		},
		{
			name:   "active exactly three windows accepts two",
			edit:   func(h *history.History) { threeWindows(h, time.Minute, 2*time.Minute) },
			want:   summary.Pass,
			detail: []string{"2 dispatches over 1m30s active, expected [2, 4]"},
		},
		{
			name:   "active exactly three windows rejects one",
			edit:   func(h *history.History) { threeWindows(h, time.Minute) },
			want:   summary.Fail,
			detail: []string{"1 dispatches over 1m30s active, expected [2, 4]"},
		},
		{
			name: "dispatches after the run are not counted",
			edit: func(h *history.History) {
				h.Duration = 3 * time.Minute
				threeWindows(h, time.Minute, 2*time.Minute, 3*time.Minute+time.Millisecond, 4*time.Minute)
				h.Keys = h.Keys[:1]
			},
			want:   summary.Pass,
			detail: []string{"2 dispatches over 1m30s active"},
		},
		{
			name: "a key that was never active is skipped",
			edit: func(h *history.History) {
				h.Keys[1].Active = nil
				h.Dispatches = dispatchesAt(*h, key2)
			},
			want:   summary.Pass,
			detail: []string{"all 1 active keys within bounds"},
		},
		{
			name: "overlapping active spans count once",
			edit: func(h *history.History) {
				threeWindows(h, time.Minute, 2*time.Minute, 150*time.Second)
				h.Keys[0].Active = append(h.Keys[0].Active, history.Interval{From: 80 * time.Second, To: 100 * time.Second})
			},
			want:   summary.Pass,
			detail: []string{"3 dispatches over 1m30s active, expected [2, 4]"},
		},
		{
			name: "a dispatch storm fails",
			edit: func(h *history.History) {
				for at := time.Duration(0); at < h.Duration; at += time.Second {
					h.Dispatches = append(h.Dispatches, history.Dispatch{At: at, Key: key2})
				}
			},
			want:   summary.Fail,
			detail: []string{"key " + key2, "620 dispatches over 10m0s active, expected [16, 21]"},
		},
		{
			name: "external mode counts writes",
			edit: func(h *history.History) {
				h.HaveDispatches = false
				h.Dispatches = nil
			},
			want:   summary.Pass,
			detail: []string{"20 writes over 10m0s active"},
		},
		{
			name: "external mode fails on too few writes",
			edit: func(h *history.History) {
				h.HaveDispatches = false
				h.Writes = h.Writes[:5]
			},
			want:   summary.Fail,
			detail: []string{"key " + key2, "0 writes over 10m0s active, expected [16, 21]", "2 of 2 active keys"},
		},
		{
			// The external visitor test beside two CPU hogs: /tasks came back
			// empty, the worker listed, and the list key's write (on the same
			// services) was put down to the job key, 12 writes against [6, 9].
			name: "external mode judges keys on one set of services together",
			edit: func(h *history.History) {
				h.HaveDispatches = false
				list := "heartbeat:list:pipelines:default"
				h.Keys = append(h.Keys[:1], history.Key{Key: list, Services: []int64{1},
					Active: []history.Interval{{From: 5 * time.Minute, To: 5 * time.Minute}}})
				h.Writes = append(h.Writes, history.Write{At: 5*time.Minute + time.Second, Key: key1, Services: []int64{1}})
			},
			want:   summary.Pass,
			detail: []string{"keys " + key1 + " + heartbeat:list:pipelines:default (one set of services: writes name no key): 21 writes over 10m0s active, expected [16, 22]"},
		},
		{
			name: "keys on one set of services still fail together",
			edit: func(h *history.History) {
				h.HaveDispatches = false
				h.Keys = append(h.Keys[:1], history.Key{Key: "heartbeat:list:pipelines:default", Services: []int64{1},
					Active: []history.Interval{{From: 5 * time.Minute, To: 5 * time.Minute}}})
				for at := time.Minute; at < 2*time.Minute; at += 10 * time.Second { // 6 more
					h.Writes = append(h.Writes, history.Write{At: at, Key: key1, Services: []int64{1}})
				}
			},
			want:   summary.Fail,
			detail: []string{"26 writes over 10m0s active, expected [16, 22]"},
		},
		{
			name:   "no active key judges nothing",
			edit:   func(h *history.History) { h.Keys = nil },
			want:   summary.Inconclusive,
			detail: []string{"no key was ever polled"},
		},
	})
}

// During a broker outage no dispatch can land: the floor only counts the
// time dispatching was possible, the ceiling is unchanged.
func TestRateFloorDiscountsOutages(t *testing.T) {
	h := history.History{Duration: 5 * time.Minute, Throttle: 30 * time.Second, MaxPollGap: 6 * time.Second,
		Keys: []history.Key{{Key: "k", Active: []history.Interval{{From: 0, To: 5 * time.Minute}}}}}
	for i := range 6 { // one per window, but none during the outage
		h.Dispatches = append(h.Dispatches, history.Dispatch{Key: "k", At: time.Duration(i) * 31 * time.Second})
	}
	h.HaveDispatches = true
	j := checkRate(h)
	require.Equal(t, summary.Fail, j.outcome, "6 dispatches in 5m is below the floor of 8 without an outage: %s", j.detail)
	h.Faults = []history.Fault{{Kind: "broker-down", At: 3 * time.Minute, For: 70 * time.Second, StopsDispatch: true}}
	j = checkRate(h)
	require.Equal(t, summary.Pass, j.outcome, j.detail)
	h.Faults[0].Kind, h.Faults[0].StopsDispatch = "db-slow", false // slow is not down: no discount
	require.Equal(t, summary.Fail, checkRate(h).outcome)
}

// Writes the observer could not see are unknown, not missing: an external
// target's floor only counts the time its writes were watched.
func TestRateFloorDiscountsBlindObservers(t *testing.T) {
	h := history.History{Duration: 5 * time.Minute, Throttle: 30 * time.Second, MaxPollGap: 6 * time.Second,
		Keys: []history.Key{{Key: "k", Active: []history.Interval{{From: 0, To: 5 * time.Minute}}}}}
	for i := range 6 { // one per window, none seen in the blind stretch
		h.Writes = append(h.Writes, history.Write{Key: "k", At: time.Duration(i) * 31 * time.Second})
	}
	j := checkRate(h)
	require.Equal(t, summary.Fail, j.outcome, "6 writes in 5m is below the floor without a gap: %s", j.detail)
	h.Unobserved = []history.Gap{{Observer: history.ObserverWrites, From: 3 * time.Minute, To: 4*time.Minute + 10*time.Second}}
	j = checkRate(h)
	require.Equal(t, summary.Pass, j.outcome, j.detail)
	h.Unobserved[0].Observer = history.ObserverSampler // the sampler's blindness hides no write
	require.Equal(t, summary.Fail, checkRate(h).outcome)
}

// A key polled in two stretches more than a window apart may be opened
// afresh by each: the ceiling counts one opening per stretch.
func TestCeilingCountsAnOpeningPerStretch(t *testing.T) {
	const w = 30 * time.Second
	iv := func(from, to time.Duration) history.Interval { return history.Interval{From: from, To: to} }
	for _, tc := range []struct {
		name  string
		spans []history.Interval
		want  int
	}{
		{"one stretch is Bounds's ceiling", []history.Interval{iv(0, 5*time.Minute)}, 11},
		{"two stretches far apart", []history.Interval{iv(0, 10*time.Second), iv(2*time.Minute, 5*time.Minute)}, 2 + 7},
		{"closer than a window: one stretch, gap included", []history.Interval{iv(0, time.Minute), iv(70*time.Second, 2*time.Minute)}, 5},
		{"overlapping and unsorted", []history.Interval{iv(time.Minute, 2*time.Minute), iv(0, 90*time.Second)}, 5},
		{"nothing polled", nil, 0},
		// A worker that claims a random job lists once between rounds: each
		// lone list is a poll that may open a window (adc-random-jobs: 7
		// dispatches on the list key, 5 of them at lone lists, judged
		// against [0, 6] when instants were left out).
		{"lone polls a window or more apart: one opening each", []history.Interval{iv(0, 12*time.Second),
			iv(162*time.Second, 162*time.Second), iv(200*time.Second, 200*time.Second), iv(264*time.Second, 264*time.Second)}, 2 + 1 + 1 + 1},
		{"a lone poll within a window of a stretch joins it", []history.Interval{iv(0, 40*time.Second),
			iv(50*time.Second, 50*time.Second)}, 3},
		{"a lone poll alone", []history.Interval{iv(time.Minute, time.Minute)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Ceiling(tc.spans, w))
			if len(tc.spans) == 1 {
				_, hi := Bounds(tc.spans[0].To-tc.spans[0].From, w, 6*time.Second)
				require.Equal(t, hi, Ceiling(tc.spans, w))
			}
		})
	}
}
