package reports

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// tableKeys is how many keys the terminal table shows; the rest are in
// summary.json and the HTML report.
const tableKeys = 10

// WriteTable writes the human table of one run: the verdicts first, because
// they decide the exit code, then the numbers that explain them.
func WriteTable(w io.Writer, s summary.Summary) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s · %s · time scale %s · model %s · %s\n",
		s.Scenario, s.Strategy, metric.Num(s.TimeScale, 4), modelDuration(s.ModelDurationS), verdictWord(s))
	fmt.Fprintf(ew, "target %s · failure policy %s · replicas %d · writes observed by %s · %s\n",
		targetName(s), orDash(s.FailurePolicy), s.Replicas, orDash(s.Observation), toleranceText(s))
	if s.Unusable != "" {
		fmt.Fprintf(ew, "UNUSABLE: %s\n", s.Unusable)
	}
	if s.Interrupted {
		fmt.Fprintf(ew, "interrupted: verdicts judge only the first %s of model time\n", modelDuration(s.ModelDurationS))
	}
	fmt.Fprintln(ew)

	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INVARIANT\tOUTCOME\tEXPECTED\t\tEVIDENCE\tDETAIL")
	for _, v := range s.Invariants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Name, v.Outcome, v.Expected, mark(v), evidenceText(v.Evidence), oneLine(v.Detail))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write verdict table: %w", err)
	}
	fmt.Fprintln(ew)

	for _, f := range runFacts(s) {
		fmt.Fprintf(ew, "%-11s %s\n", f.Label, f.Text)
	}

	if len(s.Keys) > 0 {
		fmt.Fprintln(ew)
		keys := worstKeys(s.Keys)
		shown := keys[:min(len(keys), tableKeys)]
		// Numbers align right. Each cell carries its own two-space gap and
		// the key is padded by hand, so that the key column stays flush left.
		tw = tabwriter.NewWriter(ew, 0, 0, 0, ' ', tabwriter.AlignRight)
		width := 0
		for _, k := range shown {
			width = max(width, len([]rune(k.Key)))
		}
		fmt.Fprintf(tw, "%-*s\t  DISPATCHES\t  EXPECTED\t  MIN GAP\t  DB WRITES\t\n", width, "KEY")
		for _, k := range shown {
			fmt.Fprintf(tw, "%-*s\t  %d\t  %s\t  %s\t  %d\t\n", width, k.Key, k.Dispatches, expectedRange(k), minGap(k), k.DBWrites)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write key table: %w", err)
		}
		if more := len(keys) - len(shown); more > 0 {
			fmt.Fprintf(ew, "(+%d more)\n", more)
		}
	}
	return ew.err
}

// worstKeys orders keys by how far their dispatch count lies outside its
// bounds, then by the closest gap between two dispatches, so the keys that
// explain a failing verdict come first. The input is not modified.
func worstKeys(keys []summary.KeyStats) []summary.KeyStats {
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b summary.KeyStats) int {
		if c := cmp.Compare(outside(b), outside(a)); c != 0 {
			return c
		}
		if c := cmp.Compare(gapRank(a), gapRank(b)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// outside is how many dispatches a key lies outside [ExpectedMin, ExpectedMax].
func outside(k summary.KeyStats) int {
	return max(k.ExpectedMin-k.Dispatches, k.Dispatches-k.ExpectedMax, 0)
}

// gapRank sorts keys without a gap (fewer than two dispatches) after every key
// that has one.
func gapRank(k summary.KeyStats) float64 {
	if k.Dispatches < 2 {
		return float64(1 << 62)
	}
	return k.MinGapS
}

func saturatedNote(lg summary.LoadGenerator) string {
	if lg.Saturated {
		return " · SATURATED: the target got less load than the scenario asked for"
	}
	return ""
}

// viewsText is each route's view hold, server side: mean and longest.
func viewsText(v *summary.Views) string {
	routes := make([]string, 0, len(v.ByRoute))
	for r := range v.ByRoute {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	parts := make([]string, 0, len(routes))
	for _, r := range routes {
		t := v.ByRoute[r]
		parts = append(parts, fmt.Sprintf("%s mean %s s, max %s s", r, metric.Num(t.MeanS, 2), metric.Num(t.MaxS, 1)))
	}
	return "held (server side): " + strings.Join(parts, " · ")
}

func refusedText(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" · %d refused for want of a database connection", n)
}

func lockErrors(l *summary.DatabaseLocks) string {
	if l.Errors == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d failed: waits then not seen)", l.Errors)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// oneLine keeps a detail from breaking the table's columns.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// errWriter keeps the first write error so that a long run of Fprintf calls
// can be checked once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("write report: %w", err)
	}
	return n, e.err
}

