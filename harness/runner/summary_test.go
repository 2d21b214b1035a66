package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// A fault's requests come from the exact span the runner summed when there
// is one, not from the worst of the windows it touches.
func TestDuringUsesTheExactSpan(t *testing.T) {
	h := &history.History{Requests: history.Requests{Timeline: []history.RequestWindow{
		{From: 0, Every: time.Second, P99: 900 * time.Millisecond,
			ByEndpoint: map[string]history.RequestCounts{"result": {Total: 10, OK: 9, Status5xx: 1}}},
	}}}
	f := history.Fault{At: 0, For: time.Second}
	d := summary.During{Errors: map[string]int64{}}
	faultRequests(h, f, &d)
	require.Equal(t, 900.0, d.P99MS, "without a span: the worst window")
	require.Equal(t, map[string]int64{"result": 1}, d.Errors)

	f.Requests = &history.RequestWindow{P99: 250 * time.Millisecond,
		ByEndpoint: map[string]history.RequestCounts{"tasks": {Total: 4, Status5xx: 4}}}
	d = summary.During{Errors: map[string]int64{}}
	faultRequests(h, f, &d)
	require.Equal(t, 250.0, d.P99MS)
	require.Equal(t, map[string]int64{"tasks": 4}, d.Errors)
}
