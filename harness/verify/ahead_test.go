package verify

import (
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// skewWrites moves the stamps of writes made in [from, to) ahead by d, as a
// writer whose clock runs d ahead of the database's stores them.
func skewWrites(h *history.History, from, to, d time.Duration) {
	for i, w := range h.Writes {
		if w.At >= from && w.At < to {
			h.Writes[i].Stamp = w.At + d
		}
	}
}

// unstamp leaves only what a sampler sees: no write's stored value.
func unstamp(h *history.History) {
	for i := range h.Writes {
		h.Writes[i].Stamp, h.Writes[i].Stamped = 0, false
	}
}

func TestCheckAhead(t *testing.T) {
	runInvariantCases(t, checkAhead, []invariantCase{
		{name: "stamps before their writes pass", want: summary.Pass,
			detail: []string{"no write stored a last_seen in the future", "40 writes judged", "before its write"}},
		{name: "a worker clock 40 s ahead is named by its offset", want: summary.Fail,
			edit:   func(h *history.History) { skewWrites(h, 2*time.Minute, 4*time.Minute, 40*time.Second) },
			detail: []string{"the writer's clock is ahead by 40s", "8 of 40 writes ahead", "from 2m1.01s to 3m31.01s", "median 40s"}},
		{name: "five hours ahead in wall time names the naive column's zone", want: summary.Fail,
			// At scale 0.05, 100 model hours are 5 wall hours.
			edit:   func(h *history.History) { skewWrites(h, 0, h.Duration, 100*time.Hour) },
			detail: []string{"ahead by 100h0m0s", "5h0m0s of wall time is a whole number of hours", "naive last_seen"}},
		{name: "within the tolerance is not ahead", want: summary.Pass,
			edit: func(h *history.History) { skewWrites(h, 0, h.Duration, 900*time.Millisecond) }},
		{name: "past the tolerance is", want: summary.Fail,
			edit:   func(h *history.History) { skewWrites(h, 0, h.Duration, 1100*time.Millisecond) },
			detail: []string{"ahead by 1.1s", "40 of 40"}},
		{name: "writes after the run are not judged", want: summary.Pass,
			edit: func(h *history.History) {
				h.Writes = append(h.Writes, history.Write{At: h.Duration + time.Second, Services: []int64{1}, Stamp: h.Duration + time.Minute, Stamped: true})
			}},
		{name: "sampled only: a future last_seen is a lower bound", want: summary.Fail,
			edit: func(h *history.History) {
				unstamp(h)
				h.Samples = append(h.Samples, history.Sample{At: 3 * time.Minute, ServiceID: 2, Staleness: -37 * time.Second, Live: true})
			},
			detail: []string{"ahead by at least 37s", "service 2", "lower bound"}},
		{name: "sampled only and none in the future passes, saying what it cannot see", want: summary.Pass,
			edit:   unstamp,
			detail: []string{"no sample read a last_seen in the future", "would go unseen"}},
		{name: "nothing read is inconclusive", want: summary.Inconclusive,
			edit: func(h *history.History) { unstamp(h); h.Samples = nil }},
	})
}
