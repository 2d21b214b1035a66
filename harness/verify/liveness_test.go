package verify

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
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

// deadAt stops service 2's workers at stop: its key's dispatches and writes
// end with its polls (the last one's task landing lag after it), and it
// reads live until liveUntil, not live after.
func deadAt(h *history.History, stop, lag, liveUntil time.Duration) {
	h.Services[1].Polled = []history.Interval{{From: 0, To: stop}}
	h.Keys[1].Active = []history.Interval{{From: 0, To: stop}}
	var ds []history.Dispatch
	ids := map[string]bool{}
	for _, d := range h.Dispatches {
		if d.Key != key2 || d.At <= stop {
			ds = append(ds, d)
			ids[d.ID] = true
		}
	}
	h.Dispatches = ds
	var ws []history.Write
	lastWrite := -1
	for _, w := range h.Writes {
		if ids[w.DispatchID] {
			ws = append(ws, w)
			if w.Key == key2 {
				lastWrite = len(ws) - 1
			}
		}
	}
	if lastWrite >= 0 {
		ws[lastWrite].At = stop + lag // its task waited in the queue
	}
	h.Writes = ws
	for i, s := range h.Samples {
		if s.ServiceID == 2 && s.At > stop {
			h.Samples[i].Live = s.At <= liveUntil
			h.Samples[i].Staleness = s.At - stop
		}
	}
}

// checksEvery reports a copy of the check sent every period from period on,
// each taken after wait(i) with outcome(i) (nil: ran).
func checksEvery(h *history.History, period time.Duration, wait func(i int) time.Duration, outcome func(i int) history.CheckOutcome) {
	h.CheckerEvery, h.CheckerExpires, h.ChecksKnown = period, 4*time.Minute, true
	h.Checks = nil
	for i, at := 0, period; at <= h.Duration; i, at = i+1, at+period {
		c := history.Check{ID: fmt.Sprintf("check-%d", i), Enqueued: at, At: at + wait(i), Outcome: history.CheckRan}
		if outcome != nil {
			c.Outcome = outcome(i)
		}
		h.Checks = append(h.Checks, c)
	}
}

