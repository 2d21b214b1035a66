package fleet

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/reference/antenna"
)

// collected keeps every result a fleet hands over.
type collected struct {
	mu  sync.Mutex
	all []vegeta.Result
}

func (c *collected) Add(r *vegeta.Result) {
	c.mu.Lock()
	c.all = append(c.all, *r)
	c.mu.Unlock()
}

// classes counts results the way RequestStats counts requests.
func classes(rs []vegeta.Result) RequestStats {
	var s RequestStats
	for _, r := range rs {
		s.Total++
		switch {
		case r.Code == 0:
			s.Transport++
		case r.Code >= 200 && r.Code < 300 && r.Error != "":
			s.Malformed++
		case r.Code >= 200 && r.Code < 300:
			s.OK++
		case r.Code >= 500 && r.Code < 600:
			s.Status5xx++
		case r.Code >= 400 && r.Code < 500:
			s.Status4xx++
		}
	}
	return s
}

func counts(s RequestStats) RequestStats {
	return RequestStats{Total: s.Total, OK: s.OK, Malformed: s.Malformed, Status4xx: s.Status4xx, Status5xx: s.Status5xx, Transport: s.Transport}
}

// Every request the report counts reaches the sink once, with its outcome
// as the report classes it, stamped with its intended send: idle workers
// without jitter are due on whole periods from their start.
func TestFleetHandsEveryRequestToTheResults(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 0:
			w.Write([]byte(`{"results":[]}`))
		case 1:
			w.Write([]byte(`{"count":0}`)) // 200, but not the list's shape
		case 2:
			http.Error(w, `{"detail":"busy"}`, http.StatusServiceUnavailable)
		case 3:
			// The answer breaks off: a transport failure, which the client
			// cannot retry as it would a connection closed before any answer.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"))
				conn.Close()
			}
		}
	}))
	t.Cleanup(srv.Close)
	const every, stop = 5 * time.Second, 60 * time.Second
	workers := spread(8, Idle, 0, every, stop)
	var sink collected
	live := new(latency.Live)
	run := newRun()
	rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: run, Results: &sink, Live: live})

	require.Positive(t, rep.Requests.Malformed)
	require.Positive(t, rep.Requests.Status5xx)
	require.Positive(t, rep.Requests.Transport)
	require.Equal(t, counts(rep.Requests), classes(sink.all))
	require.Equal(t, rep.Requests.Total, live.Requests())

	starts := map[time.Duration]bool{}
	for _, w := range workers {
		starts[w.StartAt] = true
	}
	seqs := map[uint64]bool{}
	for _, r := range sink.all {
		require.Equal(t, "fleet:g/list", r.Attack)
		require.Equal(t, http.MethodGet, r.Method)
		require.True(t, strings.HasPrefix(r.URL, srv.URL+"/api/v2/jobs"), r.URL)
		require.GreaterOrEqual(t, r.Latency, time.Duration(0))
		seqs[r.Seq] = true
		// Due at start + k·every for some worker's start: the intended send.
		at := run.Since(r.Timestamp)
		onSlot := false
		for s := range starts {
			if off := (at - s) % every; at >= s && (off < time.Microsecond || every-off < time.Microsecond) {
				onSlot = true
			}
		}
		require.True(t, onSlot, "a request stamped %v into the run is on no worker's slot", at)
		switch {
		case r.Code == 200 && r.Error != "":
			require.Contains(t, r.Error, "malformed")
		case r.Code == 503:
			require.Equal(t, "503 Service Unavailable", r.Error)
		case r.Code == 0:
			require.NotEmpty(t, r.Error)
		}
	}
	require.Len(t, seqs, len(sink.all), "every result has a sequence number of its own")
}

// The real client's loop (adc) hands over every request of every endpoint.
func TestFleetADCHandsEveryRequestToTheResults(t *testing.T) {
	workers := adcWorkers(2, 30*time.Second)
	a, srv := newAntenna(t, tokensOf(workers)...)
	a.addJob(1, "a", 24*10+3)
	var sink collected
	rep := runFleet(t, Config{Target: srv.URL, Workers: workers, Run: newRun(), Results: &sink})

	byName := map[string]uint64{}
	for _, r := range sink.all {
		byName[r.Attack]++
	}
	for _, ep := range antenna.Endpoints() {
		require.Positive(t, rep.PerEndpoint[ep].Total, ep)
		require.Equal(t, rep.PerEndpoint[ep].Total, byName["fleet:gpu/"+ep], ep)
	}
	require.Equal(t, counts(rep.Requests), classes(sink.all))
}
