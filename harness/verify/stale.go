package verify

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/harness/history"
)

// checkStale fails when a polled service, past its grace, reads as stale:
// last_seen at least OfflineAfter old, or NULL (negative staleness), which is
// the worst case of all because nothing ever marked it.
func checkStale(h history.History) (Outcome, string) {
	win := newJudgedWindow(h)
	var (
		judged, stale int
		found         bool
		worst         history.Sample
	)
	for _, s := range h.Samples {
		if !win.judges(s) {
			continue
		}
		judged++
		if s.Staleness < 0 || s.Staleness >= h.OfflineAfter {
			stale++
		}
		if !found || worseStaleness(s, worst) {
			found, worst = true, s
		}
	}

	grace := fmt.Sprintf("offline_after %s, first %s of each polled span not judged", fmtDur(h.OfflineAfter), fmtDur(h.OfflineAfter))
	if !found {
		return Pass, fmt.Sprintf("no samples of a polled service past the grace (%s)", grace)
	}
	at := fmt.Sprintf("service %d at %s", worst.ServiceID, fmtDur(worst.At))
	if stale == 0 {
		return Pass, fmt.Sprintf("worst staleness %s, %s; %d samples judged (%s)",
			fmtDur(worst.Staleness), at, judged, grace)
	}
	what := "last_seen NULL"
	if worst.Staleness >= 0 {
		what = "staleness " + fmtDur(worst.Staleness)
	}
	return Fail, fmt.Sprintf("%s, %s; %d of %d judged samples stale (%s)", what, at, stale, judged, grace)
}

// worseStaleness orders samples by how stale they read, NULL above any age;
// on ties the earlier sample wins, since that is where the trouble began.
func worseStaleness(a, b history.Sample) bool {
	ka, kb := stalenessRank(a.Staleness), stalenessRank(b.Staleness)
	if ka != kb {
		return ka > kb
	}
	return a.At < b.At
}

func stalenessRank(d time.Duration) time.Duration {
	if d < 0 {
		return time.Duration(1<<63 - 1)
	}
	return d
}
