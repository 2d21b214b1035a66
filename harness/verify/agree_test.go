package verify

import (
	"testing"

	"github.com/hbharness/hbharness/harness/history"
)

func TestCheckAgree(t *testing.T) {
	runInvariantCases(t, checkAgree, []invariantCase{
		{
			name:   "equal counts pass",
			want:   Pass,
			detail: []string{"reference counted 40 writes, database audit saw 40"},
		},
		{
			name: "dispatches that skipped writing do not count against agreement",
			edit: func(h *history.History) {
				h.Dispatches = append(h.Dispatches, history.Dispatch{At: 10, Key: key1}, history.Dispatch{At: 20, Key: key1})
			},
			want: Pass,
		},
		{
			name:   "a write the audit missed fails",
			edit:   func(h *history.History) { h.ReferenceWrites++ },
			want:   Fail,
			detail: []string{"reference counted 41 writes, database audit saw 40 (off by 1)"},
		},
		{
			name:   "a write the reference did not count fails",
			edit:   func(h *history.History) { h.ReferenceWrites -= 2 },
			want:   Fail,
			detail: []string{"off by -2"},
		},
		{
			name: "external mode is not applicable",
			edit: func(h *history.History) {
				h.HaveDispatches = false
				h.ReferenceWrites = 0
			},
			want:   NotApplicable,
			detail: []string{"not applicable: external target (dispatch events not visible)"},
		},
	})
}
