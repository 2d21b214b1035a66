package reference_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/settings"
)

// slowSupply holds each view in its reserve for hold, then hands out n tasks.
type slowSupply struct {
	hold time.Duration
	n    int
	// holds, when set, records when each reserve began and ended.
	holds *holdLog
}

// holdLog is the spans of wall time reserves were held.
type holdLog struct {
	mu    sync.Mutex
	spans [][2]time.Time
}

func (l *holdLog) add(from, to time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.spans = append(l.spans, [2]time.Time{from, to})
}

// overlapping counts the pairs of spans that were held at the same time.
func (l *holdLog) overlapping() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for i, a := range l.spans {
		for _, b := range l.spans[i+1:] {
			if a[0].Before(b[1]) && b[0].Before(a[1]) {
				n++
			}
		}
	}
	return n
}

func (s slowSupply) Reserve(ctx context.Context, job int64, n int) ([]antenna.Task, error) {
	began := time.Now()
	select {
	case <-time.After(s.hold):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if s.holds != nil {
		s.holds.add(began, time.Now())
	}
	out := make([]antenna.Task, min(n, s.n))
	for i := range out {
		out[i] = antenna.Task{ID: "t", ImageID: int64(i + 1), ReplySubject: "r"}
	}
	return out, nil
}

func withSupply(s slowSupply) option {
	return func(c *reference.Config) { c.Supply = s }
}

// burst sends n /tasks at once and returns their codes and how long the
// slowest took.
func burst(t *testing.T, f *fixture, n int) ([]int, time.Duration) {
	t.Helper()
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() { codes[i] = f.tasks(t, token) })
	}
	wg.Wait()
	return codes, time.Since(start)
}

// Under ATOMIC_REQUESTS the inline UPDATE's row locks last to the end of the
// view, through the reserve: requests of one key take turns for the whole
// view. The view gate's requests hold no such lock and overlap.
func TestInlineHoldsItsRowLocksThroughTheView(t *testing.T) {
	const n, hold = 5, 200 * time.Millisecond
	tests := []struct {
		strategy string
		serial   bool
	}{
		{"inline", true},
		{"view-gate", false},
	}
	for _, tc := range tests {
		t.Run(tc.strategy, func(t *testing.T) {
			f := start(t, tc.strategy, withSupply(slowSupply{hold: hold, n: 1}))
			codes, took := burst(t, f, n)
			for i, c := range codes {
				require.Equal(t, http.StatusOK, c, "request %d", i)
			}
			if tc.serial {
				require.GreaterOrEqual(t, took, n*hold, "inline's requests overlapped: the locks were not held through the view")
			} else {
				// Only a lower bound can be held on a busy machine: overlap shows
				// as far less than the serial n*hold.
				require.Less(t, took, (n-1)*hold, "the view gate's requests took turns")
			}
		})
	}
}

// Every line a view logs is written where settings.JobLog says, in the
// request's transaction.
func TestJobLogLines(t *testing.T) {
	tests := []struct {
		dest       string
		rows, logs int
	}{
		{settings.JobLogTable, 1, 0},
		{settings.JobLogRow, 0, 1},
		{settings.JobLogOff, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.dest, func(t *testing.T) {
			f := start(t, "view-gate", withSettings(func(s *settings.Settings) { s.JobLog = tc.dest }))
			require.Equal(t, http.StatusOK, f.tasks(t, token))
			ctx := context.Background()
			var rows, logs int
			require.NoError(t, f.env.Pool.QueryRow(ctx, `SELECT count(*) FROM jobs_joblog`).Scan(&rows))
			require.NoError(t, f.env.Pool.QueryRow(ctx, `SELECT jsonb_array_length(logs->'stdout') FROM jobs_job WHERE id = 1`).Scan(&logs))
			assert.Equal(t, tc.rows, rows, "jobs_joblog rows")
			assert.Equal(t, tc.logs, logs, "jobs_job.logs lines")
		})
	}
}

// A request that finds no database connection left is refused with a 500,
// at once; the rest are served.
func TestTierRefusesPastTheConnections(t *testing.T) {
	const hold = 300 * time.Millisecond
	f := start(t, "view-gate", withSupply(slowSupply{hold: hold, n: 1}), withSettings(func(s *settings.Settings) {
		// Two connections for the web tier: what the workers leave of this many.
		s.DBMaxConnections = s.TaskWorkers*2 + 1 + 2
	}))
	codes, _ := burst(t, f, 5)
	var ok, refused int
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusInternalServerError:
			refused++
		}
	}
	require.Equal(t, 2, ok, "codes %v", codes)
	require.Equal(t, 3, refused, "codes %v", codes)
	require.Equal(t, 3.0, f.metric(t, "web_refused_total"))
}

