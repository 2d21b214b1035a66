package reference_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/checker"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/settings"
)

// row is one service row a check test sets up: last_seen model age (nil:
// NULL), last_seen_live, and whether it is a push-mode (sync) service.
type row struct {
	age  *time.Duration
	live bool
	sync bool
}

func age(d time.Duration) *time.Duration { return &d }

// addService inserts a service with r's state, its last_seen on the wall
// clock at scale c, and returns its id.
func addService(t *testing.T, f *fixture, c modeltime.Clock, r row) int64 {
	t.Helper()
	var seen *time.Time
	if r.age != nil {
		ts := time.Now().Add(-c.Wall(*r.age))
		seen = &ts
	}
	var endpoint *string
	if r.sync {
		u := "http://sync.example/"
		endpoint = &u
	}
	var id int64
	require.NoError(t, f.env.Pool.QueryRow(context.Background(), `INSERT INTO ml_processingservice(name, endpoint_url, last_seen, last_seen_live)
		VALUES ('check test', $1, $2, $3) RETURNING id`, endpoint, seen, r.live).Scan(&id))
	return id
}

func liveOf(t *testing.T, f *fixture, id int64) *bool {
	t.Helper()
	var live *bool
	require.NoError(t, f.env.Pool.QueryRow(context.Background(), `SELECT last_seen_live FROM ml_processingservice WHERE id = $1`, id).Scan(&live))
	return live
}

// fire sends one copy of the check on q, as the beat does, and returns its
// id; the reference's task workers take it from there.
func fire(t *testing.T, f *fixture, q broker.Broker, c modeltime.Clock, expires time.Duration) string {
	t.Helper()
	b := &checker.Beat{Queue: q, Clock: c, Every: time.Hour, Expires: expires, Events: f.events, Replica: 99,
		Log: slog.New(slog.DiscardHandler)}
	require.NoError(t, b.Fire(context.Background()))
	var id string
	for _, e := range f.events.All() {
		if e.Kind == heartbeat.EventCheck && e.Replica == 99 && e.Result == heartbeat.CheckEnqueued {
			id = e.DispatchID
		}
	}
	require.NotEmpty(t, id, "the beat reports what it sent")
	return id
}

// outcome waits for what became of copy id.
func outcome(t *testing.T, f *fixture, id string) heartbeat.Event {
	t.Helper()
	var got heartbeat.Event
	eventually(t, func() bool {
		for _, e := range f.events.All() {
			if e.Kind == heartbeat.EventCheck && e.DispatchID == id && e.Result != heartbeat.CheckEnqueued {
				got = e
				return true
			}
		}
		return false
	}, "check %s taken by a worker", id)
	return got
}

// The check applies Antenna's rule (ami/ml/tasks.py:127-134) on the scaled
// clock, with its cutoff from the worker's clock: async, live, last_seen
// older than offline_after → not live. A NULL last_seen is left alone (it
// never matches last_seen__lt), as are sync services and rows already off.
func TestCheckFlipsStaleLiveAsyncRowsOnly(t *testing.T) {
	rows := map[string]row{
		"stale":                {age: age(75 * time.Second), live: true},
		"fresh":                {age: age(45 * time.Second), live: true},
		"just seen":            {age: age(5 * time.Second), live: true},
		"never seen, but live": {age: nil, live: true},
		"stale, already off":   {age: age(10 * time.Minute), live: false},
		"stale sync service":   {age: age(10 * time.Minute), live: true, sync: true},
	}
	tests := []struct {
		name  string
		scale modeltime.Scale
		// skew is the task workers' clock off (model time): the cutoff is
		// theirs (datetime.now() on the Celery worker).
		skew    time.Duration
		flipped []string
	}{
		{"real time", 1, 0, []string{"stale"}},
		{"scaled 0.05", 0.05, 0, []string{"stale"}},
		{"scaled 0.2", 0.2, 0, []string{"stale"}},
		{"worker clock 2 min behind: nothing is old enough yet", 0.2, -2 * time.Minute, nil},
		{"worker clock 30 s ahead: 45 s reads 75 s old", 0.2, 30 * time.Second, []string{"stale", "fresh"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := modeltime.Clock{Scale: tc.scale}
			f := start(t, "view-gate", withScale(tc.scale), func(cfg *reference.Config) { cfg.WorkerSkew = c.Wall(tc.skew) })
			ids := map[string]int64{}
			for name, r := range rows {
				ids[name] = addService(t, f, c, r)
			}
			before := map[string]*bool{}
			for name, id := range ids {
				before[name] = liveOf(t, f, id)
			}
			ev := outcome(t, f, fire(t, f, f.ref.Broker, c, settings.Default().CheckerExpires))
			require.Equal(t, heartbeat.CheckRan, ev.Result)
			require.Equal(t, int64(len(tc.flipped)), ev.Rows, "services flipped")
			for name, id := range ids {
				want := before[name]
				for _, fl := range tc.flipped {
					if fl == name {
						off := false
						want = &off
					}
				}
				require.Equal(t, want, liveOf(t, f, id), name)
			}
			require.Equal(t, float64(len(tc.flipped)), testutil.ToFloat64(f.ref.Metrics.Offline))
		})
	}
}

