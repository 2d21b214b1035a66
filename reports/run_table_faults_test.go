package reports

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
)

// The reader sees a fault's parameters beside its kind, as its kind
// describes them.
func TestFaultParametersAreShown(t *testing.T) {
	s := testSummary()
	s.Faults[0].Kind = "redis-slow"
	s.Faults[0].Planned = faults.Fault{Kind: "redis-slow", At: 3 * time.Minute, For: 90 * time.Second, Replica: faults.AllReplicas,
		Params: &faults.Slow{Latency: faults.Duration(250 * time.Millisecond)}}
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, s))
	require.Contains(t, buf.String(), "fault       redis-slow (latency 250ms) at 3m for 1m30s")
}
