// Package redisconn opens Redis clients the way the reference and the
// harness both need them: explicit timeouts and retries (unless the URL sets
// its own), and a pool sized for many pollers.
package redisconn

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timeouts is how a client gives up: Antenna's cache client connects with a
// 5 s timeout, sets no read timeout and, ignoring exceptions, never retries.
type Timeouts struct {
	// Timeout bounds connecting, and reads and writes too unless Read or
	// NoRead says otherwise.
	Timeout time.Duration
	// Read, when set, bounds reads and writes on an open connection.
	Read time.Duration
	// NoRead sets no bound on them: a call waits as long as the server (or
	// a network that holds its bytes) takes, ended only by a deadline on
	// the call's context. Antenna's cache and Celery's broker socket.
	NoRead bool
	// KeepAlive, when set, is the TCP keepalive of the client's sockets
	// (Antenna's TCP_KEEPALIVE_OPTIONS); otherwise the system's.
	KeepAlive *net.KeepAliveConfig
	// Retries after a failed command; -1 none (the cache), 0 go-redis's
	// default of 3 (a broker publish, which Celery retries too).
	Retries int
	// Backoff, when set, is the wait between retries (go-redis's own grows
	// from 8 to 512 ms of wall time, whatever the run's time scale).
	Backoff time.Duration
}

// Open returns a client for rawURL; URL parameters dial_timeout,
// read_timeout, write_timeout and max_retries win over t.
func Open(rawURL string, t Timeouts) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid Redis URL %s: %w", redacted(rawURL), err)
	}
	q := url.Values{}
	if u, err := url.Parse(rawURL); err == nil {
		q = u.Query()
	}
	if q.Get("dial_timeout") == "" {
		opt.DialTimeout = t.Timeout
	}
	rw := t.Timeout
	switch {
	case t.NoRead:
		rw = -1 // go-redis: block indefinitely
		// redis-py's pool has no size limit: a caller finding every
		// connection busy opens another (which then waits like the rest). Here
		// the pool is bounded, so a caller waits for a connection instead, as
		// long as it would have waited on its own.
		if q.Get("pool_timeout") == "" {
			opt.PoolTimeout = time.Hour
		}
	case t.Read > 0:
		rw = t.Read
	}
	if q.Get("read_timeout") == "" {
		opt.ReadTimeout = rw
	}
	if q.Get("write_timeout") == "" {
		opt.WriteTimeout = rw
	}
	// A deadline on a call's context bounds the call (a heartbeat task's
	// hard time limit, say); a context without one leaves the timeouts above
	// in charge.
	opt.ContextTimeoutEnabled = true
	if ka := t.KeepAlive; ka != nil {
		opt.Dialer = dialer(opt, *ka)
	}
	if q.Get("max_retries") == "" {
		opt.MaxRetries = t.Retries
	}
	if t.Backoff > 0 {
		opt.MinRetryBackoff, opt.MaxRetryBackoff = t.Backoff, t.Backoff
	}
	// go-redis also retries a failed dial 5 times, 100 ms of wall time apart,
	// on every command. At a compressed time scale that is 25 model seconds
	// at 0.02: a publish during a 20 s broker outage then waits it out and
	// succeeds, where Celery's publish fails within its three 0.2 s retries.
	// One dial per attempt; the command retries above (on the run's clock)
	// are the only retries.
	opt.DialerRetries = 1
	opt.PoolSize = max(opt.PoolSize, 64)
	return redis.NewClient(opt), nil
}

// dialer is go-redis's own dial with the given keepalive.
func dialer(opt *redis.Options, ka net.KeepAliveConfig) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: opt.DialTimeout, KeepAliveConfig: ka}
	if opt.TLSConfig == nil {
		return d.DialContext
	}
	td := &tls.Dialer{NetDialer: d, Config: opt.TLSConfig}
	return td.DialContext
}

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
