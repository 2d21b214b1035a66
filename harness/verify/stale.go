package verify

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// checkStale fails when a polled service, past its grace, reads as stale:
// last_seen at least OfflineAfter old, or never written at all (NULL), which
// makes it stale since its polling began.
func checkStale(h history.History) judgement {
	win := newJudgedWindow(h)
	var (
		judged, stale int
		found         bool
		worst         history.Sample
		worstAge      time.Duration
		// firstStale is each service's first stale judged sample, where
		// the worst one's trouble began.
		firstStale = map[int64]time.Duration{}
		writes     = newLastWrites(h)
		// oldest is the largest true age since a write that a judged
		// sample read: Antenna's figure hides it when a clock runs ahead.
		oldest      time.Duration
		oldestKnown bool
		ext         extent
	)
	for _, s := range h.Samples {
		if !win.judges(s) {
			continue
		}
		judged++
		if a, ok := writes.age(s.ServiceID, s.At); ok && !s.Null {
			oldest, oldestKnown = max(oldest, a), true
		}
		age := win.staleness(s)
		if age >= h.OfflineAfter {
			stale++
			// A stale read stands for the time until the next read.
			ext.add(s.At, s.At+h.SampleEvery)
			if t, ok := firstStale[s.ServiceID]; !ok || s.At < t {
				firstStale[s.ServiceID] = s.At
			}
		}
		if !found || age > worstAge || (age == worstAge && s.At < worst.At) {
			found, worst, worstAge = true, s, age
		}
	}
	ev := summary.Evidence{count("samples judged", judged), count("sampler reads", int(h.SamplerReads))}
	grace := fmt.Sprintf("offline_after %s, first %s of each polled span not judged; sampled every %s",
		fmtDur(h.OfflineAfter), fmtDur(h.OfflineAfter), fmtDur(h.SampleEvery)) + blindNote(h)
	if !found {
		why := "no service was polled for longer than the grace"
		if h.SamplerReads == 0 {
			why = "the sampler read nothing"
		}
		return inconclusive(fmt.Sprintf("%s (%s)", why, grace), ev...)
	}
	at := fmt.Sprintf("service %d at %s", worst.ServiceID, fmtDur(worst.At))
	what := "staleness " + fmtDur(worstAge) + " (Antenna's, from the stored value)"
	if worst.Null {
		what = fmt.Sprintf("last_seen NULL (stale %s, since its polling began)", fmtDur(worstAge))
	}
	if oldestKnown {
		// Both figures, so that a clock ahead (which makes Antenna's the
		// smaller) shows here too and not only in last_seen_not_in_future.
		at += fmt.Sprintf("; the oldest true age since a write read %s", fmtDur(oldest))
	}
	if stale == 0 {
		return pass(fmt.Sprintf("worst %s, %s; %d samples judged (%s)", what, at, judged, grace), ev...)
	}
	from, ok := firstStale[worst.ServiceID]
	if !ok || from > worst.At {
		from = worst.At
	}
	return fail(fmt.Sprintf("%s, %s; %d of %d judged samples stale (%s)", what, at, stale, judged, grace), ev...).
		locate(during(fmt.Sprintf("service %d", worst.ServiceID), from, worst.At)).
		sized(ext.size(worstAge.Seconds(), h.OfflineAfter.Seconds(), "s", "max", stale, judged, "judged samples"))
}

// blindNote says how long the sampler saw nothing: those stretches are
// not observed, neither fresh nor stale.
func blindNote(h history.History) string {
	n, blind := 0, h.BlindTime(history.ObserverSampler, 0, h.Duration)
	for _, g := range h.Unobserved {
		if g.Observer == history.ObserverSampler {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; the sampler was blind for %s in %d gaps, not observed", fmtDur(blind), n)
}