// A copy that waited past its expiry, on the worker's clock, is dropped
// unrun (expires=240, ami/ml/tasks.py:105,108): the stale service it would
// have flipped stays live until a copy runs.
func TestCheckCopyPastItsExpiryIsDropped(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Duration
		stall   time.Duration // the workers held this long after the enqueue
		skew    time.Duration // the workers' clock off (wall)
		want    string
	}{
		{"taken in time", 10 * time.Second, 0, 0, heartbeat.CheckRan},
		{"waited in the queue past its expiry", 100 * time.Millisecond, 600 * time.Millisecond, 0, heartbeat.CheckDropped},
		{"waited, but not past its expiry", 5 * time.Second, 300 * time.Millisecond, 0, heartbeat.CheckRan},
		{"taken at once by a worker whose clock is past its expiry", 10 * time.Second, 0, time.Minute, heartbeat.CheckDropped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := modeltime.Clock{Scale: modeltime.Real}
			f := start(t, "view-gate", func(cfg *reference.Config) { cfg.WorkerSkew = tc.skew })
			stale := addService(t, f, c, row{age: age(10 * time.Minute), live: true})
			if tc.stall > 0 {
				f.ref.StallWorkers(true)
			}
			id := fire(t, f, f.ref.Broker, c, tc.expires)
			if tc.stall > 0 {
				time.Sleep(tc.stall)
				f.ref.StallWorkers(false)
			}
			ev := outcome(t, f, id)
			require.Equal(t, tc.want, ev.Result)
			require.GreaterOrEqual(t, ev.At.Sub(ev.Enqueued), tc.stall, "the outcome says when it was sent and taken")
			wantLive := tc.want != heartbeat.CheckRan
			require.Equal(t, &wantLive, liveOf(t, f, stale))
			ran, dropped := 0.0, 0.0
			if tc.want == heartbeat.CheckRan {
				ran = 1
			} else {
				dropped = 1
			}
			require.Equal(t, ran, checkCopies(t, f, "ran"))
			require.Equal(t, dropped, checkCopies(t, f, "dropped"))
		})
	}
}

// checkCopies reads the reference's offline_check_total{result} from its
// registry, as /metrics serves it.
func checkCopies(t *testing.T, f *fixture, result string) float64 {
	t.Helper()
	families, err := f.ref.Metrics.Registry.Gather()
	require.NoError(t, err)
	for _, fam := range families {
		if fam.GetName() != "offline_check_total" {
			continue
		}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// On the heartbeats' queue (Antenna's default queue, issue #1229) the
// check waits behind whatever is ahead of it: here results on a shared
// queue with one worker, 100 ms each. On a queue of its own it does not.
func TestCheckWaitsBehindItsQueue(t *testing.T) {
	const results, cost = 15, 100 * time.Millisecond
	backlog := results * cost
	tests := []struct {
		queue string
		// the first copy sent after the backlog waits at least atLeast and
		// less than under.
		atLeast, under time.Duration
	}{
		// It was sent within one beat period (200 ms) of the last result:
		// most of the 1.5 s backlog is still ahead of it.
		{settings.CheckerOnHeartbeatQueue, backlog - 500*time.Millisecond, time.Minute},
		// Its own worker is idle: a generous second for a loaded runner.
		{settings.CheckerOnOwnQueue, 0, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.queue, func(t *testing.T) {
			f := start(t, "view-gate", withSettings(func(s *settings.Settings) {
				s.HeartbeatQueue, s.TaskWorkers, s.ResultCost = settings.QueueShared, 1, cost
				s.CheckerEvery, s.CheckerQueue = 200*time.Millisecond, tc.queue
			}))
			ctx := context.Background()
			for range results {
				require.NoError(t, f.ref.Results.Enqueue(ctx, broker.Message{Type: broker.TypeResult,
					Result: &broker.Result{JobID: 1, ReplySubject: "not-a-task"}}))
			}
			sent := time.Now()
			var ev heartbeat.Event
			require.Eventually(t, func() bool {
				for _, e := range f.events.All() {
					if e.Kind == heartbeat.EventCheck && e.Result == heartbeat.CheckRan && e.Enqueued.After(sent) {
						ev = e
						return true
					}
				}
				return false
			}, backlog+10*time.Second, 10*time.Millisecond, "a copy sent after the backlog runs")
			waited := ev.At.Sub(ev.Enqueued)
			require.GreaterOrEqual(t, waited, tc.atLeast)
			require.Less(t, waited, tc.under)
		})
	}
}
