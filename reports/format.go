package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// verdictWord is the one-word result of a run as every report prints it.
func verdictWord(s summary.Summary) string {
	switch {
	case s.Skipped != "":
		return "SKIPPED"
	case s.Interrupted:
		return "INTERRUPTED"
	case s.LoadGenerator.Saturated || s.Unusable != "":
		// The load generator fell behind, or every request was refused:
		// whatever the verdicts say, nothing was proven about the target.
		return "UNUSABLE"
	case s.Passed:
		return "PASS"
	case inconclusiveOnly(s):
		return "INCONCLUSIVE"
	default:
		return "FAIL"
	}
}

// inconclusiveOnly reports a run whose only misses are verdicts that could
// not judge: it proved nothing either way.
func inconclusiveOnly(s summary.Summary) bool {
	c := verify.Conclude(s.Invariants)
	return len(c.Missed) == 0 && len(c.Inconclusive) > 0
}

// evidenceText lists what a verdict judged: "38 gaps, 40 dispatches".
func evidenceText(ev summary.Evidence) string {
	if len(ev) == 0 {
		return "—"
	}
	parts := make([]string, len(ev))
	for i, c := range ev {
		parts[i] = fmt.Sprintf("%d %s", c.N, c.What)
	}
	return strings.Join(parts, ", ")
}

// toleranceText states the tolerance of the clock the dispatch gaps were
// judged on, and the detection limit of sampled writes.
func toleranceText(s summary.Summary) string {
	t := fmt.Sprintf("clock tolerance %s ms", metric.Num(s.ClockToleranceMS, 3))
	if s.DetectionLimitS > 0 {
		t += fmt.Sprintf(" · writes closer than %s cannot be told apart", modelDuration(s.DetectionLimitS))
	}
	return t
}

// mark says whether a verdict matched its expectation.
func mark(v summary.Verdict) string {
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

// expectedRange prints a key's dispatch bounds.
func expectedRange(k summary.KeyStats) string {
	return "[" + strconv.Itoa(k.ExpectedMin) + ", " + strconv.Itoa(k.ExpectedMax) + "]"
}

// minGap prints a key's closest dispatch pair, or a dash when it had none.
func minGap(k summary.KeyStats) string {
	if k.Dispatches < 2 {
		return "—"
	}
	return metric.Num(k.MinGapS, 2) + " s"
}

// targetName prints where the run was aimed.
func targetName(s summary.Summary) string {
	if s.Target == "" {
		return "in-process"
	}
	return s.Target
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// seconds of model time as a float, the unit every plot's x axis uses.
func sec(d time.Duration) float64 { return d.Seconds() }

// countLabel prints a count or measurement axis tick.
func countLabel(v float64) string { return metric.Num(v, 2) }

// timeLabel prints a time axis tick.
func timeLabel(s float64) string {
	if s == 0 {
		return "0"
	}
	return modelDuration(s)
}
