// Package redisconn opens Redis clients the way the reference and the
// harness both need them: explicit timeouts and retries (unless the URL sets
// its own), and a pool sized for many pollers.
package redisconn

import (
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timeouts is how a client gives up: Antenna's cache client connects with a
// 5 s timeout and, ignoring exceptions, never retries, so a blackholed Redis
// costs a request up to its timeout once.
type Timeouts struct {
	Timeout time.Duration // connect, read and write
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
	if q.Get("read_timeout") == "" {
		opt.ReadTimeout = t.Timeout
	}
	if q.Get("write_timeout") == "" {
		opt.WriteTimeout = t.Timeout
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

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
