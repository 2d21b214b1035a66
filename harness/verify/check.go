package verify

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// Options carries what a scenario declares about its own verdicts.
type Options struct {
	// Expect maps an invariant name to "pass", "fail" or "either", from the
	// scenario's expect: block; invariants it leaves out are expected to
	// pass.
	Expect map[string]string
}

// Validate reports expectations that name no invariant or an outcome other
// than pass/fail, which would otherwise silently never match.
func (o Options) Validate() error {
	var errs []error
	for _, name := range sortedKeys(o.Expect) {
		if !slices.Contains(Names(), name) {
			errs = append(errs, fmt.Errorf("expect: %q is not an invariant; use one of %s", name, strings.Join(Names(), ", ")))
			continue
		}
		if v := summary.Outcome(o.Expect[name]); !slices.Contains(Expectable(), v) {
			errs = append(errs, fmt.Errorf("expect: %s: %q is not an outcome; use %q, %q or %q (a verdict the design leaves to a race)",
				name, o.Expect[name], summary.Pass, summary.Fail, summary.Either))
		}
	}
	return errors.Join(errs...)
}

// invariant is one checker: pure, judging the history alone.
type invariant struct {
	name  string
	check func(history.History) judgement
}

func invariants() []invariant {
	return []invariant{
		{AtMostOnePerWindow, checkAtMostOne},
		{RateNearExpected, checkRate},
		{LastSeenNeverStale, checkStale},
		{NeverOfflineWhilePolled, checkOffline},
		{RequestsSucceed, checkRequests},
		{ObserversAgree, checkAgree},
		{NoFalseLiveness, checkFalseLiveness},
		{RecoversAfterFault, checkRecovery},
		{LastSeenNotInFuture, checkAhead},
	}
}

// Check judges a history against every invariant, one Verdict each in
// Names() order. A verdict passes when its outcome matches what the scenario
// expected; n/a always passes, since the invariant cannot apply; an
// inconclusive one never does.
func Check(h history.History, opt Options) []summary.Verdict {
	invs := invariants()
	verdicts := make([]summary.Verdict, 0, len(invs))
	for _, inv := range invs {
		j := inv.check(h)
		expected := summary.Pass
		if v, ok := opt.Expect[inv.name]; ok {
			expected = summary.Outcome(v)
		}
		verdicts = append(verdicts, summary.Verdict{
			Name:     inv.name,
			Outcome:  j.outcome,
			Expected: expected,
			Passed:   matches(j.outcome, expected),
			Detail:   j.detail,
			Evidence: j.evidence,
			Where:    j.where,
			Extent:   j.extent,
		})
	}
	return verdicts
}

// Passed reports whether every verdict matched its expectation. No verdicts
// at all is not a pass: nothing was proven.
func Passed(vs []summary.Verdict) bool {
	if len(vs) == 0 {
		return false
	}
	for _, v := range vs {
		if !v.Passed {
			return false
		}
	}
	return true
}

// Conclusion sorts a run's missed expectations into the two kinds that lead
// to different exit codes: a verdict that judged and found otherwise (a
// finding about the target), and one that could not judge at all (a run
// that proved nothing about it).
type Conclusion struct {
	Missed       []summary.Verdict
	Inconclusive []summary.Verdict
}

// Conclude sorts verdicts that did not match their expectation.
func Conclude(vs []summary.Verdict) Conclusion {
	var c Conclusion
	for _, v := range vs {
		switch {
		case v.Passed:
		case v.Outcome == summary.Inconclusive:
			c.Inconclusive = append(c.Inconclusive, v)
		default:
			c.Missed = append(c.Missed, v)
		}
	}
	return c
}
