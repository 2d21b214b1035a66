package taskqueue_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/taskqueue"
)

// queue is a Queue under a prefix of the test's own on the machine's NATS,
// whose streams are deleted when the test ends.
func queue(t *testing.T, scale modeltime.Scale, edit ...func(*taskqueue.Config)) (*taskqueue.Queue, taskqueue.Config) {
	t.Helper()
	testdeps.NeedsServices(t)
	url := provision.FromEnv().NATS
	if err := provision.ProbeNATS(t.Context(), url, 3*time.Second); err != nil {
		t.Fatalf("these tests need NATS with JetStream (bash scripts/services.sh starts it): %v", err)
	}
	prefix := provision.Prefix(provision.NewName("tq"))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, provision.DeleteStreams(ctx, url, prefix))
	})
	c := taskqueue.Config{URL: url, Prefix: prefix, Scale: scale, TTR: 300 * time.Second, MaxDeliver: 2, MaxAckPending: 1000,
		Log: slog.New(slog.DiscardHandler)}
	for _, e := range edit {
		e(&c)
	}
	q, err := taskqueue.New(c)
	require.NoError(t, err)
	return q, c
}

// js is a JetStream client for the test's own looks at the server.
func js(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	j, err := jetstream.New(nc)
	require.NoError(t, err)
	return j
}

func seqs(t *testing.T, tasks []antenna.Task) []uint64 {
	t.Helper()
	var out []uint64
	for _, task := range tasks {
		a, ok := taskqueue.ParseAck(task.ReplySubject)
		require.True(t, ok, task.ReplySubject)
		out = append(out, a.Seq)
	}
	return out
}

// Tasks come back in order, with the reply subject of their delivery, as
// many as asked for or as are left; a job with tasks answers at once.
func TestReserveFromASeededStream(t *testing.T) {
	cases := []struct {
		name         string
		tasks, batch int
		want         []uint64
	}{
		{"one of many", 10, 1, []uint64{1}},
		{"a batch of many", 10, 4, []uint64{1, 2, 3, 4}},
		{"fewer than the batch", 3, 8, []uint64{1, 2, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := queue(t, modeltime.Real)
			require.NoError(t, q.Seed(t.Context(), []taskqueue.Job{{ID: 7, Tasks: int64(tc.tasks)}}))
			start := time.Now()
			tasks, err := q.Reserve(t.Context(), 7, tc.batch)
			took := time.Since(start)
			require.NoError(t, err)
			require.Equal(t, tc.want, seqs(t, tasks))
			for _, task := range tasks {
				a, _ := taskqueue.ParseAck(task.ReplySubject)
				require.Equal(t, q.Names().Stream(7), a.Stream)
				require.Equal(t, strconv.FormatUint(a.Seq, 10), task.ID, "decoded")
				require.Equal(t, int64(a.Seq), task.ImageID, "image i is the stream's message i")
			}
			require.Less(t, took, taskqueue.ReserveWait, "tasks that are there come back without waiting out the fetch")
		})
	}
}

// An empty consumer, or one at max_ack_pending, costs the request the whole
// 0.5 s wait (model time, scaled with Wall), whatever the batch; there is
// no upper bound but the runner's patience.
func TestReserveWaitsOutAnEmptyConsumer(t *testing.T) {
	cases := []struct {
		name          string
		scale         modeltime.Scale
		tasks, ackMax int
		first, batch  int
		got           int
	}{
		{"batch of one, drained", modeltime.Real, 1, 1000, 1, 1, 0},
		{"batch of eight, drained", modeltime.Real, 2, 1000, 2, 8, 0},
		{"at max_ack_pending", modeltime.Real, 5, 2, 2, 2, 0},
		{"compressed clock", 0.2, 1, 1000, 1, 8, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := queue(t, tc.scale, func(c *taskqueue.Config) { c.MaxAckPending = tc.ackMax })
			require.NoError(t, q.Seed(t.Context(), []taskqueue.Job{{ID: 1, Tasks: int64(tc.tasks)}}))
			tasks, err := q.Reserve(t.Context(), 1, tc.first)
			require.NoError(t, err)
			require.Len(t, tasks, tc.first)
			start := time.Now()
			tasks, err = q.Reserve(t.Context(), 1, tc.batch)
			took := time.Since(start)
			require.NoError(t, err)
			require.Len(t, tasks, tc.got)
			require.GreaterOrEqual(t, took, tc.scale.Wall(taskqueue.ReserveWait))
		})
	}
}

