package verify

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// silence tells, for any service and instant, how long none of its own
// workers has polled it. A worker that polled last at T would have polled
// again within MaxPollGap; so a service is silent once MaxPollGap has passed
// since its last poll, and has been silent since that poll. One never polled
// yet has been silent since the run began.
type silence struct {
	polled map[int64][]history.Interval // sorted, merged
	gap    time.Duration
}

func newSilence(h history.History) silence {
	s := silence{polled: map[int64][]history.Interval{}, gap: h.MaxPollGap}
	for _, svc := range h.Services {
		ivs := slices.Clone(svc.Polled)
		slices.SortFunc(ivs, func(a, b history.Interval) int { return cmp.Compare(a.From, b.From) })
		s.polled[svc.ID] = append(s.polled[svc.ID], ivs...)
	}
	return s
}

// of returns how long service id has been silent at t: 0 while it is polled.
func (s silence) of(id int64, t time.Duration) time.Duration {
	var since time.Duration // the run's start, for a service never polled yet
	for _, iv := range s.polled[id] {
		if iv.From > t {
			break
		}
		if t <= iv.To+s.gap {
			return 0
		}
		since = iv.To
	}
	return t - since
}

// lastPoll is when service id was polled last, and whether ever.
func (s silence) lastPoll(id int64) (time.Duration, bool) {
	ivs := s.polled[id]
	if len(ivs) == 0 {
		return 0, false
	}
	last := ivs[0].To
	for _, iv := range ivs {
		last = max(last, iv.To)
	}
	return last, true
}

// checkFalseLiveness fails when a service none of whose own workers has
// polled for longer than its limit reads live: offline_after after its own
// last heartbeat landed (its task may wait in the queue past its last
// poll), plus the offline check's allowance (the longest gap between
// copies of the check that ran, plus the longest any waited in its queue:
// see CheckerDelay). By then its last write is offline_after old and a
// check has run, so only someone else's heartbeat (a sibling sharing its
// gate key) can be keeping it live. The UI then shows a dead service as
// ONLINE. A run in which no check ran judges nothing and says so.
func checkFalseLiveness(h history.History) judgement {
	delay := checkerDelay(h)
	quiet := newSilence(h)
	limits := livenessLimits(h, quiet, delay)
	var (
		judged, live int
		silentSvcs   = map[int64]bool{}
		worst, first history.Sample
		worstSilence time.Duration
		firstSilence time.Duration
		worstLimit   time.Duration
		ext          extent
	)
	for _, s := range h.Samples {
		gone := quiet.of(s.ServiceID, s.At)
		limit, known := limits[s.ServiceID]
		if !known {
			limit = h.OfflineAfter + delay.Allowance
		}
		if gone <= limit || s.At > h.Duration {
			continue
		}
		judged++
		silentSvcs[s.ServiceID] = true
		if isLive(s) {
			live++
			ext.add(s.At, s.At+h.SampleEvery)
			if gone > worstSilence {
				worst, worstSilence, worstLimit = s, gone, limit
			}
			if live == 1 || s.At < first.At {
				first, firstSilence = s, gone
			}
		}
	}
	ev := summary.Evidence{count("samples of silent services", judged), count("services silent", len(silentSvcs))}
	if delay.Known {
		ev = append(ev, count("offline checks run", delay.Ran))
	}
	rule := fmt.Sprintf("a silent service must read offline once silent for offline_after %s + its last heartbeat's lag past its last poll + %s",
		fmtDur(h.OfflineAfter), delay.describe(h))
	if judged == 0 {
		if delay.NoneRan() {
			if gone := silencedAny(h, quiet); gone != "" {
				return inconclusive(delay.noneRanReason(h)+": nothing could flip "+gone+" offline", ev...)
			}
			return judgement{outcome: summary.NotApplicable, evidence: ev,
				detail: "not applicable: no service went silent, and " + delay.noneRanReason(h)}
		}
		if late := silencedTooLate(h, quiet, limits); late != "" {
			return inconclusive(late+" ("+rule+")", ev...)
		}
		return judgement{outcome: summary.NotApplicable, evidence: ev,
			detail: "not applicable: no service was silent for longer than its limit during the run (" + rule + ")"}
	}
	if live > 0 {
		return fail(fmt.Sprintf("service %d read live at %s, silent for %s, past its limit %s (service %d still at %s, silent for %s); %d of %d samples of silent services read live (%s)",
			first.ServiceID, fmtDur(first.At), fmtDur(firstSilence), fmtDur(limits[first.ServiceID]), worst.ServiceID, fmtDur(worst.At), fmtDur(worstSilence),
			live, judged, rule), ev...).locate(at(fmt.Sprintf("service %d", first.ServiceID), first.At)).
			sized(ext.size(worstSilence.Seconds(), worstLimit.Seconds(), "s silent while read live", "max", live, judged, "samples of silent services"))
	}
	return pass(fmt.Sprintf("no silent service read live: %d samples of %d silent services (%s)", judged, len(silentSvcs), rule), ev...)
}

// silencedTooLate names a service that went silent so near the end that no
// sample could judge it.
func silencedTooLate(h history.History, quiet silence, limits map[int64]time.Duration) string {
	for _, svc := range h.Services {
		if last, ok := quiet.lastPoll(svc.ID); ok && last+quiet.gap < h.Duration && last+limits[svc.ID] >= h.Duration {
			return fmt.Sprintf("service %d went silent at %s, too close to the end (%s) to judge: its limit is %s",
				svc.ID, fmtDur(last), fmtDur(h.Duration), fmtDur(limits[svc.ID]))
		}
	}
	return ""
}

// silencedAny names a service that was silent at some point of the run
// past offline_after (one never polled is silent from the start).
func silencedAny(h history.History, quiet silence) string {
	for _, svc := range h.Services {
		last, ok := quiet.lastPoll(svc.ID)
		if !ok && h.Duration > h.OfflineAfter {
			return fmt.Sprintf("service %d (never polled)", svc.ID)
		}
		if ok && last+quiet.gap < h.Duration && last+h.OfflineAfter < h.Duration {
			return fmt.Sprintf("service %d (silent from %s)", svc.ID, fmtDur(last))
		}
	}
	return ""
}

func isLive(s history.Sample) bool { return s.Live && !s.LiveNull }

// SilentFor returns, for a history, how long a service has been silent at a
// model instant (0 while its own workers poll): the rule no_false_liveness
// and the liveness figures use, for reports to draw the same spans.
func SilentFor(h history.History) func(id int64, at time.Duration) time.Duration {
	return newSilence(h).of
}

// FalseLivenessAfter is how long a service may be silent and still read
// live, its own heartbeat's lag aside: offline_after + the offline check's
// allowance (checker_every + checker_expires when the target does not
// report its checks).
func FalseLivenessAfter(h history.History) time.Duration {
	return h.OfflineAfter + checkerDelay(h).Allowance
}
