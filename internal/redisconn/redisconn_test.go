package redisconn

import (
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
