package verify

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

// checkAtMostOne holds every key to one dispatch per throttle window. The
// clock tolerance absorbs scheduler noise on the scaled clock; a gap of
// exactly Throttle - ClockTolerance is still allowed.
func checkAtMostOne(h history.History) (Outcome, string) {
	events, noun := series(h)
	groups := byKey(events)
	limit := h.Throttle - h.ClockTolerance
	tol := fmt.Sprintf("window %s, tolerance %s", fmtDur(h.Throttle), fmtDur(h.ClockTolerance))

	var (
		found               bool
		worstKey            string
		worstGap, worstAt   time.Duration
		violations, badKeys int
	)
	for _, key := range sortedKeys(groups) {
		ats := groups[key]
		bad := false
		for i := 1; i < len(ats); i++ {
			gap := ats[i] - ats[i-1]
			if gap < limit {
				violations++
				bad = true
			}
			if !found || gap < worstGap {
				found, worstKey, worstGap, worstAt = true, key, gap, ats[i]
			}
		}
		if bad {
			badKeys++
		}
	}

	if !h.HaveDispatches && h.UnseenRowUpdates > 0 {
		// Postgres counted row updates the sampler never saw: some row was
		// written twice between two samples, closer than any window allows.
		return Fail, fmt.Sprintf("%d row updates counted by pg_stat_user_tables were never seen by the sampler: writes closer together than the sample period %s (%s)",
			h.UnseenRowUpdates, fmtDur(h.SampleEvery), tol)
	}
	if !found {
		return Pass, fmt.Sprintf("no key had two %s (%d %s on %d keys; %s)",
			noun, len(events), noun, len(groups), tol)
	}
	if violations > 0 {
		return Fail, fmt.Sprintf("key %s: %s %s apart at %s, under %s - %s; %d gaps too short on %d of %d keys (%s)",
			worstKey, noun, fmtDur(worstGap), fmtDur(worstAt), fmtDur(h.Throttle), fmtDur(h.ClockTolerance),
			violations, badKeys, len(groups), tol)
	}
	return Pass, fmt.Sprintf("closest: key %s, %s %s apart at %s (%d %s on %d keys; %s)",
		worstKey, noun, fmtDur(worstGap), fmtDur(worstAt), len(events), noun, len(groups), tol)
}
