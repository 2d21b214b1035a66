package verify

import (
	"fmt"

	"github.com/hbharness/hbharness/harness/history"
)

// checkOffline fails when a polled service, past its grace, reads
// last_seen_live false or NULL: the UI would show a working fleet as down.
func checkOffline(h history.History) judgement {
	win := newJudgedWindow(h)
	type record struct {
		count       int
		first, last history.Sample
	}
	offline := make(map[int64]*record)
	judged, total := 0, 0
	for _, s := range h.Samples {
		if !win.judges(s) {
			continue
		}
		judged++
		if live(s) {
			continue
		}
		total++
		r := offline[s.ServiceID]
		if r == nil {
			offline[s.ServiceID] = &record{count: 1, first: s, last: s}
			continue
		}
		r.count++
		if s.At < r.first.At {
			r.first = s
		}
		if s.At > r.last.At {
			r.last = s
		}
	}

	ev := Evidence{count("samples judged", judged)}
	if judged == 0 {
		return inconclusive("no sample of a polled service past the grace", ev...)
	}
	if total == 0 {
		return pass(fmt.Sprintf("no polled service read offline; %d samples judged (first %s of each polled span not judged; NULL counts as offline)",
			judged, fmtDur(h.OfflineAfter)), ev...)
	}
	// The worst service is the one seen offline most often; ties go to the
	// lower id so the detail is stable.
	var worstID int64
	var worst *record
	for id, r := range offline {
		if worst == nil || r.count > worst.count || (r.count == worst.count && id < worstID) {
			worstID, worst = id, r
		}
	}
	what := "last_seen_live=false"
	if worst.first.LiveNull {
		what = "last_seen_live NULL"
	}
	return fail(fmt.Sprintf("service %d read offline (%s) from %s, %d samples; %d offline samples on %d services of %d judged",
		worstID, what, fmtDur(worst.first.At), worst.count, total, len(offline), judged), ev...).
		locate(during(fmt.Sprintf("service %d", worstID), worst.first.At, worst.last.At))
}
