package verify

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

func TestUnusable(t *testing.T) {
	tests := []struct {
		name string
		edit func(h *history.History)
		want string
	}{
		{"a healthy run is usable", nil, ""},
		{"every request refused", func(h *history.History) {
			h.Requests = history.Requests{RequestCounts: history.RequestCounts{Total: 5998, Status4xx: 5998},
				ByEndpoint: map[string]history.RequestCounts{"tasks": {Total: 5998, Status4xx: 5998}}}
		}, "every one of 5998 requests answered 4xx (on [tasks]): is --token right?"},
		{"nothing answered", func(h *history.History) {
			h.Requests = history.Requests{RequestCounts: history.RequestCounts{Total: 10, Transport: 10}}
		}, "none of 10 requests got an answer"},
		{"some refused is a verdict, not an unusable run", func(h *history.History) {
			h.Requests.Status4xx, h.Requests.OK = 10, h.Requests.OK-10
		}, ""},
		{"a sampler that never read", func(h *history.History) { h.SamplerReads, h.SamplerErrors = 0, 12 },
			"the sampler read nothing (12 reads failed)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := healthy()
			if tc.edit != nil {
				tc.edit(&h)
			}
			got := Unusable(h)
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Contains(t, got, tc.want)
		})
	}
}

func TestConcludeSortsMisses(t *testing.T) {
	vs := []summary.Verdict{
		{Name: "a", Outcome: summary.Pass, Expected: summary.Pass, Passed: true},
		{Name: "b", Outcome: summary.Fail, Expected: summary.Pass},
		{Name: "c", Outcome: summary.Inconclusive, Expected: summary.Pass},
		{Name: "d", Outcome: summary.NotApplicable, Expected: summary.Pass, Passed: true},
		{Name: "e", Outcome: summary.Inconclusive, Expected: summary.Fail},
	}
	c := Conclude(vs)
	require.Equal(t, []string{"b"}, names(c.Missed))
	require.Equal(t, []string{"c", "e"}, names(c.Inconclusive))
	require.False(t, Passed(vs))
}

func names(vs []summary.Verdict) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}
