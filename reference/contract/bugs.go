package contract

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Bug names a defect the reference can be built with, on purpose: the
// harness is only worth the bugs it catches, and its own tests plant these
// in an otherwise correct replica (reference.Options.Bugs) and check that a
// named invariant fails.
type Bug string

const (
	// BugNonAtomicGate: the gate written the obvious wrong way, GET then SET;
	// callers arriving together all find nothing.
	BugNonAtomicGate Bug = "non-atomic-gate"
	// BugPerProcessGate: an in-process gate, one winner per replica instead
	// of one per deployment.
	BugPerProcessGate Bug = "per-process-gate"
	// BugTTLInWrongUnit: the window passed on in the wrong unit, 30 s as 30 ms.
	BugTTLInWrongUnit Bug = "ttl-in-wrong-unit"
	// BugNeverEnqueued: a gate no caller ever wins, so no heartbeat goes out.
	BugNeverEnqueued Bug = "never-enqueued"
	// BugEnqueueDropped: the broker says it took a heartbeat task and did not.
	BugEnqueueDropped Bug = "enqueue-dropped"
	// BugDeliveredTwice: every heartbeat task delivered a second time a
	// while later, as a broker whose visibility timeout ran out before the
	// ack would.
	BugDeliveredTwice Bug = "delivered-twice"
)

// Bugs lists them.
func Bugs() []Bug {
	return []Bug{BugNonAtomicGate, BugPerProcessGate, BugTTLInWrongUnit, BugNeverEnqueued, BugEnqueueDropped, BugDeliveredTwice}
}

// CheckBugs refuses a name that is not a Bug, or two that replace the same
// gate.
func CheckBugs(bugs []Bug) error {
	gates := 0
	for _, b := range bugs {
		if !slices.Contains(Bugs(), b) {
			names := make([]string, 0, len(Bugs()))
			for _, k := range Bugs() {
				names = append(names, string(k))
			}
			return fmt.Errorf("unknown planted bug %q: use one of %s", b, strings.Join(names, ", "))
		}
		if b.ReplacesGate() {
			gates++
		}
	}
	if gates > 1 {
		return fmt.Errorf("planted bugs %v replace the gate more than once", bugs)
	}
	return nil
}

// ReplacesGate says whether the bug is a gate of its own in place of the
// Redis gate.
func (b Bug) ReplacesGate() bool {
	return b == BugNonAtomicGate || b == BugPerProcessGate || b == BugTTLInWrongUnit || b == BugNeverEnqueued
}

// NonAtomicGateGap is how long (wall) BugNonAtomicGate's gate leaves between
// its GET and its SET: the width the race has in production (a Redis across
// the network, a Python process descheduled), so that a herd meets it on a
// loaded machine too. Tests compare it with an observer's detection limit.
const NonAtomicGateGap = 20 * time.Millisecond
