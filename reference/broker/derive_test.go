package broker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision/testenv"
)

// A derived queue is a second queue beside the first, on the same server:
// what goes on one never shows on the other.
func TestRedisDeriveIsASecondQueue(t *testing.T) {
	env := testenv.New(t)
	ctx := context.Background()
	q := NewRedisQueue(env.Redis, env.Prefix, discardLog())
	var _ Deriver = q
	d, err := q.Derive("results:", nil)
	require.NoError(t, err)
	require.Equal(t, env.Prefix+"results:queue", d.(*RedisQueue).queue)
	require.NoError(t, d.Enqueue(ctx, resultMessage(1)))
	n, err := q.Depth(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = d.Depth(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	require.Equal(t, int64(1), env.Redis.LLen(ctx, env.Prefix+"results:queue").Val())
	require.NoError(t, d.Close())
}

func TestAMQPDeriveIsASecondQueue(t *testing.T) {
	q := newTestAMQP(t, rabbitURL, 2*time.Second, discardLog())
	var _ Deriver = q
	ctx := context.Background()
	b, err := q.Derive("results:", discardLog())
	require.NoError(t, err)
	d := b.(*AMQPQueue)
	require.Equal(t, q.queue[:len(q.queue)-len("queue")]+"results:queue", d.queue)
	t.Cleanup(func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, d.Delete(dctx), "removing the derived test queue")
		require.NoError(t, d.Close())
	})
	require.NoError(t, d.Enqueue(ctx, resultMessage(1)))
	require.Eventually(t, func() bool { n, err := d.Depth(ctx); return err == nil && n == 1 }, 5*time.Second, 20*time.Millisecond)
	n, err := q.Depth(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "the first queue holds none of it")
}
