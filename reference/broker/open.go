package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/hbharness/hbharness/internal/redisconn"
)

// Open returns the broker a BROKER_URL names: a Redis list for redis:// and
// rediss://, a RabbitMQ queue (Antenna's production broker) for amqp:// and
// amqps://. Either starts without the broker reachable; enqueues then fail
// and are counted until it answers. close releases what Open opened.
func Open(ctx context.Context, rawURL, prefix string, timeout time.Duration, log *slog.Logger) (b Broker, close func() error, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("BROKER_URL is not a URL: want redis://host:6379/0 or amqp://user:password@host:5672/")
	}
	switch u.Scheme {
	case "redis", "rediss":
		c, err := redisconn.Open(rawURL, redisconn.Timeouts{Timeout: timeout})
		if err != nil {
			return nil, nil, fmt.Errorf("BROKER_URL: %w", err)
		}
		return NewRedisQueue(c, prefix, log), c.Close, nil
	case "amqp", "amqps":
		q, err := NewAMQP(ctx, rawURL, prefix, timeout, log)
		if err != nil {
			return nil, nil, err
		}
		return q, q.Close, nil
	}
	return nil, nil, fmt.Errorf("BROKER_URL %s: scheme %q is not a broker this tool speaks: use redis:// or amqp://", u.Redacted(), u.Scheme)
}
