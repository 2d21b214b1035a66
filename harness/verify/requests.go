package verify

import (
	"fmt"

	"github.com/hbharness/hbharness/harness/history"
)

// checkRequests fails when more requests went unanswered or answered 5xx
// than the scenario's faults excuse; 4xx are the client's doing and not counted.
func checkRequests(h history.History) (Outcome, string) {
	r := h.Requests
	detail := fmt.Sprintf("%d requests, %d errors (%d transport, %d 5xx), %d allowed, p99 %s",
		r.Total, r.Errors, r.Transport, r.Status5xx, h.AllowedErrors, fmtDur(r.P99))
	if r.Errors > h.AllowedErrors {
		return Fail, detail
	}
	return Pass, detail
}
