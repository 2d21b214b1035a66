package fault

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProxyPassThrough(t *testing.T) {
	p := startProxy(t, startEcho(t))
	require.Regexp(t, `^127\.0\.0\.1:\d+$`, p.Addr())
	c := dial(t, p.Addr())
	for _, msg := range []string{"hello", "a second message", string(make([]byte, 200<<10))} {
		took := roundTrip(t, c, msg)
		assert.Less(t, took, 100*time.Millisecond, "pass-through should add no delay")
	}
}

func TestProxyRejectsBadUpstream(t *testing.T) {
	_, err := NewProxy(t.Context(), "bad", "localhost", quietLog())
	require.ErrorContains(t, err, `upstream "localhost" is not a host:port address`)
}

func TestDownResetsAndRecovers(t *testing.T) {
	p := startProxy(t, startEcho(t))
	open := dial(t, p.Addr())
	roundTrip(t, open, "before")

	p.Set(Down{})
	requireDead(t, open)
	// New connections are accepted, then reset; the reset can arrive before
	// connect(2) returns, so the dial itself may fail.
	for range 3 {
		c, err := dialQuick(p.Addr())
		if err != nil {
			require.ErrorIs(t, err, syscall.ECONNRESET)
			continue
		}
		t.Cleanup(func() { _ = c.Close() })
		requireDead(t, c)
	}

	p.Set(nil)
	roundTrip(t, dial(t, p.Addr()), "after")
}

func TestBlackholeHoldsThenDelivers(t *testing.T) {
	p := startProxy(t, startEcho(t))
	c := dial(t, p.Addr())
	roundTrip(t, c, "warm")

	p.Set(Blackhole{})
	_, err := c.Write([]byte("held"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(150*time.Millisecond)))
	_, err = c.Read(make([]byte, 4))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing may come back through a blackhole")

	// The held bytes go through once it lifts, as a healed network would deliver them.
	p.Set(nil)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
	got := make([]byte, 4)
	_, err = c.Read(got)
	require.NoError(t, err)
	assert.Equal(t, "held", string(got))
}

func TestCloseStopsEverythingAndIsIdempotent(t *testing.T) {
	echo := startEcho(t)
	before := runtime.NumGoroutine()

	p, err := NewProxy(t.Context(), "leak", echo, quietLog())
	require.NoError(t, err)
	idle := dial(t, p.Addr())
	roundTrip(t, idle, "idle connection")
	held := dial(t, p.Addr())
	roundTrip(t, held, "warm")
	p.Set(Latency{Delay: time.Hour})
	_, err = held.Write([]byte("stuck in the queue"))
	require.NoError(t, err)

	require.Positive(t, proxyGoroutines(), "the probe must see the proxy's goroutines while it runs")
	require.NoError(t, p.Close())
	assert.Zero(t, proxyGoroutines(), "Close must wait for every goroutine of the proxy")
	require.NoError(t, p.Close(), "a second Close is a no-op")
	requireDead(t, idle)
	requireDead(t, held)
	_, err = dialQuick(p.Addr())
	require.Error(t, err, "the listener should be gone")
	// The echo server's side of the connections ends too; count only after.
	settleGoroutines(t, before)
}

func TestProxyClosesWithItsContext(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	p, err := NewProxy(ctx, "ctx", startEcho(t), quietLog())
	require.NoError(t, err)
	c := dial(t, p.Addr())
	roundTrip(t, c, "hi")
	cancel()
	requireDead(t, c)
	require.NoError(t, p.Close(), "Close after the context closed the proxy")
	assert.Zero(t, proxyGoroutines())
	settleGoroutines(t, before+1) // the echo server's accept loop outlives the proxy
}

func TestProxyWithEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p, err := NewProxy(ctx, "ended", startEcho(t), quietLog())
	require.NoError(t, err, "listening succeeds; the ended context closes the proxy right after")
	require.Eventually(t, func() bool {
		c, err := dialQuick(p.Addr())
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	}, time.Second, 5*time.Millisecond, "a proxy whose context already ended must stop listening by itself")
	require.NoError(t, p.Close())
}
