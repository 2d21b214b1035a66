package verify

// Invariant names are fixed by DESIGN.md §6; reports and CI thresholds key on them.
const (
	AtMostOnePerWindow      = "dispatch_at_most_one_per_window"
	RateNearExpected        = "dispatch_rate_near_expected"
	LastSeenNeverStale      = "last_seen_never_stale"
	NeverOfflineWhilePolled = "never_marked_offline_while_polled"
	RequestsSucceed         = "requests_succeed"
	ObserversAgree          = "observers_agree"
	NoFalseLiveness         = "no_false_liveness"
	RecoversAfterFault      = "recovers_after_fault"
)

// Names lists the invariants in report order.
func Names() []string {
	return []string{AtMostOnePerWindow, RateNearExpected, LastSeenNeverStale,
		NeverOfflineWhilePolled, RequestsSucceed, ObserversAgree, NoFalseLiveness, RecoversAfterFault}
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
	// to judge. Never a pass (DESIGN.md §6).
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
}

func pass(detail string, ev ...Count) judgement { return judgement{Pass, detail, ev} }
func fail(detail string, ev ...Count) judgement { return judgement{Fail, detail, ev} }
func inconclusive(why string, ev ...Count) judgement {
	return judgement{Inconclusive, "inconclusive: " + why, ev}
}
func count(what string, n int) Count { return Count{What: what, N: int64(n)} }