// A job with no stream has no tasks, at once.
func TestReserveWithoutAStream(t *testing.T) {
	q, _ := queue(t, modeltime.Real)
	start := time.Now()
	tasks, err := q.Reserve(t.Context(), 99, 4)
	require.NoError(t, err)
	require.Empty(t, tasks)
	require.Less(t, time.Since(start), taskqueue.ReserveWait)
}

// A task not acknowledged within the ack wait is handed out again, at most
// max_deliver times in all; one acknowledged by its reply subject never is.
// The ack wait is model time: 30 s at scale 0.1 is 3 s of wall time, room
// for the acknowledgement (a plain publish, flushed by the client when it
// can) to reach the server on a CI runner busy with -race (at 1 s, task 2
// was once handed out again though acknowledged).
func TestRedeliveryAfterTheAckWaitUpToMaxDeliver(t *testing.T) {
	const scale = modeltime.Scale(0.1)
	q, c := queue(t, scale, func(c *taskqueue.Config) { c.TTR = 30 * time.Second; c.MaxDeliver = 2 })
	require.NoError(t, q.Seed(t.Context(), []taskqueue.Job{{ID: 3, Tasks: 2}}))
	// Taken before the delivery, so the ack wait cannot have begun earlier.
	start := time.Now()
	first, err := q.Reserve(t.Context(), 3, 2)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2}, seqs(t, first))
	acker := q.Acker()
	t.Cleanup(acker.Close)
	require.NoError(t, acker.Ack(t.Context(), first[1].ReplySubject), "task 2 is done; task 1 is dropped")

	var again []antenna.Task
	require.Eventually(t, func() bool {
		again, err = q.Reserve(t.Context(), 3, 2)
		require.NoError(t, err)
		return len(again) > 0
	}, 30*time.Second, 10*time.Millisecond, "task 1 comes back after the ack wait")
	require.GreaterOrEqual(t, time.Since(start), scale.Wall(c.TTR), "not before the ack wait")
	require.Equal(t, []uint64{1}, seqs(t, again), "only the unacknowledged task: %v", again)
	require.NotEqual(t, first[0].ReplySubject, again[0].ReplySubject, "a new delivery has a reply subject of its own")

	// Dropped again: max_deliver 2 is spent, so it never comes back, however
	// long past the ack wait we look (slowness can only delay a redelivery).
	time.Sleep(scale.Wall(c.TTR) + 500*time.Millisecond)
	tasks, err := q.Reserve(t.Context(), 3, 2)
	require.NoError(t, err)
	require.Empty(t, tasks, "delivered max_deliver times: never again")
	cons, err := js(t, c.URL).Consumer(t.Context(), q.Names().Stream(3), q.Names().Consumer(3))
	require.NoError(t, err)
	info, err := cons.Info(t.Context())
	require.NoError(t, err)
	require.Zero(t, info.NumPending)
	require.Equal(t, uint64(3), info.Delivered.Consumer, "three deliveries: tasks 1 and 2, then task 1 again")
	t.Logf("after max_deliver: ack floor %d, ack pending %d, redelivered %d", info.AckFloor.Stream, info.NumAckPending, info.NumRedelivered)
}

// Finish removes a job's consumer and stream; acknowledging a task of a
// removed job is harmless, and so is finishing it twice.
func TestFinishRemovesTheJobsQueue(t *testing.T) {
	q, c := queue(t, modeltime.Real)
	require.NoError(t, q.Seed(t.Context(), []taskqueue.Job{{ID: 4, Tasks: 1}, {ID: 5, Tasks: 1}}))
	tasks, err := q.Reserve(t.Context(), 4, 1)
	require.NoError(t, err)
	acker := q.Acker()
	t.Cleanup(acker.Close)
	require.NoError(t, acker.Finish(t.Context(), 4))
	require.NoError(t, acker.Finish(t.Context(), 4))
	require.NoError(t, acker.Ack(t.Context(), tasks[0].ReplySubject))
	j := js(t, c.URL)
	_, err = j.Stream(t.Context(), q.Names().Stream(4))
	require.ErrorIs(t, err, jetstream.ErrStreamNotFound)
	_, err = j.Stream(t.Context(), q.Names().Stream(5))
	require.NoError(t, err, "other jobs keep theirs")
}

