package verify

import (
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// pollFrom makes service 1 polled only from the given instant on, so that a
// grace period [from, from+OfflineAfter) exists in the middle of the run.
func pollFrom(h *history.History, from time.Duration) {
	h.Services[0].Polled = []history.Interval{{From: from, To: h.Duration}}
}

func TestCheckStale(t *testing.T) {
	sample := func(at, staleness time.Duration) history.Sample {
		return history.Sample{At: at, ServiceID: 1, Staleness: staleness, Live: true}
	}
	runInvariantCases(t, checkStale, []invariantCase{
		{
			name: "fresh samples pass",
			want: summary.Pass,
			detail: []string{"worst staleness 28.99s (Antenna's, from the stored value)", "service 1 at 1m0s",
				"the oldest true age since a write read 28.99s", "216 samples judged", "offline_after 1m0s"},
		},
		{
			// A writer 40 s ahead: Antenna's figure reads the stored value as
			// just written (never a negative staleness), the true age does not.
			name: "a future last_seen reads as fresh, never negative, beside its true age",
			edit: func(h *history.History) {
				for i, s := range h.Samples {
					if !s.Null {
						h.Samples[i].Staleness -= 40 * time.Second
					}
				}
			},
			want:   summary.Pass,
			detail: []string{"worst staleness 0s (Antenna's", "the oldest true age since a write read 28.99s"},
		},
		{
			name: "staleness just under offline_after passes",
			edit: func(h *history.History) {
				h.Samples = append(h.Samples, sample(4*time.Minute, time.Minute-time.Millisecond))
			},
			want:   summary.Pass,
			detail: []string{"worst staleness 59.999s", "service 1 at 4m0s"},
		},
		{
			name: "staleness equal to offline_after fails",
			edit: func(h *history.History) {
				h.Samples = append(h.Samples, sample(3*time.Minute+12*time.Second, time.Minute))
			},
			want:   summary.Fail,
			detail: []string{"staleness 1m0s", "service 1 at 3m12s", "1 of 217 judged samples stale"},
		},
		{
			name: "the stalest sample is named",
			edit: func(h *history.History) {
				h.Samples = append(h.Samples, sample(3*time.Minute, 70*time.Second), sample(5*time.Minute, 95*time.Second))
			},
			want:   summary.Fail,
			detail: []string{"staleness 1m35s", "service 1 at 5m0s", "2 of 218 judged samples stale"},
		},
		{
			name: "NULL last_seen while polled fails",
			edit: func(h *history.History) {
				h.Samples = append(h.Samples,
					sample(5*time.Minute, 95*time.Second),
					history.Sample{At: 6 * time.Minute, ServiceID: 2, Null: true, LiveNull: true})
			},
			want:   summary.Fail,
			detail: []string{"last_seen NULL", "service 2 at 6m0s"},
		},
		{
			name: "a stale sample during the grace period is ignored",
			edit: func(h *history.History) {
				pollFrom(h, 2*time.Minute)
				h.Samples = append(h.Samples,
					sample(3*time.Minute-time.Millisecond, 5*time.Minute),
					history.Sample{At: 2 * time.Minute, ServiceID: 1, Null: true, LiveNull: true})
			},
			want: summary.Pass,
		},
		{
			name: "a stale sample right after the grace period counts",
			edit: func(h *history.History) {
				pollFrom(h, 2*time.Minute)
				h.Samples = append(h.Samples, sample(3*time.Minute, 5*time.Minute))
			},
			want:   summary.Fail,
			detail: []string{"staleness 5m0s", "service 1 at 3m0s"},
		},
		{
			name: "a stale sample after polling stopped is ignored",
			edit: func(h *history.History) {
				h.Services[0].Polled = []history.Interval{{From: 0, To: 5 * time.Minute}}
				h.Samples = append(h.Samples, sample(5*time.Minute, 5*time.Minute))
			},
			want: summary.Pass,
		},
		{
			name: "a sampled service that was never polled is ignored",
			edit: func(h *history.History) {
				h.Samples = append(h.Samples, history.Sample{At: 5 * time.Minute, ServiceID: 9, Null: true})
			},
			want: summary.Pass,
		},
		{
			name:   "no samples past the grace judge nothing",
			edit:   func(h *history.History) { h.Samples = nil },
			want:   summary.Inconclusive,
			detail: []string{"no service was polled for longer than the grace"},
		},
		{
			name:   "a sampler that read nothing says so",
			edit:   func(h *history.History) { h.Samples, h.SamplerReads = nil, 0 },
			want:   summary.Inconclusive,
			detail: []string{"the sampler read nothing"},
		},
	})
}
