package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hbharness/hbharness/summary"
)

// extentText sizes a failed verdict whole, for its headline: how much of
// what was judged was wrong, for how long in all and between when, and the
// worst value against its bound. "" when the verdict carries no extent (a
// summary written before verdicts did).
func extentText(x *summary.Extent) string {
	if x == nil {
		return ""
	}
	parts := []string{fmt.Sprintf("%d of %d %s", x.Count, x.Of, x.Noun)}
	switch {
	case x.TotalS > 0:
		parts = append(parts, fmt.Sprintf("%s in all, from %s to %s", modelDuration(x.TotalS), modelDuration(x.FromS), modelDuration(x.ToS)))
	case x.ToS > x.FromS:
		parts = append(parts, fmt.Sprintf("from %s to %s", modelDuration(x.FromS), modelDuration(x.ToS)))
	default:
		parts = append(parts, "at "+modelDuration(x.FromS))
	}
	return strings.Join(append(parts, worstText(x)), " · ")
}

// worstText is the worst value against its bound: "worst 1h0m29s against
// at most 1m", "closest 32µs apart against at least 30s apart".
func worstText(x *summary.Extent) string {
	word, side := "worst", "at most"
	if x.Limit == "min" {
		word, side = "closest", "at least"
		if !isTime(x.Unit) {
			word = "fewest"
		}
	}
	// The bound bears the unit's measure alone: "at most 7", not "at most
	// 7 dispatches of one key" twice over.
	bound := strconv.FormatFloat(x.Bound, 'f', -1, 64)
	if isTime(x.Unit) {
		bound = valueText(x.Bound, "s")
	}
	return fmt.Sprintf("%s %s against %s %s", word, valueText(x.Worst, x.Unit), side, bound)
}

// isTime reports whether a unit counts seconds: "s", or "s apart".
func isTime(unit string) bool {
	rest, ok := strings.CutPrefix(unit, "s")
	return ok && (rest == "" || strings.HasPrefix(rest, " "))
}

// valueText prints a value in its unit; seconds ("s", or "s apart") as a
// duration, to the microsecond below a millisecond, where a gate's failure
// shows.
func valueText(v float64, unit string) string {
	if isTime(unit) {
		rest := strings.TrimPrefix(unit, "s")
		d := modelDuration(v)
		if v > 0 && v < 1e-3 {
			d = strconv.FormatFloat(v*1e6, 'f', 0, 64) + "µs"
		}
		return d + rest
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
}
