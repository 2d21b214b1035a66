package reports

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// expectedFailureRun is a run whose every failure is one its scenario
// declares, judged by the verifier itself so that the page and the verdicts
// agree: testHistory without the double dispatch, in which the broker
// outage leaves key 1's services stale for about a minute. Nothing on its
// page may be red.
func expectedFailureRun() (summary.Summary, *history.History) {
	h := testHistory()
	h.Dispatches = nil
	for i, w := range h.Writes {
		id := fmt.Sprintf("d%d", i)
		h.Writes[i].DispatchID = id
		h.Dispatches = append(h.Dispatches, history.Dispatch{At: w.At - 20*time.Millisecond, Key: w.Key, ID: id})
		h.Tasks = append(h.Tasks, history.Task{DispatchID: id, Result: history.TaskWrote, Rows: int64(len(w.Services))})
	}
	expect := map[string]string{}
	for _, v := range verify.Check(*h, verify.Options{}) {
		if v.Outcome == summary.Fail {
			expect[v.Name] = string(summary.Fail)
		}
	}
	s := testSummary()
	s.Scenario, s.Label = "broker-outage", "expected"
	s.Invariants = verify.Check(*h, verify.Options{Expect: expect})
	s.Passed = verify.Passed(s.Invariants)
	return s, h
}
