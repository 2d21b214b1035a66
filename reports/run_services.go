package reports

import (
	"cmp"
	"slices"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// serviceRow is one service in a run page's Services table: what it read
// while polled (staleness, offline flips) and while silent (read live,
// time to offline), tinted when it shows a violation of a failed verdict.
type serviceRow struct {
	summary.ServiceStats
	// Class is "bad" or "expected" (the verdict's paint) for a row that
	// shows a failed verdict's violation; "" otherwise.
	Class string
	// Offline says how soon a stopped service read offline, against its
	// bound: "—" for one still polled at the end.
	Offline string
	late    bool // read offline past its bound, or never
}

// serviceRows lists a run's services worst first: those showing a
// violation, then the longest read live while silent, then the stalest.
// silent-service's dead services read "max staleness 0 s" (they were never
// polled, so never judged stale) and looked healthy; what they did wrong
// is reading live while silent, which now leads.
func serviceRows(s summary.Summary) []serviceRow {
	rows := make([]serviceRow, 0, len(s.Services))
	flips, live, stale := failurePaint(s, verify.NeverOfflineWhilePolled), failurePaint(s, verify.NoFalseLiveness),
		failurePaint(s, verify.LastSeenNeverStale)
	for _, sv := range s.Services {
		r := serviceRow{ServiceStats: sv, Offline: "—"}
		if sv.Stopped {
			r.Offline, r.late = offlineText(sv)
		}
		switch {
		case sv.OfflineFlips > 0 && flips != "":
			r.Class = flips
		case (r.late || sv.FalseLiveS > 0) && live != "":
			r.Class = live
		case sv.MaxStalenessS > 0 && stale != "" && s.MaxStalenessS == sv.MaxStalenessS:
			r.Class = stale
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b serviceRow) int {
		if c := cmp.Compare(b.shows(), a.shows()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.FalseLiveS, a.FalseLiveS); c != 0 {
			return c
		}
		if c := cmp.Compare(b.MaxStalenessS, a.MaxStalenessS); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return rows
}

// shows is 1 for a row that shows a violation, for sorting those first.
func (r serviceRow) shows() int {
	if r.Class != "" {
		return 1
	}
	return 0
}

// offlineText is how soon a stopped service read offline after its last
// poll, against its bound; late when past it or never.
func offlineText(sv summary.ServiceStats) (string, bool) {
	bound := ""
	if sv.TimeToOfflineBoundS != nil {
		bound = " (bound " + metric.Num(*sv.TimeToOfflineBoundS, 1) + " s)"
	}
	if sv.TimeToOfflineS == nil {
		return "never" + bound, true
	}
	late := sv.TimeToOfflineBoundS != nil && *sv.TimeToOfflineS > *sv.TimeToOfflineBoundS
	return metric.Num(*sv.TimeToOfflineS, 1) + " s" + bound, late
}
