package broker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

func TestQueueDeliversInOrderAndAcknowledges(t *testing.T) {
	env := testenv.New(t)
	q := NewRedisQueue(env.Redis, env.Prefix, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 5 {
		require.NoError(t, q.Enqueue(ctx, Message{Type: TypeResult, Result: &Result{JobID: int64(i)}}))
	}
	var mu sync.Mutex
	var got []int64
	done := make(chan struct{})
	go func() {
		_ = q.Consume(ctx, "c1", func(_ context.Context, m Message) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m.Result.JobID)
			if len(got) == 5 {
				cancel()
			}
			return nil
		})
		close(done)
	}()
	<-done
	require.Equal(t, []int64{0, 1, 2, 3, 4}, got, "FIFO")
	n, err := q.Depth(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
	require.Zero(t, env.Redis.LLen(context.Background(), q.processing("c1")).Val(), "every message acknowledged")
}

// A consumer that died mid-task left its message in its processing list; the
// restarted consumer of the same name runs it.
func TestQueueRecoversUnfinishedWork(t *testing.T) {
	env := testenv.New(t)
	q := NewRedisQueue(env.Redis, env.Prefix, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	require.NoError(t, q.Enqueue(ctx, Message{Type: TypeHeartbeat, Heartbeat: &heartbeat.Task{Target: heartbeat.JobTarget(1, 2)}}))
	// Simulate the crash: the message moved to c1's processing list, never acknowledged.
	require.NoError(t, env.Redis.LMove(ctx, q.queue, q.processing("c1"), "RIGHT", "LEFT").Err())

	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var seen heartbeat.Target
	_ = q.Consume(cctx, "c1", func(_ context.Context, m Message) error {
		seen = m.Heartbeat.Target
		cancel()
		return errors.New("handler errors are logged, the message still acknowledged")
	})
	require.Equal(t, heartbeat.JobTarget(1, 2), seen)
	require.Zero(t, env.Redis.LLen(ctx, q.processing("c1")).Val())
}

func TestEnqueueFailsFastOnADeadBroker(t *testing.T) {
	env := testenv.New(t)
	c := env.Redis.Options()
	c.Addr, c.DialTimeout, c.MaxRetries = "127.0.0.1:1", 200*time.Millisecond, -1
	dead := NewRedisQueue(redisClient(c), env.Prefix, slog.New(slog.DiscardHandler))
	start := time.Now()
	err := dead.Enqueue(context.Background(), Message{Type: TypeResult, Result: &Result{}})
	require.ErrorContains(t, err, "enqueueing result message")
	require.Less(t, time.Since(start), 2*time.Second)
}

func redisClient(o *redis.Options) *redis.Client { return redis.NewClient(o) }

// Depth counts taken-but-unfinished messages too, so a drain waits for them.
func TestDepthCountsMessagesInFlight(t *testing.T) {
	env := testenv.New(t)
	q := NewRedisQueue(env.Redis, env.Prefix, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, q.Enqueue(ctx, Message{Type: TypeResult, Result: &Result{}}))
	started, release := make(chan struct{}), make(chan struct{})
	begin := sync.OnceFunc(func() { close(started) })
	done := make(chan struct{})
	go func() {
		_ = q.Consume(ctx, "slow", func(context.Context, Message) error {
			begin()
			<-release
			return nil
		})
		close(done)
	}()
	<-started
	n, err := q.Depth(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "the message being handled still counts")
	require.NoError(t, q.Enqueue(ctx, Message{Type: TypeHeartbeat, Heartbeat: &heartbeat.Task{DispatchID: "r0-7"}}))
	pending, err := q.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 2, "the waiting message and the one in hand")
	require.Equal(t, "r0-7", pending[0].Heartbeat.DispatchID)
	require.Equal(t, TypeResult, pending[1].Type)
	close(release)
	require.Eventually(t, func() bool { n, _ := q.Depth(ctx); return n == 0 }, 3*time.Second, 10*time.Millisecond)
	pending, err = q.Pending(ctx)
	require.NoError(t, err)
	require.Empty(t, pending)
	cancel()
	<-done
}
