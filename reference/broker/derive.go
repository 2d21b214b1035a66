package broker

import (
	"context"
	"log/slog"
	"strings"
)

// Deriver is a broker that can open another queue beside its own: on the
// same server, through the same connection settings (and so behind the same
// faults), named as if opened with this queue's prefix followed by sub.
// The reference gives result processing a queue of its own this way, as
// Antenna routes it to Celery queues other than the heartbeat's.
type Deriver interface {
	// Derive opens the queue; its Close releases what it opened.
	Derive(sub string, log *slog.Logger) (Broker, error)
}

// Derive returns the Redis list prefix+sub+"queue" on the same client.
func (q *RedisQueue) Derive(sub string, log *slog.Logger) (Broker, error) {
	if log == nil {
		log = q.log
	}
	d := NewRedisQueue(q.client, q.prefix+sub, log)
	d.reconnect = q.reconnect
	return d, nil
}

// Derive returns the RabbitMQ queue prefix+sub+"queue" on the same server,
// with connections of its own. Like NewAMQP it tries once, within the
// queue's timeout, to connect, and otherwise connects on first use.
func (q *AMQPQueue) Derive(sub string, log *slog.Logger) (Broker, error) {
	if log == nil {
		log = slog.Default()
	}
	prefix := strings.TrimSuffix(q.queue, "queue")
	return NewAMQP(context.Background(), q.url, prefix+sub, q.timeout, log)
}
