package verify

import (
	"fmt"

	"github.com/hbharness/hbharness/harness/history"
)

// checkAgree compares the reference's own count of row-changing UPDATEs with
// the writes the independent audit saw. Dispatch counts are not compared:
// task-throttle legitimately dispatches tasks that then skip fresh rows.
func checkAgree(h history.History) (Outcome, string) {
	if !h.HaveDispatches {
		return NotApplicable, "not applicable: external target (dispatch events not visible)"
	}
	audited := int64(len(h.Writes))
	detail := fmt.Sprintf("reference counted %d writes, database audit saw %d", h.ReferenceWrites, audited)
	if h.ReferenceWrites != audited {
		return Fail, fmt.Sprintf("%s (off by %d)", detail, h.ReferenceWrites-audited)
	}
	return Pass, detail
}
