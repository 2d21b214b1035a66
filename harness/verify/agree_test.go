package verify

import (
	"testing"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

func TestCheckAgree(t *testing.T) {
	runInvariantCases(t, checkAgree, []invariantCase{
		{
			name:   "every dispatch written once passes",
			want:   summary.Pass,
			detail: []string{"40 written once, 0 skipped, 0 failed, 0 still queued"},
		},
		{
			name: "a task delivered twice is a finding, named",
			edit: func(h *history.History) {
				w := h.Writes[3]
				w.TxID, w.At = 99, w.At+40*time.Millisecond
				h.Writes = append(h.Writes, w)
			},
			want:   summary.Fail,
			detail: []string{"dispatch k0-3", "written 2 times", "its task ran more than once"},
		},
		{
			name: "a lost task is a finding",
			edit: func(h *history.History) {
				h.Tasks = h.Tasks[1:]
				h.Writes = h.Writes[1:]
			},
			want:   summary.Fail,
			detail: []string{"dispatch k0-0", "was lost: no task ran, no write, not in the queue"},
		},
		{
			name: "a task still queued at the end is accounted for",
			edit: func(h *history.History) {
				h.Tasks = h.Tasks[1:]
				h.Writes = h.Writes[1:]
				h.Pending = []string{"k0-0"}
			},
			want:   summary.Pass,
			detail: []string{"39 written once", "1 still queued"},
		},
		{
			name: "a queue that cannot be listed leaves the missing undetermined",
			edit: func(h *history.History) {
				h.Tasks = h.Tasks[1:]
				h.Writes = h.Writes[1:]
				h.PendingKnown = false
			},
			want:   summary.Pass,
			detail: []string{"1 not found in a queue that could not be listed (not judged)"},
		},
		{
			name: "skipped tasks write nothing",
			edit: func(h *history.History) {
				h.Tasks[0].Result = history.TaskSkipped
				h.Writes = h.Writes[1:]
			},
			want:   summary.Pass,
			detail: []string{"1 skipped"},
		},
		{
			name: "a task that says it wrote but the audit saw nothing",
			edit: func(h *history.History) {
				h.Writes = h.Writes[1:]
			},
			want:   summary.Fail,
			detail: []string{"dispatch k0-0", "says it wrote 1 rows, the audit saw no write"},
		},
		{
			name: "a failed task whose commit landed is counted as written, said so",
			edit: func(h *history.History) {
				h.Tasks[0].Result = history.TaskFailed
			},
			want:   summary.Pass,
			detail: []string{"40 written once", "1 of them by a task that reported failure"},
		},
		{
			name: "a skipped task the audit saw write disagrees",
			edit: func(h *history.History) {
				h.Tasks[0].Result = history.TaskSkipped
			},
			want:   summary.Fail,
			detail: []string{"dispatch k0-0", "its task says skipped, yet the audit saw it write"},
		},
		{
			name: "an untagged write",
			edit: func(h *history.History) {
				h.Writes = append(h.Writes, history.Write{At: time.Minute, TxID: 7, Services: []int64{1}})
			},
			want:   summary.Fail,
			detail: []string{"a write no dispatch tagged (transaction 7"},
		},
		{
			name: "nothing dispatched and nothing written judges nothing",
			edit: func(h *history.History) {
				h.Dispatches, h.Writes, h.Tasks = nil, nil, nil
			},
			want:   summary.Inconclusive,
			detail: []string{"nothing was dispatched and nothing written"},
		},
		{
			name: "external mode is not applicable",
			edit: func(h *history.History) {
				h.HaveDispatches = false
			},
			want:   summary.NotApplicable,
			detail: []string{"not applicable: external target"},
		},
	})
}
