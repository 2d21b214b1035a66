package fault

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/testdeps"
)

// realRedis is the machine's shared Redis. These tests send it only PING and
// SET/GET/DEL on keys under their own random prefix (plus the HELLO that
// go-redis sends when it connects), and delete those keys afterwards.
const realRedis = "127.0.0.1:6379"

// redisClient talks to addr with retries off, so a fault shows up as one
// failed command instead of being retried away.
func redisClient(t *testing.T, addr string, readTimeout time.Duration) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:                     addr,
		MaxRetries:               -1,
		DialTimeout:              time.Second,
		ReadTimeout:              readTimeout,
		WriteTimeout:             readTimeout,
		DisableIdentity:          true, // no CLIENT SETINFO on the shared server
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func startRedisProxy(t *testing.T) *Proxy {
	t.Helper()
	testdeps.NeedsServices(t)
	conn, err := net.DialTimeout("tcp", realRedis, time.Second)
	require.NoError(t, err, "these tests need the machine's Redis at %s", realRedis)
	_ = conn.Close()
	return startProxy(t, realRedis)
}

func TestRedisThroughProxy(t *testing.T) {
	p := startRedisProxy(t)
	c := redisClient(t, p.Addr(), time.Second)
	ctx := ctxTimeout(t, 5*time.Second)
	require.NoError(t, c.Ping(ctx).Err())

	key := "hbh_faulttest_" + rand.Text() + ":value"
	direct := redisClient(t, realRedis, time.Second)
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		require.NoError(t, direct.Del(ctx, key).Err(), "delete test key %s", key)
	})
	require.NoError(t, c.Set(ctx, key, "through the proxy", time.Minute).Err())
	got, err := c.Get(ctx, key).Result()
	require.NoError(t, err)
	assert.Equal(t, "through the proxy", got)
}

func TestRedisDownFailsFastAndRecovers(t *testing.T) {
	p := startRedisProxy(t)
	c := redisClient(t, p.Addr(), 2*time.Second)
	ctx := ctxTimeout(t, 5*time.Second)
	require.NoError(t, c.Ping(ctx).Err(), "warm a pooled connection")

	p.Set(Down{})
	for _, attempt := range []string{"pooled connection", "fresh connection"} {
		began := time.Now()
		err := c.Ping(ctx).Err()
		require.Error(t, err, "PING on a %s while down", attempt)
		assert.Less(t, time.Since(began), 500*time.Millisecond, "down must fail fast, not time out (%s: %v)", attempt, err)
	}

	p.Set(nil)
	require.NoError(t, c.Ping(ctx).Err(), "a new connection succeeds once the fault is lifted")
}

func TestRedisBlackholeTimesOut(t *testing.T) {
	p := startRedisProxy(t)
	c := redisClient(t, p.Addr(), 200*time.Millisecond)
	ctx := ctxTimeout(t, 5*time.Second)
	require.NoError(t, c.Ping(ctx).Err(), "warm a pooled connection")

	p.Set(Blackhole{})
	began := time.Now()
	err := c.Ping(ctx).Err()
	took := time.Since(began)
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "PING through a blackhole should time out, got %v", err)
	assert.GreaterOrEqual(t, took, 200*time.Millisecond)
	assert.Less(t, took, time.Second)

	p.Set(nil)
	require.NoError(t, c.Ping(ctx).Err(), "PING works again once the blackhole lifts")
}
