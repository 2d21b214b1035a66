package redisconn

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOpenRetriesOnlyOnTheRunsClock(t *testing.T) {
	c, err := Open("redis://127.0.0.1:6379/0", Timeouts{Timeout: time.Second, Retries: 3, Backoff: 4 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	opt := c.Options()
	// go-redis's own dial retries (5 × 100 ms of wall time) would let a
	// compressed publish outlast a broker outage in model time.
	require.Equal(t, 1, opt.DialerRetries)
	require.Equal(t, 3, opt.MaxRetries)
	require.Equal(t, 4*time.Millisecond, opt.MinRetryBackoff)
	require.Equal(t, 4*time.Millisecond, opt.MaxRetryBackoff)
	require.Equal(t, time.Second, opt.DialTimeout)
}

func TestOpenLetsTheURLWin(t *testing.T) {
	c, err := Open("redis://127.0.0.1:6379/0?dial_timeout=7s&max_retries=9", Timeouts{Timeout: time.Second, Retries: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.Equal(t, 7*time.Second, c.Options().DialTimeout)
	require.Equal(t, 9, c.Options().MaxRetries)
	require.Equal(t, time.Second, c.Options().ReadTimeout)
}

func TestOpenRejectsABadURL(t *testing.T) {
	_, err := Open("http://nowhere", Timeouts{})
	require.ErrorContains(t, err, "invalid Redis URL")
}

func TestOpenReadTimeouts(t *testing.T) {
	ka := &net.KeepAliveConfig{Enable: true, Idle: time.Minute, Interval: 10 * time.Second, Count: 9}
	tests := []struct {
		name     string
		t        Timeouts
		dial, rw time.Duration
	}{
		{"one timeout for everything", Timeouts{Timeout: time.Second}, time.Second, time.Second},
		{"a read timeout of its own", Timeouts{Timeout: time.Second, Read: 3 * time.Second}, time.Second, 3 * time.Second},
		// go-redis keeps "none" as 0 once the client is built.
		{"Antenna's cache: no read timeout, keepalive", Timeouts{Timeout: 5 * time.Second, NoRead: true, KeepAlive: ka}, 5 * time.Second, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Open("redis://127.0.0.1:6379/0", tc.t)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			opt := c.Options()
			require.Equal(t, tc.dial, opt.DialTimeout)
			require.Equal(t, tc.rw, opt.ReadTimeout)
			require.Equal(t, tc.rw, opt.WriteTimeout)
			require.True(t, opt.ContextTimeoutEnabled, "a call's deadline bounds it")
		})
	}
}

func TestNoReadTimeoutWaitsForTheContextDeadline(t *testing.T) {
	// A server that accepts and never answers: the call must wait for the
	// context's deadline, not give up on its own.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	c, err := Open("redis://"+ln.Addr().String()+"/0?protocol=2", Timeouts{Timeout: 50 * time.Millisecond, NoRead: true, Retries: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	// Timed from before the deadline is set: timed from after, a scheduler
	// pause between the two made the wait look short (298 ms of 300).
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = c.Ping(ctx).Err()
	require.Error(t, err)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "gave up before the deadline: a read timeout is set")
}
