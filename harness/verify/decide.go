package verify

import (
	"fmt"
	"strings"

	"github.com/hbharness/hbharness/summary"
)

// MismatchError says that a verdict judged and missed its expectation: a
// finding about the target (the CLI exits 1, docs/design.md#cli-contract).
type MismatchError struct{ msg string }

func (e *MismatchError) Error() string { return e.msg }

// NoFindingError says that the runs found nothing about their target, for
// or against: one tested nothing (every request refused), or a verdict
// expected to pass judged nothing. Not a finding (the CLI exits 2).
type NoFindingError struct{ msg string }

func (e *NoFindingError) Error() string { return e.msg }

// Decide says what runs, read from their summaries, found: nil when every
// verdict matched its expectation on evidence, else a *NoFindingError or a
// *MismatchError, naming each run and verdict. A run that tested nothing
// outweighs a mismatch, which outweighs a verdict that judged nothing.
func Decide(runs []summary.Summary) error {
	var unusable, missed, inconclusive []string
	for _, s := range runs {
		name := s.Scenario + "/" + s.Strategy
		if s.Unusable != "" {
			unusable = append(unusable, name+": "+s.Unusable)
			continue
		}
		c := Conclude(s.Invariants)
		if len(c.Missed) > 0 {
			var names []string
			for _, v := range c.Missed {
				names = append(names, fmt.Sprintf("%s (%s, expected %s)", v.Name, v.Outcome, v.Expected))
			}
			missed = append(missed, name+": "+strings.Join(names, ", "))
		}
		for _, v := range c.Inconclusive {
			inconclusive = append(inconclusive, fmt.Sprintf("%s: %s judged nothing (%s)", name, v.Name, strings.TrimPrefix(v.Detail, "inconclusive: ")))
		}
	}
	switch {
	case len(unusable) > 0:
		return &NoFindingError{"the run tested nothing about its target:\n  " + strings.Join(unusable, "\n  ")}
	case len(missed) > 0:
		return &MismatchError{"verdicts did not match:\n  " + strings.Join(missed, "\n  ")}
	case len(inconclusive) > 0:
		return &NoFindingError{"no evidence for a verdict expected to pass:\n  " + strings.Join(inconclusive, "\n  ")}
	}
	return nil
}
