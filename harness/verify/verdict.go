package verify

// Invariant names are fixed by DESIGN.md §6; reports and CI thresholds key on them.
const (
	AtMostOnePerWindow      = "dispatch_at_most_one_per_window"
	RateNearExpected        = "dispatch_rate_near_expected"
	LastSeenNeverStale      = "last_seen_never_stale"
	NeverOfflineWhilePolled = "never_marked_offline_while_polled"
	RequestsSucceed         = "requests_succeed"
	ObserversAgree          = "observers_agree"
)

// Names lists the invariants in report order.
func Names() []string {
	return []string{AtMostOnePerWindow, RateNearExpected, LastSeenNeverStale,
		NeverOfflineWhilePolled, RequestsSucceed, ObserversAgree}
}

// Outcome is what an invariant did ("pass", "fail") or "n/a" when it cannot be judged
// (observers_agree in external mode).
type Outcome string

const (
	Pass          Outcome = "pass"
	Fail          Outcome = "fail"
	NotApplicable Outcome = "n/a"
)

// Verdict is one invariant's result. Passed is true when Outcome matched
// Expected (a known-bad scenario passes by failing as it declared).
type Verdict struct {
	Name     string  `json:"name"`
	Outcome  Outcome `json:"outcome"`
	Expected Outcome `json:"expected"`
	Passed   bool    `json:"passed"`
	Detail   string  `json:"detail"`
}
