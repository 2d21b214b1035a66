package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/hbharness/hbharness/internal/redisconn"
)

// Timing is how a broker client waits, in wall time: a run at a compressed
// time scale converts Celery's model values, so that a retry or a
// reconnection does not outlast, in model time, the outage it rides out.
type Timing struct {
	Timeout time.Duration // connect, read and write
	// Retry is the wait between a publish's three retries (kombu's default
	// retry policy: 0.2 s); 0 keeps the client's own.
	Retry time.Duration
	// Reconnect is a Redis-list consumer's wait after losing the broker
	// (Celery's first reconnection interval: 2 s); 0 means 1 s.
	Reconnect time.Duration
}

// CeleryRetry and CeleryReconnect are Celery's waits in model time.
const (
	CeleryRetry     = 200 * time.Millisecond
	CeleryReconnect = 2 * time.Second
)

// Open returns the broker a BROKER_URL names: a Redis list for redis:// and
// rediss://, a RabbitMQ queue (Antenna's production broker) for amqp:// and
// amqps://. Either starts without the broker reachable; enqueues then fail
// and are counted until it answers. close releases what Open opened.
func Open(ctx context.Context, rawURL, prefix string, t Timing, log *slog.Logger) (b Broker, close func() error, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("BROKER_URL is not a URL: want redis://host:6379/0 or amqp://user:password@host:5672/")
	}
	switch u.Scheme {
	case "redis", "rediss":
		c, err := redisconn.Open(rawURL, redisconn.Timeouts{Timeout: t.Timeout, Retries: 3, Backoff: t.Retry})
		if err != nil {
			return nil, nil, fmt.Errorf("BROKER_URL: %w", err)
		}
		q := NewRedisQueue(c, prefix, log)
		if t.Reconnect > 0 {
			q.reconnect = t.Reconnect
		}
		return q, c.Close, nil
	case "amqp", "amqps":
		q, err := NewAMQP(ctx, rawURL, prefix, t.Timeout, log)
		if err != nil {
			return nil, nil, err
		}
		return q, q.Close, nil
	}
	return nil, nil, fmt.Errorf("BROKER_URL %s: scheme %q is not a broker this tool speaks: use redis:// or amqp://", u.Redacted(), u.Scheme)
}
