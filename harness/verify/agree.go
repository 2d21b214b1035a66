package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// checkAgree reconciles, dispatch by dispatch, what the target says it did
// with what the database audit saw. Every write carries the id of the
// dispatch whose task made it, so per key
//
//	dispatches = written + skipped + failed + still queued
//
// and a dispatch written twice (a redelivered task), written although its
// task says it wrote nothing (skipped), or never accounted for at all (a
// lost task) fails, named. A task that failed yet wrote once is an
// indeterminate commit, counted as written and said so. Not applicable to an external target, whose dispatches are unseen.
func checkAgree(h history.History) judgement {
	if !h.HaveDispatches {
		return judgement{outcome: summary.NotApplicable, detail: "not applicable: external target (its dispatches and tasks cannot be seen)"}
	}
	r := reconcile(h)
	ev := summary.Evidence{count("dispatches reconciled", len(h.Dispatches)), count("writes", len(h.Writes))}
	if len(h.Dispatches) == 0 && len(h.Writes) == 0 {
		return inconclusive("nothing was dispatched and nothing written", ev...)
	}
	tally := r.tally()
	if len(r.findings) > 0 {
		shown := r.findings[:min(len(r.findings), 3)]
		more := ""
		if n := len(r.findings) - len(shown); n > 0 {
			more = fmt.Sprintf(" (+%d more)", n)
		}
		return fail(strings.Join(shown, "; ")+more+" — "+tally, ev...).locate(r.first)
	}
	return pass(tally, ev...)
}

// reconciliation is the per-dispatch account of a run.
type reconciliation struct {
	wrote, skipped, failed, pending, undetermined int
	// Indeterminate counts writes whose task reported a failure: committed
	// although the task could not tell.
	indeterminate int
	findings      []string
	// first locates the earliest finding.
	first *summary.Where
	// PerKey counts writes attributed to each key through their dispatch.
	perKey map[string]int
}

func (r reconciliation) tally() string {
	s := fmt.Sprintf("every dispatch accounted for: %d written once, %d skipped, %d failed, %d still queued at the end",
		r.wrote, r.skipped, r.failed, r.pending)
	if r.indeterminate > 0 {
		s += fmt.Sprintf(" (%d of them by a task that reported failure: its commit landed, the reply did not)", r.indeterminate)
	}
	if r.undetermined > 0 {
		s += fmt.Sprintf(", %d not found in a queue that could not be listed (not judged)", r.undetermined)
	}
	return s
}

func reconcile(h history.History) reconciliation {
	r := reconciliation{perKey: map[string]int{}}
	dispatches := make(map[string]history.Dispatch, len(h.Dispatches))
	for _, d := range h.Dispatches {
		dispatches[d.ID] = d
	}
	tasks := map[string][]history.Task{}
	for _, t := range h.Tasks {
		tasks[t.DispatchID] = append(tasks[t.DispatchID], t)
	}
	writes := map[string][]history.Write{}
	for _, w := range h.Writes {
		if _, ok := dispatches[w.DispatchID]; !ok {
			who := "a write no dispatch tagged"
			if w.DispatchID != "" {
				who = fmt.Sprintf("a write tagged with unknown dispatch %s", w.DispatchID)
			}
			r.findings = append(r.findings, fmt.Sprintf("%s (transaction %d at %s, services %v)", who, w.TxID, fmtDur(w.At), w.Services))
			r.found(at(fmt.Sprintf("transaction %d", w.TxID), w.At))
			continue
		}
		writes[w.DispatchID] = append(writes[w.DispatchID], w)
		r.perKey[dispatches[w.DispatchID].Key]++
	}
	pending := map[string]bool{}
	for _, id := range h.Pending {
		pending[id] = true
	}
	ordered := slices.Clone(h.Dispatches)
	slices.SortStableFunc(ordered, func(a, b history.Dispatch) int { return int(a.At - b.At) })
	for _, d := range ordered {
		before := len(r.findings)
		ws, ts := writes[d.ID], tasks[d.ID]
		name := fmt.Sprintf("dispatch %s (key %s at %s)", d.ID, d.Key, fmtDur(d.At))
		switch {
		case len(ws) > 1:
			r.findings = append(r.findings, fmt.Sprintf("%s written %d times, at %s: its task ran more than once", name, len(ws), writeTimes(ws)))
		case len(ts) > 1:
			r.findings = append(r.findings, fmt.Sprintf("%s had its task run %d times", name, len(ts)))
		case len(ts) == 1 && ts[0].Result == history.TaskWrote && len(ws) == 0:
			r.findings = append(r.findings, fmt.Sprintf("%s: its task says it wrote %d rows, the audit saw no write", name, ts[0].Rows))
		case len(ts) == 1 && ts[0].Result == history.TaskFailed && len(ws) == 1:
			// An error after the COMMIT reached the server (its reply lost,
			// the deadline hit while it travelled) leaves an outcome the
			// task cannot know; one write for one dispatch is no disagreement.
			r.wrote++
			r.indeterminate++
		case len(ts) == 1 && ts[0].Result != history.TaskWrote && len(ws) == 1:
			r.findings = append(r.findings, fmt.Sprintf("%s: its task says %s, yet the audit saw it write at %s", name, ts[0].Result, fmtDur(ws[0].At)))
		case len(ts) == 0 && len(ws) == 1:
			r.findings = append(r.findings, fmt.Sprintf("%s wrote at %s but its task never reported", name, fmtDur(ws[0].At)))
		case len(ts) == 1 && ts[0].Result == history.TaskWrote:
			r.wrote++
		case len(ts) == 1 && ts[0].Result == history.TaskSkipped:
			r.skipped++
		case len(ts) == 1:
			r.failed++
		case pending[d.ID]:
			r.pending++
		case !h.PendingKnown:
			r.undetermined++
		default:
			r.findings = append(r.findings, fmt.Sprintf("%s was lost: no task ran, no write, not in the queue", name))
		}
		if len(r.findings) > before {
			r.found(at(fmt.Sprintf("dispatch %s (key %s)", d.ID, d.Key), d.At))
		}
	}
	return r
}

// found keeps the earliest finding's place.
func (r *reconciliation) found(w *summary.Where) {
	if r.first == nil || *w.FromS < *r.first.FromS {
		r.first = w
	}
}

func writeTimes(ws []history.Write) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, fmtDur(w.At))
	}
	return strings.Join(parts, " and ")
}
