package reports

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/verify"
)

// verdictWord is the one-word result of a run as every report prints it.
func verdictWord(s Summary) string {
	switch {
	case s.Interrupted:
		return "INTERRUPTED"
	case s.LoadGenerator.Saturated:
		// The load generator fell behind: whatever the verdicts say, the
		// target got less load than asked for, so nothing was proven.
		return "UNUSABLE"
	case s.Passed:
		return "PASS"
	default:
		return "FAIL"
	}
}

// mark says whether a verdict matched its expectation.
func mark(v verify.Verdict) string {
	if v.Passed {
		return "✓"
	}
	return "✗"
}

// modelDuration prints model seconds the way scenario files spell durations
// ("10m", "1m30s", "2.5s").
func modelDuration(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return strconv.FormatFloat(sec, 'f', -1, 64)
	}
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d >= time.Minute:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(100 * time.Millisecond)
	default:
		d = d.Round(time.Millisecond)
	}
	out := d.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

// num prints a measurement with at most `prec` decimals and no trailing zeros.
func num(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// expectedRange prints a key's dispatch bounds.
func expectedRange(k KeyStats) string {
	return "[" + strconv.Itoa(k.ExpectedMin) + ", " + strconv.Itoa(k.ExpectedMax) + "]"
}

// minGap prints a key's closest dispatch pair, or a dash when it had none.
func minGap(k KeyStats) string {
	if k.Dispatches < 2 {
		return "—"
	}
	return num(k.MinGapS, 2) + " s"
}

// targetName prints where the run was aimed.
func targetName(s Summary) string {
	if s.Target == "" {
		return "in-process"
	}
	return s.Target
}
