package verify

import (
	"testing"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

func TestCheckRequests(t *testing.T) {
	// onResult makes n of /result's requests fail with the given class.
	onResult := func(n int64, class func(*history.RequestCounts, int64)) func(h *history.History) {
		return func(h *history.History) {
			c := h.Requests.ByEndpoint["result"]
			c.OK -= n
			class(&c, n)
			h.Requests.ByEndpoint["result"] = c
			h.Requests.RequestCounts = h.Requests.ByEndpoint["tasks"].Add(c)
		}
	}
	s5xx := func(c *history.RequestCounts, n int64) { c.Status5xx += n }
	s4xx := func(c *history.RequestCounts, n int64) { c.Status4xx += n }
	unfollowed := func(c *history.RequestCounts, n int64) { c.Status3xx += n }
	malformed := func(c *history.RequestCounts, n int64) { c.Malformed += n }
	allow := func(a history.Allowance, edit func(*history.History)) func(*history.History) {
		return func(h *history.History) { edit(h); h.AllowedErrors = a }
	}
	runInvariantCases(t, checkRequests, []invariantCase{
		{
			name:   "no errors pass",
			want:   summary.Pass,
			detail: []string{"6000 requests, 0 errors (none); 0 allowed in all; p99 9ms"},
		},
		{
			name:   "errors up to a total allowance pass",
			edit:   allow(history.Allowance{Total: 5}, onResult(5, s5xx)),
			want:   summary.Pass,
			detail: []string{"5 errors (5 5xx); 5 allowed in all"},
		},
		{
			name:   "one error beyond it fails",
			edit:   allow(history.Allowance{Total: 5}, onResult(6, s5xx)),
			want:   summary.Fail,
			detail: []string{"6 errors, 5 allowed"},
		},
		{
			name:   "4xx, unfollowed redirects and malformed bodies are errors too",
			edit:   func(h *history.History) { onResult(1, s4xx)(h); onResult(1, unfollowed)(h); onResult(1, malformed)(h) },
			want:   summary.Fail,
			detail: []string{"3 errors (1 3xx, 1 4xx, 1 malformed)"},
		},
		{
			name:   "a per-endpoint allowance excuses one endpoint only",
			edit:   allow(history.Allowance{PerEndpoint: map[string]int64{"result": 300}}, onResult(280, s5xx)),
			want:   summary.Pass,
			detail: []string{"allowed result 300, other endpoints 0"},
		},
		{
			name: "and holds the others to none",
			edit: allow(history.Allowance{PerEndpoint: map[string]int64{"result": 300}}, func(h *history.History) {
				c := h.Requests.ByEndpoint["tasks"]
				c.OK--
				c.Transport++
				h.Requests.ByEndpoint["tasks"] = c
			}),
			want:   summary.Fail,
			detail: []string{"tasks: 1 errors (1 transport), 0 allowed"},
		},
		{
			// /tasks answers 503 while the task queue (NATS) is down.
			name: "a 503 on /tasks is a tasks error, which no result allowance excuses",
			edit: allow(history.Allowance{PerEndpoint: map[string]int64{"result": 300}}, func(h *history.History) {
				c := h.Requests.ByEndpoint["tasks"]
				c.OK -= 40
				c.Status5xx += 40
				h.Requests.ByEndpoint["tasks"] = c
				h.Requests.RequestCounts = c.Add(h.Requests.ByEndpoint["result"])
			}),
			want:   summary.Fail,
			detail: []string{"tasks: 40 errors (40 5xx), 0 allowed"},
		},
		{
			name: "and passes within a tasks allowance",
			edit: allow(history.Allowance{PerEndpoint: map[string]int64{"tasks": 40}}, func(h *history.History) {
				c := h.Requests.ByEndpoint["tasks"]
				c.OK -= 40
				c.Status5xx += 40
				h.Requests.ByEndpoint["tasks"] = c
				h.Requests.RequestCounts = c.Add(h.Requests.ByEndpoint["result"])
			}),
			want:   summary.Pass,
			detail: []string{"40 errors (40 5xx); allowed tasks 40, other endpoints 0"},
		},
		{
			name:   "no request sent judges nothing",
			edit:   func(h *history.History) { h.Requests = history.Requests{} },
			want:   summary.Inconclusive,
			detail: []string{"no request was sent"},
		},
	})
}