// Seeding again starts each job afresh: the earlier seed's tasks are gone.
func TestSeedReplacesAnEarlierSeed(t *testing.T) {
	q, c := queue(t, modeltime.Real)
	require.NoError(t, q.Seed(t.Context(), []taskqueue.Job{{ID: 1, Tasks: 3}}))
	_, err := q.Reserve(t.Context(), 1, 2)
	require.NoError(t, err)
	require.NoError(t, q.Seed(t.Context(), []taskqueue.Job{{ID: 1, Tasks: 3}}))
	tasks, err := q.Reserve(t.Context(), 1, 8)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3}, seqs(t, tasks))
	adv, err := js(t, c.URL).Stream(t.Context(), q.Names().Advisories())
	require.NoError(t, err, "the run's advisory stream")
	require.Equal(t, []string{q.Names().MaxDeliveries(1)}, adv.CachedInfo().Config.Subjects, "its own jobs' advisories only")
}

// Unreachable NATS is ErrUnavailable, whether nothing listens or the URL is
// one no server answers the protocol on; nothing is ever taken.
func TestReserveUnavailable(t *testing.T) {
	q, err := taskqueue.New(taskqueue.Config{URL: "nats://127.0.0.1:1", Scale: modeltime.Real, TTR: time.Minute,
		MaxDeliver: 2, MaxAckPending: 10, Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	tasks, err := q.Reserve(t.Context(), 1, 4)
	require.ErrorIs(t, err, taskqueue.ErrUnavailable)
	require.Empty(t, tasks)
}

func TestParseAck(t *testing.T) {
	cases := []struct {
		reply string
		want  taskqueue.Ack
		ok    bool
	}{
		{"$JS.ACK.job_1.job-1-consumer.1.42.40.1796607136274403561.9995", taskqueue.Ack{Stream: "job_1", Consumer: "job-1-consumer", Seq: 42}, true},
		{"$JS.ACK.hbh_t_20261207t013216_4ac1599156:job_1.hbh_t_20261207t013216_4ac1599156:job-1-consumer.2.5.9.1.0",
			taskqueue.Ack{Stream: "hbh_t_20261207t013216_4ac1599156:job_1", Consumer: "hbh_t_20261207t013216_4ac1599156:job-1-consumer", Seq: 5}, true},
		{"$JS.ACK.dom.hash.job_1.job-1-consumer.1.7.7.1.0.rand", taskqueue.Ack{Stream: "job_1", Consumer: "job-1-consumer", Seq: 7}, true},
		{"attack-1", taskqueue.Ack{}, false},
		{"job.1.reply.r0-5", taskqueue.Ack{}, false},
		{"$JS.ACK.job_1.c.1.x.1.1.1", taskqueue.Ack{}, false},
		{"$JS.ACK.job_1.c.1.0.1.1.1", taskqueue.Ack{}, false},
		{"$JS.ACK.job_1.c.1.1.1.1", taskqueue.Ack{}, false},
		{"", taskqueue.Ack{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.reply, func(t *testing.T) {
			got, ok := taskqueue.ParseAck(tc.reply)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

// With no prefix the names are upstream's; with one, each is under it, and
// the advisory stream captures only the run's own max-deliveries subjects.
func TestNames(t *testing.T) {
	up := taskqueue.Names{}
	require.Equal(t, "job_12", up.Stream(12))
	require.Equal(t, "job.12.tasks", up.Subject(12))
	require.Equal(t, "job-12-consumer", up.Consumer(12))
	require.Equal(t, "advisories", up.Advisories())
	require.Equal(t, []string{"$JS.EVENT.ADVISORY.>"}, up.AdvisorySubjects([]int64{12}))
	run := taskqueue.Names{Prefix: "hbh_run_20261127t052800_ab12cd34ef:"}
	require.Equal(t, "hbh_run_20261127t052800_ab12cd34ef:job_12", run.Stream(12))
	require.Equal(t, []string{"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.hbh_run_20261127t052800_ab12cd34ef:job_12.hbh_run_20261127t052800_ab12cd34ef:job-12-consumer"},
		run.AdvisorySubjects([]int64{12}))
	_, err := taskqueue.New(taskqueue.Config{URL: "nats://x", Prefix: "a.b", Scale: 1, TTR: 1, MaxDeliver: 1, MaxAckPending: 1})
	require.Error(t, err, "a dot would split the stream's subjects")
}
