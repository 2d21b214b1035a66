package verify

import (
	"testing"

	"github.com/hbharness/hbharness/harness/history"
)

func TestCheckRequests(t *testing.T) {
	withErrors := func(transport, s5xx, allowed int64) func(h *history.History) {
		return func(h *history.History) {
			h.Requests.Transport, h.Requests.Status5xx = transport, s5xx
			h.Requests.Errors = transport + s5xx
			h.Requests.OK = h.Requests.Total - h.Requests.Errors
			h.AllowedErrors = allowed
		}
	}
	runInvariantCases(t, checkRequests, []invariantCase{
		{
			name:   "no errors pass",
			want:   Pass,
			detail: []string{"6000 requests, 0 errors (0 transport, 0 5xx), 0 allowed, p99 9ms"},
		},
		{
			name:   "errors up to the allowance pass",
			edit:   withErrors(3, 2, 5),
			want:   Pass,
			detail: []string{"5 errors (3 transport, 2 5xx), 5 allowed"},
		},
		{
			name:   "one error beyond the allowance fails",
			edit:   withErrors(3, 3, 5),
			want:   Fail,
			detail: []string{"6000 requests, 6 errors (3 transport, 3 5xx), 5 allowed, p99 9ms"},
		},
		{
			name: "4xx answers are not errors",
			edit: func(h *history.History) {
				h.Requests.Status4xx = 40
				h.Requests.OK = h.Requests.Total - 40
			},
			want: Pass,
		},
	})
}
