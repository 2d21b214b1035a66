package summary

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
	// Either is an expectation only, never an outcome: the design leaves
	// the verdict to a race, so a pass and a fail both match it and the
	// outcome is reported as it fell (docs/design.md#invariants).
	Either Outcome = "either"
)

// Verdict is one invariant's result, as the verifier reached it and
// summary.json holds it. Passed is true when Outcome matched Expected (a
// known-bad scenario passes by failing as it declared).
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
	// Extent is the whole of a failed verdict's violation, where Where is
	// only its worst place: a headline that gave the worst place alone
	// would understate an hour of staleness as its first half-minute.
	Extent *Extent `json:"extent,omitempty"`
}

// Extent sizes a violation three ways: how long it lasted, how bad it got
// against its bound, and how much of what was judged it took in.
type Extent struct {
	// FromS and ToS bound the violation in model seconds: the first judged
	// thing found wrong, and the end of the last.
	FromS float64 `json:"from_s"`
	ToS   float64 `json:"to_s"`
	// TotalS is the model time in violation, overlaps counted once (it is
	// less than ToS-FromS when the violation came and went).
	TotalS float64 `json:"total_s"`
	// Worst is the worst value judged, against Bound, both in Unit ("s",
	// "dispatches", "requests"); Limit says which side of the bound is
	// allowed: "max" (Worst should be at most Bound) or "min".
	Worst float64 `json:"worst"`
	Bound float64 `json:"bound"`
	Unit  string  `json:"unit"`
	Limit string  `json:"limit"`
	// Count of Of judged things were wrong; Noun names them, plural
	// ("judged samples", "gaps", "keys").
	Count int    `json:"count"`
	Of    int    `json:"of"`
	Noun  string `json:"noun"`
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

// Evidence is a list of counts in the order they read best.
type Evidence []Count

// Count is one kind of thing judged.
type Count struct {
	What string `json:"what"`
	N    int64  `json:"n"`
}
