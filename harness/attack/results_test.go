package attack

import (
	"cmp"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/reference/antenna"
)

type collected struct {
	mu  sync.Mutex
	all []vegeta.Result
}

func (c *collected) Add(r *vegeta.Result) {
	c.mu.Lock()
	c.all = append(c.all, *r)
	c.mu.Unlock()
}

// Every hit reaches the results sink once, named for its attack, stamped
// with the instant the pacer meant it to go out (one interval after the
// hit before it) and timed from there; a failed answer keeps its error.
func TestEveryHitReachesTheResults(t *testing.T) {
	a, srv := newAntenna(t)
	a.code = func(_ string, arrived time.Time) int {
		if arrived.UnixNano()%3 == 0 {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	var sink collected
	live := new(latency.Live)
	rep := run(t, Config{Target: srv.URL, LagTolerance: 250 * time.Millisecond, Results: &sink, Live: live, Attacks: []Attack{{
		Name: "burst", Endpoint: antenna.EndpointTasks, RatePerModelSecond: 250, Duration: 2 * time.Second, Targets: targets(3),
	}}})

	require.Positive(t, rep.Requests.Status5xx)
	require.EqualValues(t, rep.Requests.Total, len(sink.all))
	require.Equal(t, rep.Requests.Total, live.Requests())
	var ok, unavailable uint64
	for _, r := range sink.all {
		require.Equal(t, "attack:burst/tasks", r.Attack)
		require.Equal(t, http.MethodPost, r.Method)
		require.GreaterOrEqual(t, r.Latency, time.Duration(0))
		require.Nil(t, r.Headers)
		switch r.Code {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			unavailable++
			require.Equal(t, "503 Service Unavailable", r.Error)
		}
	}
	require.Equal(t, rep.Requests.OK, ok)
	require.Equal(t, rep.Requests.Status5xx, unavailable)

	slices.SortFunc(sink.all, func(x, y vegeta.Result) int { return cmp.Compare(x.Seq, y.Seq) })
	for i := 1; i < len(sink.all); i++ {
		prev, cur := sink.all[i-1], sink.all[i]
		require.Equal(t, prev.Seq+1, cur.Seq)
		// 500 hits per wall second: due 2 ms apart, whenever they really left.
		require.InDelta(t, 2*time.Millisecond, cur.Timestamp.Sub(prev.Timestamp), float64(time.Microsecond))
	}
}
