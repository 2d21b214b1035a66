package verify

import (
	"fmt"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// checkOffline fails when a polled service, past its grace, reads
// last_seen_live false or NULL: the UI would show a working fleet as down.
// Only the offline check flips a service off, so where the target reports
// its checks and none ran while polled services were judged, a run without
// an offline sample proved nothing: inconclusive, saying so.
func checkOffline(h history.History) judgement {
	win := newJudgedWindow(h)
	type record struct {
		count       int
		first, last history.Sample
	}
	offline := make(map[int64]*record)
	judged, total := 0, 0
	var from, to time.Duration // the judged samples' span
	var ext extent
	for _, s := range h.Samples {
		if !win.judges(s) {
			continue
		}
		if judged == 0 || s.At < from {
			from = s.At
		}
		to = max(to, s.At)
		judged++
		if live(s) {
			continue
		}
		total++
		ext.add(s.At, s.At+h.SampleEvery)
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

	ev := summary.Evidence{count("samples judged", judged)}
	delay := checkerDelay(h)
	checks := ""
	if delay.Known {
		ran := delay.ranBetween(from, to)
		ev = append(ev, count("offline checks run while judged", ran))
		checks = fmt.Sprintf(", %d offline checks ran meanwhile", ran)
		if judged > 0 && total == 0 && ran == 0 {
			return inconclusive(fmt.Sprintf("no offline check ran while polled services were judged (%s to %s; checker_every %s; copies ran at: %s): nothing could have marked them offline; %d samples judged",
				fmtDur(from), fmtDur(to), fmtDur(h.CheckerEvery), fmtDurs(delay.RanAt), judged), ev...)
		}
	}
	if judged == 0 {
		return inconclusive("no sample of a polled service past the grace", ev...)
	}
	if total == 0 {
		return pass(fmt.Sprintf("no polled service read offline; %d samples judged%s (first %s of each polled span not judged; NULL counts as offline)",
			judged, checks, fmtDur(h.OfflineAfter)), ev...)
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
		locate(during(fmt.Sprintf("service %d", worstID), worst.first.At, worst.last.At)).
		sized(ext.size(float64(worst.count), 0, "offline reads of one service", "max", total, judged, "judged samples"))
}

// fmtDurs lists instants, the first few of many, "none" for none.
func fmtDurs(ds []time.Duration) string {
	const most = 5
	if len(ds) == 0 {
		return "none"
	}
	var out []string
	for _, d := range ds[:min(len(ds), most)] {
		out = append(out, fmtDur(d))
	}
	if len(ds) > most {
		out = append(out, fmt.Sprintf("and %d more", len(ds)-most))
	}
	return strings.Join(out, ", ")
}