// A bounded tier runs web_concurrency*web_threads requests at once and
// queues the rest in front.
func TestTierQueuesPastItsSlots(t *testing.T) {
	const n, hold = 3, 150 * time.Millisecond
	f := start(t, "view-gate", withSupply(slowSupply{hold: hold, n: 1}), withSettings(func(s *settings.Settings) {
		s.WebConcurrency, s.WebThreads = 1, 1
	}))
	codes, took := burst(t, f, n)
	for i, c := range codes {
		require.Equal(t, http.StatusOK, c, "request %d", i)
	}
	require.GreaterOrEqual(t, took, n*hold, "one slot: the requests must have taken turns")
	require.Equal(t, float64(n), f.metric(t, "web_queue_seconds_count"))
}

// A client that hangs up does not stop its view, as with Django's sync views:
// the inline UPDATE it made still commits.
func TestAViewOutlivesItsClient(t *testing.T) {
	f := start(t, "inline", withSupply(slowSupply{hold: 300 * time.Millisecond, n: 1}))
	srv := f.srv
	before := f.lastSeen(t)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	req, err := http.NewRequest("POST", srv.URL+"/api/v2/jobs/1/tasks/", strings.NewReader(`{"batch_size": 1}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+token)
	_, err = client.Do(req)
	require.Error(t, err, "the client must have given up before the view ended")
	eventually(t, func() bool { return f.lastSeen(t)[0].After(before[0]) }, "the view ran on and committed its UPDATE")
}

// Cachalot's round trips: the view's two cachable reads (the token, the
// job), the commit's two set_many when the view wrote (a job log line; under
// inline the service rows too, in the same set_many), and under the view
// gate the task's read and its invalidation before its UPDATE.
func TestCachalotRoundTrips(t *testing.T) {
	tests := []struct {
		strategy           string
		reads, invalidates int
	}{
		{"view-gate", 2 + 1, 2 + 1},
		{"inline", 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.strategy, func(t *testing.T) {
			f := start(t, tc.strategy, withSupply(slowSupply{n: 1}))
			require.Equal(t, http.StatusOK, f.tasks(t, token))
			eventually(t, func() bool { return f.events.rows() > 0 }, "the heartbeat written")
			eventually(t, func() bool {
				return f.metric(t, `cachalot_redis_calls_total{kind="read",result="ok"}`) == float64(tc.reads) &&
					f.metric(t, `cachalot_redis_calls_total{kind="invalidate",result="ok"}`) == float64(tc.invalidates)
			}, "reads %d and invalidations %d", tc.reads, tc.invalidates)
		})
	}
}

// metric is the value of one series on the fixture's /metrics (-1: absent).
func (f *fixture) metric(t *testing.T, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(f.metrics(t), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			return n
		}
	}
	return -1
}

func (f *fixture) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(f.srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// One process's GIL runs one request's Python at a time: requests past it
// wait their turn before reaching the database.
func TestGILSerialisesEachProcessesCPU(t *testing.T) {
	const n, cpu = 3, 150 * time.Millisecond
	tests := []struct {
		processes int
		serial    bool
	}{
		{1, true},
		{n, false},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.processes)+" processes", func(t *testing.T) {
			f := start(t, "view-gate", withSupply(slowSupply{n: 1}), withSettings(func(s *settings.Settings) {
				s.WebConcurrency, s.ViewCPU = tc.processes, cpu
			}))
			codes, took := burst(t, f, n)
			for i, c := range codes {
				require.Equal(t, http.StatusOK, c, "request %d", i)
			}
			if tc.serial {
				require.GreaterOrEqual(t, took, n*cpu, "one process: the CPU must have been taken in turn")
			} else {
				// Timed by the GIL's own booking, not the wall: a loaded
				// machine stretches the burst but never makes a request wait
				// for another's CPU when each has a process.
				require.Less(t, f.metric(t, "web_cpu_wait_seconds_sum"), (cpu / 2).Seconds(), "a process each: the CPU overlaps (took %v)", took)
			}
			require.Equal(t, float64(n), f.metric(t, "web_cpu_wait_seconds_count"))
		})
	}
}
