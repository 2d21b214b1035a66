package verify

import (
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

func TestCheckOffline(t *testing.T) {
	offline := func(id int64, at time.Duration) history.Sample {
		return history.Sample{At: at, ServiceID: id, Staleness: 70 * time.Second}
	}
	runInvariantCases(t, checkOffline, []invariantCase{
		{
			name:   "live samples pass",
			want:   summary.Pass,
			detail: []string{"no polled service read offline", "216 samples judged"},
		},
		{
			name: "last_seen_live false while polled fails",
			edit: func(h *history.History) {
				h.Samples = append(h.Samples, offline(2, 4*time.Minute), offline(2, 3*time.Minute+12*time.Second), offline(1, 5*time.Minute))
			},
			want:   summary.Fail,
			detail: []string{"service 2 read offline (last_seen_live=false) from 3m12s, 2 samples", "3 offline samples on 2 services of 219 judged"},
		},
		{
			name: "last_seen_live NULL after the grace fails",
			edit: func(h *history.History) {
				h.Samples = append(h.Samples, history.Sample{At: 2 * time.Minute, ServiceID: 1, Null: true, LiveNull: true})
			},
			want:   summary.Fail,
			detail: []string{"service 1 read offline (last_seen_live NULL) from 2m0s, 1 samples"},
		},
		{
			name: "NULL and false during the grace period are ignored",
			edit: func(h *history.History) {
				pollFrom(h, 2*time.Minute)
				h.Samples = append(h.Samples,
					history.Sample{At: 2 * time.Minute, ServiceID: 1, Null: true, LiveNull: true},
					offline(1, 3*time.Minute-time.Millisecond))
			},
			want: summary.Pass,
		},
		{
			name: "offline right after the grace period counts",
			edit: func(h *history.History) {
				pollFrom(h, 2*time.Minute)
				h.Samples = append(h.Samples, offline(1, 3*time.Minute))
			},
			want:   summary.Fail,
			detail: []string{"service 1", "from 3m0s"},
		},
		{
			name: "checks reported, one ran while judged: pass, and says so",
			edit: func(h *history.History) {
				checksEvery(h, 5*time.Minute, waits(time.Second), nil)
			},
			want:   summary.Pass,
			detail: []string{"216 samples judged, 1 offline checks ran meanwhile"},
		},
		{
			name: "checks reported, none ran while judged: inconclusive",
			edit: func(h *history.History) {
				checksEvery(h, 5*time.Minute, waits(time.Second), nil)
				h.Checks = h.Checks[1:] // only the one at the end
			},
			want:   summary.Inconclusive,
			detail: []string{"no offline check ran while polled services were judged (1m0s to 9m55s; checker_every 5m0s; copies ran at: none): nothing could have marked them offline"},
		},
		{
			name: "checks reported, the one while judged dropped: inconclusive",
			edit: func(h *history.History) {
				checksEvery(h, 5*time.Minute, waits(5*time.Minute), func(i int) history.CheckOutcome {
					if i == 0 {
						return history.CheckDropped
					}
					return history.CheckRan
				})
			},
			want:   summary.Inconclusive,
			detail: []string{"no offline check ran while polled services were judged"},
		},
		{
			name: "no check ran, yet a polled service read offline: still a failure",
			edit: func(h *history.History) {
				checksEvery(h, 11*time.Minute, waits(time.Second), nil)
				h.Samples = append(h.Samples, offline(2, 4*time.Minute))
			},
			want:   summary.Fail,
			detail: []string{"service 2 read offline (last_seen_live=false) from 4m0s"},
		},
		{
			name: "offline after polling stopped is ignored",
			edit: func(h *history.History) {
				h.Services[1].Polled = []history.Interval{{From: 0, To: 5 * time.Minute}}
				h.Samples = append(h.Samples, offline(2, 5*time.Minute), offline(2, 7*time.Minute))
			},
			want: summary.Pass,
		},
	})
}