// fact is one line of a run's numbers: the terminal table prints it as
// "label text", the page as a row, so that both say the same.
type fact struct {
	Label string
	Text  string
	// Class tints the page's row: "bad" (red) or "expected" (amber) when it
	// shows a verdict's violation; "" otherwise.
	Class string
}

// runFacts are the numbers that explain a run's verdicts: requests,
// totals, liveness, locks, views, the load generator, each fault's impact
// and recovery, and the notes.
func runFacts(s summary.Summary) []fact {
	r := s.Requests
	facts := []fact{
		{Label: "requests", Text: fmt.Sprintf("%d total, %d ok, %d errors · %s req/s (model) · p50 %s ms · p99 %s ms",
			r.Total, r.OK, r.Errors, metric.Num(r.RPSModel, 1), metric.Num(r.P50MS, 2), metric.Num(r.P99MS, 2))},
		{Label: "totals", Text: fmt.Sprintf("%d dispatches · %d db writes · max staleness %s s (Antenna's, from the stored last_seen) · oldest age since a write %s s",
			s.DispatchesTotal, s.DBWritesTotal, metric.Num(s.MaxStalenessS, 2), metric.Num(s.MaxAgeSinceWriteS, 2))},
	}
	if lv := s.Liveness; lv.Stopped > 0 || lv.FalseLiveS > 0 {
		f := fact{Label: "liveness", Text: fmt.Sprintf("%s s read live while silent · %d of %d stopped services read offline%s · bounds [%s, %s] s",
			metric.Num(lv.FalseLiveS, 1), lv.Detected, lv.Stopped, timeToOffline(lv), metric.Num(lv.BoundsS[0], 0), metric.Num(lv.BoundsS[1], 0))}
		f.Class = failurePaint(s, verify.NoFalseLiveness)
		facts = append(facts, f)
	}
	if l := s.DatabaseLocks; l != nil && (l.WaitingBackendS > 0 || l.Deadlocks > 0 || l.Errors > 0) {
		facts = append(facts, fact{Label: "db locks", Text: fmt.Sprintf("%s backend-s waiting on locks · at most %d at once · %d deadlocks · %d samples every %s s%s",
			metric.Num(l.WaitingBackendS, 1), l.MaxWaiting, l.Deadlocks, l.Samples, metric.Num(l.SampleEveryS, 3), lockErrors(l))})
	}
	if v := s.Views; v != nil && len(v.ByRoute) > 0 {
		facts = append(facts, fact{Label: "views", Text: viewsText(v) + refusedText(v.Refused)})
	}
	if lg := s.LoadGenerator; lg != (summary.LoadGenerator{}) {
		facts = append(facts, fact{Label: "load gen", Text: fmt.Sprintf("schedule lag p99 %s ms · %d late · %d dropped%s",
			metric.Num(lg.ScheduleLagP99MS, 2), lg.LateSends, lg.DroppedSends, saturatedNote(lg))})
	}
	for _, f := range s.Faults {
		kind := f.Kind
		if d := f.Planned.Describe(); d != "" {
			kind += " (" + d + ")"
		}
		ft := fact{Label: "fault", Text: fmt.Sprintf("%s at %s for %s · %d dispatches, %d writes, worst staleness %s s%s · %s",
			kind, modelDuration(f.AtS), modelDuration(f.ForS), f.During.Dispatches, f.During.DBWrites,
			metric.Num(f.During.WorstStalenessS, 1), faultErrors(f.During), recoveryText(f))}
		if f.RecoveryS == nil || *f.RecoveryS > f.RecoveryBoundS {
			// Got over too slowly: recovers_after_fault's finding.
			ft.Class = failurePaint(s, verify.RecoversAfterFault)
		}
		facts = append(facts, ft)
	}
	for _, n := range s.Notes {
		facts = append(facts, fact{Label: "note", Text: oneLine(n)})
	}
	return facts
}

// timeToOffline states how long detection took, when any was detected.
func timeToOffline(lv summary.Liveness) string {
	if lv.TimeToOfflineMaxS == nil {
		return ""
	}
	return fmt.Sprintf(", after max %s s, p50 %s s", metric.Num(*lv.TimeToOfflineMaxS, 1), metric.Num(*lv.TimeToOfflineP50S, 1))
}

func faultErrors(d summary.During) string {
	var parts []string
	for _, ep := range slices.Sorted(maps.Keys(d.Errors)) {
		parts = append(parts, fmt.Sprintf("%d %s", d.Errors[ep], ep))
	}
	if len(parts) == 0 {
		return ""
	}
	return " · errors " + strings.Join(parts, ", ")
}

func recoveryText(f summary.Fault) string {
	if f.RecoveryS == nil {
		return fmt.Sprintf("not got over within the run (bound %s s)", metric.Num(f.RecoveryBoundS, 1))
	}
	return fmt.Sprintf("recovered in %s s (bound %s s)", metric.Num(*f.RecoveryS, 1), metric.Num(f.RecoveryBoundS, 1))
}
