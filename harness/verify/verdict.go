package verify

import (
	"time"

	"github.com/hbharness/hbharness/summary"
)

// Invariant names are fixed by docs/design.md#invariants; reports and CI thresholds key on them.
const (
	AtMostOnePerWindow      = "dispatch_at_most_one_per_window"
	RateNearExpected        = "dispatch_rate_near_expected"
	LastSeenNeverStale      = "last_seen_never_stale"
	NeverOfflineWhilePolled = "never_marked_offline_while_polled"
	RequestsSucceed         = "requests_succeed"
	ObserversAgree          = "observers_agree"
	NoFalseLiveness         = "no_false_liveness"
	RecoversAfterFault      = "recovers_after_fault"
	LastSeenNotInFuture     = "last_seen_not_in_future"
)

// Names lists the invariants in report order.
func Names() []string {
	return []string{AtMostOnePerWindow, RateNearExpected, LastSeenNeverStale,
		NeverOfflineWhilePolled, RequestsSucceed, ObserversAgree, NoFalseLiveness, RecoversAfterFault, LastSeenNotInFuture}
}

// Expectable lists the outcomes a scenario may expect.
func Expectable() []summary.Outcome {
	return []summary.Outcome{summary.Pass, summary.Fail, summary.Either}
}

// matches reports whether an outcome meets an expectation: the same
// outcome; a pass or a fail where either was expected; n/a always, since
// the invariant cannot apply. Inconclusive never does.
func matches(outcome, expected summary.Outcome) bool {
	switch {
	case outcome == summary.NotApplicable:
		return true
	case expected == summary.Either:
		return outcome == summary.Pass || outcome == summary.Fail
	}
	return outcome == expected
}

// at locates a finding at one model time.
func at(subject string, t time.Duration) *summary.Where {
	return &summary.Where{Subject: subject, FromS: seconds(t)}
}

// during locates a finding over a span of model time; an empty span is an
// instant.
func during(subject string, from, to time.Duration) *summary.Where {
	w := at(subject, from)
	if to > from {
		w.ToS = seconds(to)
	}
	return w
}

func seconds(d time.Duration) *float64 {
	s := d.Seconds()
	return &s
}

// judgement is what one checker returns.
type judgement struct {
	outcome  summary.Outcome
	detail   string
	evidence summary.Evidence
	where    *summary.Where
	extent   *summary.Extent
}

func pass(detail string, ev ...summary.Count) judgement {
	return judgement{outcome: summary.Pass, detail: detail, evidence: ev}
}
func fail(detail string, ev ...summary.Count) judgement {
	return judgement{outcome: summary.Fail, detail: detail, evidence: ev}
}
func inconclusive(why string, ev ...summary.Count) judgement {
	return judgement{outcome: summary.Inconclusive, detail: "inconclusive: " + why, evidence: ev}
}

// locate says where a judgement's finding is.
func (j judgement) locate(w *summary.Where) judgement {
	j.where = w
	return j
}
func count(what string, n int) summary.Count { return summary.Count{What: what, N: int64(n)} }
