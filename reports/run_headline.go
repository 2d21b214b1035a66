package reports

import (
	"fmt"
	"strings"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// headline is the one line above a run's verdicts that says what happened
// and when: the failing invariant, the key or service, the model time, and
// the fault in effect. Class picks its colour: "fail" (red), "expected"
// (amber: failures the scenario declares), "pass" (green), "void" (grey: the
// run proved nothing).
type headline struct {
	Class string
	Lead  string // the bold opening: which invariant, what outcome
	Rest  string
	// Short is Rest cut to the finding's size (its extent, or the gist of
	// its detail), for one line on a suite's index.
	Short string
}

// runHeadline picks the one finding a reader should see first: a run that
// proved nothing says why; otherwise the first verdict that missed its
// expectation; otherwise the first expected failure; otherwise that all
// matched.
func runHeadline(s summary.Summary) headline {
	switch {
	case s.Unusable != "":
		return headline{Class: "void", Lead: "UNUSABLE", Rest: oneLine(s.Unusable)}
	case s.LoadGenerator.Saturated:
		return headline{Class: "void", Lead: "UNUSABLE",
			Rest: "the load generator was saturated: the target got less load than the scenario asked for, so no verdict holds"}
	}
	c := verify.Conclude(s.Invariants)
	var expected []summary.Verdict
	for _, v := range s.Invariants {
		if expectedFailure(v) {
			expected = append(expected, v)
		}
	}
	var h headline
	switch {
	case len(c.Missed) > 0:
		v := c.Missed[0]
		h = headline{Class: "fail", Lead: fmt.Sprintf("✗ %s %s, expected %s", v.Name, outcomeWord(v.Outcome), v.Expected),
			Rest: headlineText(s, v), Short: shortText(v)}
		if n := len(c.Missed) - 1; n > 0 {
			h.Rest += fmt.Sprintf(" (+%d more missed)", n)
		}
	case len(c.Inconclusive) > 0:
		v := c.Inconclusive[0]
		h = headline{Class: "void", Lead: "? " + v.Name + " judged nothing",
			Rest: strings.TrimPrefix(oneLine(v.Detail), "inconclusive: ")}
	case len(expected) > 0:
		v := expected[0]
		h = headline{Class: "expected", Lead: fmt.Sprintf("%s failed, as the scenario expects", v.Name), Rest: headlineText(s, v), Short: shortText(v)}
		if n := len(expected) - 1; n > 0 {
			names := make([]string, 0, n)
			for _, e := range expected[1:] {
				name := e.Name
				if e.Extent != nil {
					// Its size too: db-lock's 692 dispatches against at
					// most 7 is the rate verdict's, not the first one's.
					name += fmt.Sprintf(" (%d of %d %s; %s)", e.Extent.Count, e.Extent.Of, e.Extent.Noun, worstText(e.Extent))
				}
				names = append(names, name)
			}
			h.Rest += " (also expected to fail, and did: " + strings.Join(names, ", ") + ")"
		}
	case len(s.Invariants) == 0:
		h = headline{Class: "void", Lead: "no verdicts", Rest: "the run was not judged"}
	default:
		h = headline{Class: "pass", Lead: "✓ every verdict matched its expectation", Rest: passTally(s.Invariants)}
	}
	if h.Short == "" {
		h.Short = h.Rest
	}
	if s.Interrupted {
		h.Class = "void"
		cut := fmt.Sprintf(" · the run was interrupted after %s of model time", modelDuration(s.ModelDurationS))
		h.Rest += cut
		h.Short += cut
	}
	return h
}

// expectedFailure is a verdict that failed as the scenario declared it
// would (or might: expect either): a known-bad setup shown to be bad, not a
// finding.
func expectedFailure(v summary.Verdict) bool {
	return v.Passed && v.Outcome == summary.Fail && (v.Expected == summary.Fail || v.Expected == summary.Either)
}

func outcomeWord(o summary.Outcome) string {
	switch o {
	case summary.Fail:
		return "failed"
	case summary.Pass:
		return "held"
	}
	return string(o)
}

// headlineText is a failed verdict's whole extent, then its worst place.
func headlineText(s summary.Summary, v summary.Verdict) string {
	if x := extentText(v.Extent); x != "" {
		return x + " · at its worst: " + findingText(s, v)
	}
	return findingText(s, v)
}

// shortText sizes a failed verdict in a few words: its extent, or failing
// that the gist of its detail.
func shortText(v summary.Verdict) string {
	if x := extentText(v.Extent); x != "" {
		return x
	}
	return gist(v.Detail)
}

// findingText says where and when a verdict's finding is, and which fault
// was in effect, then the gist of its detail. A summary written before
// verdicts carried a place gives the detail alone.
func findingText(s summary.Summary, v summary.Verdict) string {
	var parts []string
	if w := v.Where; w != nil {
		if w.Subject != "" {
			parts = append(parts, w.Subject)
		}
		if w.FromS != nil {
			from, to := *w.FromS, *w.FromS
			if w.ToS != nil {
				to = *w.ToS
			}
			parts = append(parts, whenText(from, to))
			if f := faultContext(s.Faults, from, to); f != "" {
				parts = append(parts, f)
			}
		}
	}
	if g := gist(v.Detail); g != "" {
		parts = append(parts, g)
	}
	return strings.Join(parts, " · ")
}

// whenText prints an instant or a span of model time.
func whenText(from, to float64) string {
	if to <= from {
		return "at " + modelDuration(from)
	}
	return fmt.Sprintf("from %s to %s", modelDuration(from), modelDuration(to))
}

// faultContext names the faults in effect during [from, to]; failing that,
// the last one to end before it, since what breaks after a fault is often
// its aftermath.
func faultContext(faults []summary.Fault, from, to float64) string {
	var during []string
	var before *summary.Fault
	for i, f := range faults {
		end := f.AtS + f.ForS
		switch {
		case f.AtS <= to && end >= from:
			during = append(during, faultSpan(f))
		case end < from && (before == nil || end > before.AtS+before.ForS):
			before = &faults[i]
		}
	}
	if len(during) > 0 {
		return "during " + strings.Join(during, " and ")
	}
	if before != nil {
		return fmt.Sprintf("%s after %s ended", modelDuration(from-(before.AtS+before.ForS)), faultSpan(*before))
	}
	return "no fault in effect"
}

func faultSpan(f summary.Fault) string {
	return fmt.Sprintf("%s (%s–%s)", f.Kind, modelDuration(f.AtS), modelDuration(f.AtS+f.ForS))
}

// gist is a detail's first clause: what was found, before the counts and
// the rules it was judged by.
func gist(detail string) string {
	d := oneLine(detail)
	for _, sep := range []string{"; ", " — "} {
		if i := strings.Index(d, sep); i > 0 {
			d = d[:i]
		}
	}
	return d
}

// passTally counts a passing run's verdicts by outcome: "6 held, 2 n/a".
func passTally(vs []summary.Verdict) string {
	counts := map[summary.Outcome]int{}
	for _, v := range vs {
		counts[v.Outcome]++
	}
	var parts []string
	for _, o := range []summary.Outcome{summary.Pass, summary.Fail, summary.NotApplicable, summary.Inconclusive} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], outcomeWord(o)))
		}
	}
	return strings.Join(parts, ", ")
}
