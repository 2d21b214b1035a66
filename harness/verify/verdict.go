package verify

import "time"

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

// Outcome is what an invariant found.
type Outcome string

const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	// NotApplicable: the invariant cannot be judged on this kind of target
	// (observers_agree on an external one).
	NotApplicable Outcome = "n/a"
	// Inconclusive: it could have been judged, but the run gave it nothing
	// to judge. Never a pass (docs/design.md#invariants).
	Inconclusive Outcome = "inconclusive"
)

// Expectable lists the outcomes a scenario may expect.
func Expectable() []Outcome { return []Outcome{Pass, Fail} }

// Verdict is one invariant's result. Passed is true when Outcome matched
// Expected (a known-bad scenario passes by failing as it declared).
type Verdict struct {
	Name     string  `json:"name"`
	Outcome  Outcome `json:"outcome"`
	Expected Outcome `json:"expected"`
	Passed   bool    `json:"passed"`
	Detail   string  `json:"detail"`
	// Evidence counts what the verdict judged: windows, gaps, writes,
	// samples, requests. All zero means inconclusive.
	Evidence Evidence `json:"evidence"`
	// Where locates the finding behind a failed verdict; nil when it held,
	// or when no one place explains it.
	Where *Where `json:"where,omitempty"`
}

// Where is what a failed verdict found wrong and when, as data rather than
// prose, so that a report can headline it and mark it on the chart that
// shows it.
type Where struct {
	// Subject names the key, service, endpoint or fault, as the detail
	// does: "key heartbeat:pipeline:1:project:1", "service 3".
	Subject string `json:"subject"`
	// FromS and ToS are model seconds since the run started: an instant
	// when ToS is nil, a span otherwise; no time at all when FromS is nil.
	FromS *float64 `json:"from_s,omitempty"`
	ToS   *float64 `json:"to_s,omitempty"`
}

// at locates a finding at one model time.
func at(subject string, t time.Duration) *Where {
	return &Where{Subject: subject, FromS: seconds(t)}
}

// during locates a finding over a span of model time; an empty span is an
// instant.
func during(subject string, from, to time.Duration) *Where {
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

// Evidence is a list of counts in the order they read best.
type Evidence []Count

// Count is one kind of thing judged.
type Count struct {
	What string `json:"what"`
	N    int64  `json:"n"`
}

// judgement is what one checker returns.
type judgement struct {
	outcome  Outcome
	detail   string
	evidence Evidence
	where    *Where
}

func pass(detail string, ev ...Count) judgement {
	return judgement{outcome: Pass, detail: detail, evidence: ev}
}
func fail(detail string, ev ...Count) judgement {
	return judgement{outcome: Fail, detail: detail, evidence: ev}
}
func inconclusive(why string, ev ...Count) judgement {
	return judgement{outcome: Inconclusive, detail: "inconclusive: " + why, evidence: ev}
}

// locate says where a judgement's finding is.
func (j judgement) locate(w *Where) judgement {
	j.where = w
	return j
}
func count(what string, n int) Count { return Count{What: what, N: int64(n)} }