func waits(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

func TestCheckFalseLiveness(t *testing.T) {
	runInvariantCases(t, checkFalseLiveness, []invariantCase{
		{
			name:   "every service polled throughout: nothing to judge",
			want:   summary.NotApplicable,
			detail: []string{"no service was silent for longer than its limit"},
		},
		{
			name:   "a silent service kept live by a sibling fails",
			edit:   func(h *history.History) { silentSibling(h, true) },
			want:   summary.Fail,
			detail: []string{"service 2 read live at 5m10s, silent for 1m10s, past its limit 1m6.01s (service 2 still at 9m55s, silent for 5m55s)", "the check's allowance 5s (checker_every 5s + checker_expires 0s: the target does not report its checks)"},
		},
		{
			name: "a silent service that went offline passes",
			edit: func(h *history.History) { silentSibling(h, false) },
			want: summary.Pass,
		},
		{
			name: "live within the window after its last poll is not false",
			edit: func(h *history.History) {
				silentSibling(h, true)
				h.Duration = 5 * time.Minute
			},
			want:   summary.Inconclusive,
			detail: []string{"service 2 went silent at 4m0s, too close to the end (5m0s) to judge"},
		},
		{
			name: "a service never polled at all is silent from the start",
			edit: func(h *history.History) {
				h.Services[1].Polled = nil
			},
			want:   summary.Fail,
			detail: []string{"service 2 read live"},
		},
	})
}

// The limit follows the checks the target reported: when they wait in a
// backed-up queue, or copies are dropped, a dead service reads live longer
// and that is the design, not a false liveness; past it, it is one. A run
// in which no check ran judges nothing.
func TestFalseLivenessFollowsTheChecks(t *testing.T) {
	runInvariantCases(t, checkFalseLiveness, []invariantCase{
		{
			name: "quiet queue: flipped within a minute and a check",
			edit: func(h *history.History) {
				deadAt(h, 4*time.Minute, 10*time.Millisecond, 5*time.Minute+5*time.Second)
				checksEvery(h, 5*time.Second, waits(20*time.Millisecond), nil)
			},
			want:   summary.Pass,
			detail: []string{"the check's allowance 5.02s (the longest gap between checks that ran 5s + their longest queue wait 20ms)"},
		},
		{
			name: "quiet queue: live 1m30s after the last poll fails",
			edit: func(h *history.History) {
				deadAt(h, 4*time.Minute, 10*time.Millisecond, 5*time.Minute+30*time.Second)
				checksEvery(h, 5*time.Second, waits(20*time.Millisecond), nil)
			},
			want:   summary.Fail,
			detail: []string{"service 2 read live at 5m10s, silent for 1m10s, past its limit 1m5.03s"},
		},
		{
			name: "the check waits 40 s behind a backlog: live 1m40s after the last poll is within the bound",
			edit: func(h *history.History) {
				deadAt(h, 4*time.Minute, 10*time.Millisecond, 5*time.Minute+40*time.Second)
				checksEvery(h, 5*time.Second, waits(40*time.Second), nil)
			},
			want:   summary.Pass,
			detail: []string{"their longest queue wait 40s"},
		},
		{
			name: "the check waits 40 s behind a backlog: live 2m after the last poll is past it",
			edit: func(h *history.History) {
				deadAt(h, 4*time.Minute, 10*time.Millisecond, 6*time.Minute)
				checksEvery(h, 5*time.Second, waits(40*time.Second), nil)
			},
			want:   summary.Fail,
			detail: []string{"service 2 read live at 5m50s, silent for 1m50s, past its limit 1m45.01s"},
		},
		{
			name: "the heartbeat's own task waited 50 s: it is stale a minute after that",
			edit: func(h *history.History) {
				deadAt(h, 4*time.Minute, 50*time.Second, 5*time.Minute+50*time.Second)
				checksEvery(h, 5*time.Second, waits(20*time.Millisecond), nil)
			},
			want: summary.Pass,
		},
		{
			name: "copies dropped for a minute widen the gap",
			edit: func(h *history.History) {
				deadAt(h, 4*time.Minute, 10*time.Millisecond, 6*time.Minute)
				checksEvery(h, 5*time.Second, waits(20*time.Millisecond), func(i int) history.CheckOutcome {
					if at := time.Duration(i+1) * 5 * time.Second; at > 4*time.Minute && at < 6*time.Minute {
						return history.CheckDropped
					}
					return history.CheckRan
				})
			},
			want:   summary.Pass,
			detail: []string{"23 of 120 copies flipped nothing: 23 dropped past checker_expires 4m0s"},
		},
		{
			name: "no check ran: a silent service cannot be judged",
			edit: func(h *history.History) {
				deadAt(h, 4*time.Minute, 10*time.Millisecond, h.Duration)
				checksEvery(h, 5*time.Minute, waits(20*time.Millisecond), func(int) history.CheckOutcome { return history.CheckDropped })
			},
			want: summary.Inconclusive,
			detail: []string{"no offline check ran during the 10m0s run (checker_every 5m0s; 2 copies sent: 1 dropped, 0 failed, 0 not enqueued, 1 still queued at the end)",
				"nothing could flip service 2 (silent from 4m0s) offline"},
		},
		{
			name: "no check ran and no service went silent",
			edit: func(h *history.History) {
				checksEvery(h, 11*time.Minute, waits(0), nil)
			},
			want:   summary.NotApplicable,
			detail: []string{"no service went silent, and no offline check ran during the 10m0s run (checker_every 11m0s)"},
		},
	})
}

func TestCheckerDelay(t *testing.T) {
	const run = 10 * time.Minute
	tests := []struct {
		name   string
		checks []history.Check
		known  bool
		want   CheckerDelay
	}{
		{name: "not reported: a period and an expiry", known: false,
			want: CheckerDelay{Allowance: 5*time.Minute + 4*time.Minute}},
		{name: "one copy at 5 min, quiet", known: true,
			checks: []history.Check{{Enqueued: 5 * time.Minute, At: 5*time.Minute + time.Second, Outcome: history.CheckRan}},
			want: CheckerDelay{Known: true, Sent: 1, Ran: 1, MaxWait: time.Second, MaxGap: 5 * time.Minute,
				Allowance: 5*time.Minute + time.Second, RanAt: []time.Duration{5*time.Minute + time.Second}}},
		{name: "behind a backlog: the wait counts", known: true,
			checks: []history.Check{
				{Enqueued: 5 * time.Minute, At: 6 * time.Minute, Outcome: history.CheckRan},
				{Enqueued: 10 * time.Minute, Outcome: history.CheckQueued}},
			want: CheckerDelay{Known: true, Sent: 2, Ran: 1, Queued: 1, MaxWait: time.Minute, MaxGap: 5 * time.Minute,
				Allowance: 6 * time.Minute, RanAt: []time.Duration{6 * time.Minute}}},
		{name: "still queued at the end: its wait so far counts", known: true,
			checks: []history.Check{
				{Enqueued: 2 * time.Minute, At: 2 * time.Minute, Outcome: history.CheckRan},
				{Enqueued: 4 * time.Minute, At: 11 * time.Minute, Outcome: history.CheckRan}},
			want: CheckerDelay{Known: true, Sent: 2, Ran: 1, Late: 1, MaxWait: 6 * time.Minute, MaxGap: 6 * time.Minute,
				Allowance: 12 * time.Minute, RanAt: []time.Duration{2 * time.Minute}}},
		{name: "a dropped copy: the gap spans it", known: true,
			checks: []history.Check{
				{Enqueued: time.Minute, At: time.Minute, Outcome: history.CheckRan},
				{Enqueued: 3 * time.Minute, At: 8 * time.Minute, Outcome: history.CheckDropped},
				{Enqueued: 5 * time.Minute, At: 5 * time.Minute, Outcome: history.CheckRan},
				{Enqueued: 7 * time.Minute, Outcome: history.CheckUnsent},
				{Enqueued: 9 * time.Minute, At: 9 * time.Minute, Outcome: history.CheckFailed}},
			want: CheckerDelay{Known: true, Sent: 5, Ran: 2, Dropped: 1, Unsent: 1, Failed: 1, MaxDropWait: 5 * time.Minute,
				MaxGap: 5 * time.Minute, Allowance: 5 * time.Minute, RanAt: []time.Duration{time.Minute, 5 * time.Minute}}},
		{name: "none ran: the whole run is one gap", known: true,
			checks: []history.Check{{Enqueued: 5 * time.Minute, At: 5*time.Minute + 4*time.Minute + time.Second, Outcome: history.CheckDropped}},
			want:   CheckerDelay{Known: true, Sent: 1, Dropped: 1, MaxDropWait: 4*time.Minute + time.Second, MaxGap: run, Allowance: run}},
		{name: "copies sent after the run judge nothing", known: true,
			checks: []history.Check{{Enqueued: 11 * time.Minute, At: 11 * time.Minute, Outcome: history.CheckRan}},
			want:   CheckerDelay{Known: true, MaxGap: run, Allowance: run}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := history.History{Duration: run, CheckerEvery: 5 * time.Minute, CheckerExpires: 4 * time.Minute,
				ChecksKnown: tc.known, Checks: tc.checks}
			got := checkerDelay(h)
			require.Equal(t, tc.want, got)
			assert.Equal(t, tc.known && tc.want.Ran == 0, got.NoneRan())
		})
	}
}

// A service's own last heartbeat may land after its last poll: the task of
// its last dispatch waited in the queue. Writes of dispatches made after
// its polling (and its poll gap) ended are someone else's.
func TestHeartbeatLag(t *testing.T) {
	tests := []struct {
		name     string
		lag      time.Duration
		external bool
		// want is its lag; early, the lag had it stopped at 2m, when the
		// dispatch at 2m01s (in its poll gap) landed 10 ms later.
		want, early time.Duration
	}{
		{"landed at once", 10 * time.Millisecond, false, 10 * time.Millisecond, 1010 * time.Millisecond},
		{"waited 50 s behind a backlog", 50 * time.Second, false, 50 * time.Second, 1010 * time.Millisecond},
		{"external target: dispatches unknown", 50 * time.Second, true, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := healthy()
			// The last dispatch before 4m is at 3m31s; 4m01s is past the poll gap.
			deadAt(&h, 3*time.Minute+31*time.Second, tc.lag, h.Duration)
			h.HaveDispatches = !tc.external
			require.Equal(t, tc.want, newLagIndex(h).of(2, 3*time.Minute+31*time.Second))
			require.Equal(t, tc.early, newLagIndex(h).of(2, 2*time.Minute), "writes of dispatches well after its last poll are not its own")
		})
	}
}
